#ifndef PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_
#define PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/http/web_config.h"
#include "exporter/metrics/snapshot.h"

struct mg_connection;
struct mg_context;

namespace pe {

class BasicAuthenticator;

struct WebOptions {
  std::string listen_address = ":9879";  // "host:port", ":port"; port 0 = any
  std::string telemetry_path = "/metrics";
  int threads = 4;  // also the most connections served at once
  // --web.config-file: basic auth users and TLS; empty means neither.
  WebConfig security;
  // POST /-/reload; empty: no such endpoint.
  std::function<Status()> reload;
};

// The exporter's HTTP endpoints on civetweb:
//   <telemetry_path>  latest snapshot (gzip when the client accepts it)
//   /                 landing page linking to the telemetry path
//   /-/healthy        200 while the process serves
//   /-/ready          200 after the first successful poll, 503 before
//   /-/reload         POST: reloads the configuration (when options.reload)
// Anything else is 404. Requests never touch the database.
//
// With basic_auth_users configured, every path (/-/healthy included, as in
// the Prometheus exporter-toolkit) answers 401 with
// `WWW-Authenticate: Basic realm="pipeline_exporter"` unless the request
// carries a configured user's password. With tls_server_config the port
// speaks only TLS. Limits: request line + headers at most 8 KiB (larger:
// civetweb answers 400), no request bodies (413), `threads` connections
// served at once, 32 more queued in civetweb and 128 in the kernel's
// backlog; nothing is ever served from disk (no document root, no
// directory listing).
class WebServer {
 public:
  static Result<std::unique_ptr<WebServer>> Start(
      const WebOptions& options, std::shared_ptr<const SnapshotStore> store);
  ~WebServer();  // stops the server and joins its threads
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Ports actually bound (useful with port 0).
  std::vector<int> ports() const;

 private:
  WebServer(WebOptions options, std::shared_ptr<const SnapshotStore> store);
  // civetweb request handler for every path; cbdata is the WebServer.
  static int Serve(mg_connection* conn, void* cbdata);

  WebOptions options_;
  std::shared_ptr<const SnapshotStore> store_;
  std::unique_ptr<BasicAuthenticator> auth_;  // null: no authentication
  mg_context* ctx_ = nullptr;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_
