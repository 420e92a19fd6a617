#include "exporter/http/civet_stop.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <vector>

namespace pe {
namespace {

constexpr auto kWakeInterval = std::chrono::milliseconds(10);

std::vector<int> ListeningPorts(const mg_context* ctx) {
  mg_server_port ports[8] = {};
  const int n = mg_get_server_ports(ctx, 8, ports);
  std::vector<int> result;
  for (int i = 0; i < n; ++i) result.push_back(ports[i].port);
  return result;
}

// Opens and at once closes a TCP connection; failures do not matter.
void Poke(const in_addr& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  timeval timeout{0, 100 * 1000};  // bounds connect() too on Linux
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr = host;
  connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  close(fd);
}

}  // namespace

void StopCivetweb(mg_context* ctx, const std::string& wake_host) {
  in_addr host{};
  if (wake_host.empty() || inet_pton(AF_INET, wake_host.c_str(), &host) != 1) {
    mg_stop(ctx);
    return;
  }
  const std::vector<int> ports = ListeningPorts(ctx);
  std::atomic<bool> stopped{false};
  std::thread waker;
  try {
    waker = std::thread([&] {
      while (!stopped.load()) {
        for (int port : ports) Poke(host, port);
        std::this_thread::sleep_for(kWakeInterval);
      }
    });
  } catch (const std::exception&) {
    // No thread: the stop just takes longer.
  }
  mg_stop(ctx);
  stopped.store(true);
  if (waker.joinable()) waker.join();
}

}  // namespace pe
