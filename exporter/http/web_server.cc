#include "exporter/http/web_server.h"

#include <civetweb.h>
#include <strings.h>

#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/log.h"
#include "exporter/http/basic_auth.h"
#include "exporter/http/civet_response.h"
#include "exporter/http/civet_stop.h"
#include "exporter/http/civet_tls.h"
#include "exporter/http/listen_address.h"
#include "exporter/http/web_routes.h"

namespace pe {
namespace {

// Idle keep-alive connections hold a civetweb worker thread, so they are
// closed soon; a scrape every few seconds reconnects cheaply.
constexpr const char* kKeepAliveTimeoutMs = "500";
constexpr const char* kListenBacklog = "128";
// Accepted connections waiting for a free worker thread.
constexpr const char* kConnectionQueue = "32";
// Request line plus headers; a scrape sends a few hundred bytes.
constexpr const char* kMaxRequestSize = "8192";

// While mg_start2 runs on this thread, civetweb's messages are collected
// here so that a failed start can report why (e.g. "cannot bind to ...").
thread_local std::string* t_start_messages = nullptr;

int LogMessage(const mg_connection* /*conn*/, const char* message) {
  try {
    const std::string_view text = message != nullptr ? message : "";
    if (t_start_messages != nullptr) {
      if (!t_start_messages->empty()) *t_start_messages += "; ";
      *t_start_messages += text;
    } else {
      log::Warn("http server", {{"err", std::string(text)}});
    }
  } catch (...) {
    // Never let an exception cross into civetweb's C code.
  }
  return 1;  // handled: civetweb prints nothing itself
}

// One library reference for the process lifetime; civetweb counts them.
void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

// All values of a request header, joined with ", " (RFC 9110 5.3).
std::string JoinedHeader(const mg_request_info& ri, const char* name) {
  std::string joined;
  for (int i = 0; i < ri.num_headers; ++i) {
    const mg_header& header = ri.http_headers[i];
    if (header.name == nullptr || header.value == nullptr) continue;
    if (strcasecmp(header.name, name) != 0) continue;
    if (!joined.empty()) joined += ", ";
    joined += header.value;
  }
  return joined;
}

WebResponse InternalError() {
  WebResponse response;
  response.status = 500;
  response.content_type = "text/plain; charset=utf-8";
  response.text = "Internal server error";
  return response;
}

}  // namespace

WebServer::WebServer(WebOptions options,
                     std::shared_ptr<const SnapshotStore> store)
    : options_(std::move(options)), store_(std::move(store)) {}

WebServer::~WebServer() {
  if (ctx_ != nullptr) {
    StopCivetweb(ctx_, LocalConnectHost(options_.listen_address));
  }
}

Result<std::unique_ptr<WebServer>> WebServer::Start(
    const WebOptions& options, std::shared_ptr<const SnapshotStore> store) {
  if (store == nullptr) {
    return Status::InvalidArgument("start web server: no snapshot store");
  }
  if (options.threads < 1) {
    return Status::InvalidArgument(
        "start web server: threads must be at least 1, got " +
        std::to_string(options.threads));
  }
  if (options.telemetry_path.empty() || options.telemetry_path[0] != '/') {
    return Status::InvalidArgument("start web server: telemetry path '" +
                                   options.telemetry_path +
                                   "' must start with '/'");
  }
  Result<std::string> ports = CivetListeningPorts(
      options.listen_address, mg_check_feature(MG_FEATURES_IPV6) != 0);
  if (!ports.ok()) return ports.status().WithContext("start web server");

  std::optional<CivetTlsOptions> tls;
  if (options.security.tls) {
    if (!CivetTlsAvailable()) {
      return Status::InvalidArgument(
          "start web server: native TLS is unavailable: civetweb could not "
          "load OpenSSL (Debian 12's civetweb 1.15 cannot use OpenSSL 3); "
          "remove tls_server_config and terminate TLS in a proxy, see "
          "deploy/tls-proxy/README.md");
    }
    Result<CivetTlsOptions> made = CivetTlsOptions::Make(*options.security.tls);
    if (!made.ok()) return made.status().WithContext("start web server");
    tls = std::move(*made);
    *ports += 's';  // civetweb: this port speaks TLS only
  }

  InitCivetwebOnce();
  std::unique_ptr<WebServer> server(new WebServer(options, std::move(store)));
  if (options.security.auth_enabled()) {
    server->auth_ =
        std::make_unique<BasicAuthenticator>(options.security.basic_auth_users);
  }
  const std::string threads = std::to_string(options.threads);
  // Headers and each write (civet_response.h); WriteAll waits longer.
  const std::string request_timeout = std::to_string(kHeaderTimeoutMs);
  // clang-format off
  std::vector<const char*> civet_options = {
      "listening_ports", ports->c_str(),
      "num_threads", threads.c_str(),
      "listen_backlog", kListenBacklog,
      "connection_queue", kConnectionQueue,
      "max_request_size", kMaxRequestSize,
      "request_timeout_ms", request_timeout.c_str(),
      "enable_keep_alive", "yes",
      "keep_alive_timeout_ms", kKeepAliveTimeoutMs,
      "tcp_nodelay", "1",
      "enable_directory_listing", "no",
      // civetweb answers CORS preflights itself unless these are empty.
      "access_control_allow_origin", "",
      "access_control_allow_methods", "",
      // No document_root: nothing is ever served from disk.
  };
  // clang-format on
  if (tls) {
    for (const auto& [name, value] : tls->options()) {
      civet_options.push_back(name.c_str());
      civet_options.push_back(value.c_str());
    }
  }
  civet_options.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.log_message = &LogMessage;
  mg_init_data init{&callbacks, server.get(), civet_options.data()};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof(error_text)};

