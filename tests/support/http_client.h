#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/status.h"

// A tiny blocking HTTP/1.1 client over a TCP socket, for tests only.
namespace pe::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";
  HttpHeaders headers;  // Host and Content-Length are added when absent
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  HttpHeaders headers;  // in arrival order, names as sent
  std::string body;     // de-chunked; empty for HEAD, 1xx, 204 and 304

  // First value of a header (name case-insensitive), if present.
  std::optional<std::string> Header(std::string_view name) const;
};

// One TCP connection, reused for several requests while the server keeps it
// open (keep-alive). Not thread-safe; use one per thread.
class HttpClient {
 public:
  // Connects to host (an IPv4 literal such as "127.0.0.1") and port. Every
  // send and receive fails after `timeout` without progress.
  static Result<HttpClient> Connect(
      const std::string& host, int port,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // Sends request and reads the whole response. After an error or a
  // "Connection: close" response, the connection is closed (open() false).
  Result<HttpResponse> Send(const HttpRequest& request);
  Result<HttpResponse> Get(const std::string& path, HttpHeaders headers = {});
  // Writes request without reading any response (e.g. to hang up early).
  Status Write(const HttpRequest& request);

  bool open() const { return fd_ >= 0; }

 private:
  explicit HttpClient(int fd, std::string host_header)
      : fd_(fd), host_header_(std::move(host_header)) {}
  void Close();
  Status WriteAll(std::string_view data);
  // Appends at least one more byte to buffer_; error at EOF or timeout.
  Status Fill();
  Result<std::string> ReadLine();
  Status ReadExactly(size_t n, std::string& out);
  Status ReadChunked(std::string& out);

  int fd_ = -1;
  std::string host_header_;
  std::string buffer_;  // received, not yet consumed
};

// One request on a fresh connection to 127.0.0.1:port.
Result<HttpResponse> HttpGet(int port, const std::string& path,
                             HttpHeaders headers = {});
Result<HttpResponse> HttpSend(int port, const HttpRequest& request);

// Decodes a gzip (RFC 1952) body with zlib, as a client would for
// "Content-Encoding: gzip". Corruption when the data is not valid gzip.
Result<std::string> Gunzip(std::string_view data);

}  // namespace pe::test

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_HTTP_CLIENT_H_
