#include "exporter/http/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <string>

namespace pe {
namespace {

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  int port = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    port = port * 10 + (c - '0');
  }
  return port <= 65535;
}

bool IsIpv4Literal(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool IsIpv6Literal(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

}  // namespace

Result<std::string> CivetListeningPorts(std::string_view address,
                                        bool ipv6_supported) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("listen address '" + std::string(address) +
                                   "': " + std::string(why));
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return invalid("expected host:port or :port");
  }
  const std::string_view port = address.substr(colon + 1);
  if (!IsPort(port)) return invalid("port must be a number from 0 to 65535");
  const std::string host(address.substr(0, colon));
  if (host.empty()) return std::string(port);
  if (host == "localhost") return "127.0.0.1:" + std::string(port);
  if (IsIpv4Literal(host)) return host + ":" + std::string(port);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      IsIpv6Literal(host.substr(1, host.size() - 2))) {
    if (!ipv6_supported) {
      return invalid("this civetweb build has no IPv6 support");
    }
    return host + ":" + std::string(port);
  }
  return invalid("host must be an IP address or localhost");
}

std::string LocalConnectHost(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return "";
  const std::string host(address.substr(0, colon));
  if (host.empty() || host == "localhost" || host == "0.0.0.0") {
    return "127.0.0.1";
  }
  return IsIpv4Literal(host) ? host : "";
}

}  // namespace pe
