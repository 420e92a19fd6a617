#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "exporter/http/header_tokens.h"

namespace pe::test {
namespace {

Status Errno(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

bool HasBody(const HttpRequest& request, int status) {
  return request.method != "HEAD" && status >= 200 && status != 204 &&
         status != 304;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

Result<HttpClient> HttpClient::Connect(const std::string& host, int port,
                                       std::chrono::milliseconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("http client: host '" + host +
                                   "' is not an IPv4 address");
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("http client: socket");
  HttpClient client(fd, host + ":" + std::to_string(port));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) !=
      0) {
    return Errno("http client: connect to " + client.host_header_);
  }
  return client;
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      host_header_(std::move(other.host_header_)),
      buffer_(std::move(other.buffer_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    host_header_ = std::move(other.host_header_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::WriteAll(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("http client: send");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status HttpClient::Fill() {
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Status::NotFound("http client: connection closed");
    if (errno == EINTR) continue;
    return Errno("http client: recv");
  }
}

Result<std::string> HttpClient::ReadLine() {
  size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    Status s = Fill();
    if (!s.ok()) return s;
  }
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return line;
}

Status HttpClient::ReadExactly(size_t n, std::string& out) {
  const size_t buffered = std::min(n, buffer_.size());
  out.append(buffer_, 0, buffered);
  buffer_.erase(0, buffered);
  size_t have = out.size();
  const size_t want = have + (n - buffered);
  out.resize(want);  // large bodies are received straight into out
  while (have < want) {
    const ssize_t got = recv(fd_, out.data() + have, want - have, 0);
    if (got > 0) {
      have += static_cast<size_t>(got);
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    const Status error =
        got == 0 ? Status::NotFound("http client: connection closed")
                 : Errno("http client: recv");
    out.resize(have);
    return error;
  }
  return Status::Ok();
}

Status HttpClient::ReadChunked(std::string& out) {
  for (;;) {
    Result<std::string> size_line = ReadLine();
    if (!size_line.ok()) return size_line.status();
    const size_t size = std::stoul(*size_line, nullptr, 16);
    if (size == 0) break;
    Status s = ReadExactly(size, out);
    if (!s.ok()) return s;
    Result<std::string> crlf = ReadLine();
    if (!crlf.ok()) return crlf.status();
  }
  for (;;) {  // trailers up to the blank line
    Result<std::string> line = ReadLine();
    if (!line.ok()) return line.status();
    if (line->empty()) return Status::Ok();
  }
}

Status HttpClient::Write(const HttpRequest& request) {
  if (fd_ < 0) return Status::IoError("http client: connection is closed");
  std::string head = request.method + " " + request.path + " HTTP/1.1\r\n";
  bool has_host = false;
  bool has_length = false;
  for (const auto& [name, value] : request.headers) {
    has_host |= EqualsIgnoreCase(name, "Host");
    has_length |= EqualsIgnoreCase(name, "Content-Length");
    head += name + ": " + value + "\r\n";
  }
  if (!has_host) head += "Host: " + host_header_ + "\r\n";
  if (!has_length && !request.body.empty()) {
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  head += "\r\n";
  return WriteAll(head + request.body);
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  if (fd_ < 0) return Status::IoError("http client: connection is closed");
  Status s = Write(request);

  HttpResponse response;
  bool close_after = false;
  while (s.ok()) {
    response = HttpResponse();
    Result<std::string> status_line = ReadLine();
    if (!status_line.ok()) {
      s = status_line.status();
      break;
    }
    // "HTTP/1.1 200 OK"
    const size_t sp1 = status_line->find(' ');
    if (sp1 == std::string::npos || status_line->compare(0, 5, "HTTP/") != 0) {
      s = Status::Corruption("http client: bad status line '" + *status_line +
                             "'");
      break;
    }
    const size_t sp2 = status_line->find(' ', sp1 + 1);
    response.status = std::atoi(status_line->c_str() + sp1 + 1);
    if (sp2 != std::string::npos)
      response.reason = status_line->substr(sp2 + 1);
    const bool http10 = status_line->compare(0, 8, "HTTP/1.0") == 0;
    for (;;) {
      Result<std::string> line = ReadLine();
      if (!line.ok()) {
        s = line.status();
        break;
      }
      if (line->empty()) break;
      const size_t colon = line->find(':');
      if (colon == std::string::npos) continue;
      response.headers.emplace_back(
          line->substr(0, colon),
          std::string(TrimOws(std::string_view(*line).substr(colon + 1))));
    }
    if (!s.ok()) break;
    if (response.status >= 100 && response.status < 200) continue;
    const std::optional<std::string> connection = response.Header("Connection");
    close_after = connection ? HeaderHasToken(*connection, "close")
                             : http10;  // 1.0 closes unless told otherwise
    if (!HasBody(request, response.status)) break;
    const std::optional<std::string> te = response.Header("Transfer-Encoding");
    const std::optional<std::string> length = response.Header("Content-Length");
    if (te && HeaderHasToken(*te, "chunked")) {
      s = ReadChunked(response.body);
    } else if (length) {
      s = ReadExactly(std::stoull(*length), response.body);
    } else {  // delimited by the end of the connection
      while ((s = Fill()).ok()) {
      }
      if (s.code() == Status::Code::kNotFound) s = Status::Ok();
      response.body = std::move(buffer_);
      close_after = true;
    }
    break;
  }
  if (!s.ok()) {
    Close();
    return s;
  }
  if (close_after) Close();
  return response;
}

Result<HttpResponse> HttpClient::Get(const std::string& path,
                                     HttpHeaders headers) {
  HttpRequest request;
  request.path = path;
  request.headers = std::move(headers);
  return Send(request);
}

Result<HttpResponse> HttpSend(int port, const HttpRequest& request) {
  Result<HttpClient> client = HttpClient::Connect("127.0.0.1", port);
  if (!client.ok()) return client.status();
  return client->Send(request);
}

Result<HttpResponse> HttpGet(int port, const std::string& path,
                             HttpHeaders headers) {
  HttpRequest request;
  request.path = path;
  request.headers = std::move(headers);
  return HttpSend(port, request);
}

Result<std::string> Gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    return Status::Internal("gunzip: inflateInit2 failed");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - zs.avail_out);
  }
  const bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return Status::Corruption("gunzip: inflate returned " + std::to_string(rc));
  }
  if (trailing) return Status::Corruption("gunzip: data after the stream");
  return out;
}

}  // namespace pe::test
