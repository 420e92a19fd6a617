#include "exporter/http/civet_response.h"

#include <civetweb.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "exporter/http/header_tokens.h"

namespace pe {
namespace {

// Bodies up to this size go out in the same write as the head, and small
// pieces are gathered into writes of this size. Each request in flight holds
// one such buffer, below glibc's mmap threshold (daemon.cc) so that it is
// not mapped anew per request. Large enough that a large body goes out as
// fast as with larger writes, where smaller ones cost identity throughput
// (docs/benchmarks.md).
constexpr std::size_t kCoalesceLimit = 120 * 1024;
// mg_write takes an int-sized length; write large bodies in slices.
constexpr std::size_t kMaxWrite = 4 * 1024 * 1024;

std::string HttpDate(std::time_t now) {
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  const std::size_t n =
      std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

// Mirrors civetweb's own decision (should_keep_alive with
// enable_keep_alive=yes), so the Connection header tells the truth. A
// request body that the handler did not read makes civetweb close.
bool KeepAlive(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  if (ri == nullptr) return false;
  if (ri->content_length > 0 ||
      mg_get_header(conn, "Transfer-Encoding") != nullptr) {
    return false;
  }
  // civetweb 1.15 closes HTTP/1.0 connections even with "keep-alive".
  if (ri->http_version == nullptr ||
      std::string_view(ri->http_version) != "1.1") {
    return false;
  }
  const char* connection = mg_get_header(conn, "Connection");
  return connection == nullptr || HeaderHasToken(connection, "keep-alive");
}

}  // namespace

std::string FormatResponseHead(const WebResponse& response,
                               std::string_view reason,
                               std::size_t content_length, bool keep_alive,
                               std::time_t now) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += reason;
  head += "\r\nContent-Type: ";
  head += response.content_type;
  head += "\r\nContent-Length: ";
  head += std::to_string(content_length);
  for (const auto& [name, value] : response.headers) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
  head += "\r\nDate: ";
  head += HttpDate(now);
  head += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
  head += "\r\n\r\n";
  return head;
}

bool WriteAll(mg_connection* conn, std::string_view data) {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds kCivetTimeout{kHeaderTimeoutMs};
  constexpr std::chrono::milliseconds kStallLimit{kWriteStallTimeoutMs};
  Clock::time_point last_progress = Clock::now();
  while (!data.empty()) {
    const std::size_t len = std::min(data.size(), kMaxWrite);
    const Clock::time_point start = Clock::now();
    const int n = mg_write(conn, data.data(), len);
    const Clock::time_point end = Clock::now();
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      last_progress = end;
      continue;
    }
    // 0: closed or the server is stopping. -1 comes at once for an error,
    // and only after civetweb's whole timeout when the client took nothing.
    const bool timed_out = n < 0 && end - start >= kCivetTimeout;
    if (!timed_out || end - last_progress >= kStallLimit) return false;
  }
  return true;
}

bool SendResponse(mg_connection* conn, const WebResponse& response,
                  bool head_only) {
  std::vector<std::string_view> storage;
  const std::vector<std::string_view>& pieces = response.BodyPieces(&storage);
  std::size_t size = 0;
  for (std::string_view piece : pieces) size += piece.size();
  const bool keep_alive = KeepAlive(conn);
  if (!keep_alive) mg_disable_connection_keep_alive(conn);
  std::string out = FormatResponseHead(
      response, mg_get_response_code_text(conn, response.status), size,
      keep_alive, std::time(nullptr));
  if (head_only) return WriteAll(conn, out);
  // Small pieces (a snapshot has thousands) are gathered into writes of about
  // kCoalesceLimit bytes; large ones are written straight from where they are.
  out.reserve(kCoalesceLimit + out.size());
  for (std::string_view piece : pieces) {
    if (out.size() + piece.size() <= kCoalesceLimit) {
      out.append(piece);
      continue;
    }
    if (!WriteAll(conn, out)) return false;
    out.clear();
    if (piece.size() >= kCoalesceLimit) {
      if (!WriteAll(conn, piece)) return false;
    } else {
      out.append(piece);
    }
  }
  return WriteAll(conn, out);
}

}  // namespace pe
