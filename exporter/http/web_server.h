#ifndef PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_
#define PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/metrics/snapshot.h"

struct mg_connection;
struct mg_context;

namespace pe {

struct WebOptions {
  std::string listen_address = ":9879";  // "host:port", ":port"; port 0 = any
  std::string telemetry_path = "/metrics";
  int threads = 4;
};

// The exporter's HTTP endpoints on civetweb:
//   <telemetry_path>  latest snapshot (gzip when the client accepts it)
//   /                 landing page linking to the telemetry path
//   /-/healthy        200 while the process serves
//   /-/ready          200 after the first successful poll, 503 before
// Anything else is 404. Requests never touch the database.
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
  mg_context* ctx_ = nullptr;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_WEB_SERVER_H_