  std::string start_messages;
  t_start_messages = &start_messages;
  server->ctx_ = mg_start2(&init, &error);
  t_start_messages = nullptr;
  if (server->ctx_ == nullptr) {
    std::string why = !start_messages.empty() ? start_messages
                      : error_text[0] != '\0' ? error_text
                                              : "civetweb failed to start";
    return Status::IoError("listen on '" + options.listen_address +
                           "': " + why);
  }
  mg_set_request_handler(server->ctx_, "**", &WebServer::Serve, server.get());
  return server;
}

std::vector<int> WebServer::ports() const {
  mg_server_port ports[8] = {};
  const int n = mg_get_server_ports(ctx_, 8, ports);
  std::vector<int> result;
  for (int i = 0; i < n; ++i) result.push_back(ports[i].port);
  return result;
}

int WebServer::Serve(mg_connection* conn, void* cbdata) {
  const auto* self = static_cast<const WebServer*>(cbdata);
  const mg_request_info* ri = mg_get_request_info(conn);
  if (ri == nullptr) return 0;
  const std::string_view method =
      ri->request_method != nullptr ? ri->request_method : "";
  const std::string_view path = ri->local_uri != nullptr ? ri->local_uri : "";
  const bool head_only = method == "HEAD";
  try {
    const std::string accept_encoding = JoinedHeader(*ri, "Accept-Encoding");
    WebRequest request{method, path, accept_encoding};
    if (self->auth_ != nullptr) {
      const char* authorization = mg_get_header(conn, "Authorization");
      request.authorized =
          authorization != nullptr && self->auth_->Authorize(authorization);
    }
    request.has_body = ri->content_length > 0 ||
                       mg_get_header(conn, "Transfer-Encoding") != nullptr;
    const WebResponse response =
        HandleWebRequest(request, self->options_.telemetry_path, *self->store_,
                         self->options_.reload);
    if (!SendResponse(conn, response, head_only)) {
      log::Debug("http client went away before the response was sent",
                 {{"path", std::string(path)}});
    }
    return response.status;
  } catch (const std::exception& e) {
    // Thrown before anything was written (compression, allocation).
    try {
      log::Error("http request failed",
                 {{"path", std::string(path)}, {"err", e.what()}});
      SendResponse(conn, InternalError(), head_only);
    } catch (...) {
    }
  } catch (...) {
    try {
      SendResponse(conn, InternalError(), head_only);
    } catch (...) {
    }
  }
  return 500;
}

}  // namespace pe
