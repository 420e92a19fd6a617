#ifndef PIPELINE_EXPORTER_HTTP_WEB_ROUTES_H_
#define PIPELINE_EXPORTER_HTTP_WEB_ROUTES_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/metrics/snapshot.h"

namespace pe {

inline constexpr std::string_view kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// What the routes need to know about a request; views into civetweb's
// request, valid for the duration of the call.
struct WebRequest {
  std::string_view method;
  std::string_view path;             // decoded, without the query string
  std::string_view accept_encoding;  // all Accept-Encoding values, joined
  // False when basic auth is configured and the request's credentials are
  // missing or wrong: every path, known or not, then answers 401.
  bool authorized = true;
  // A Content-Length above 0 or a Transfer-Encoding: no endpoint takes a
  // body, so such requests are refused with 413 (the body is never read).
  bool has_body = false;
};

// A complete response. The body is either `text` or, for the telemetry
// path, the snapshot (kept alive here) in plain or gzip form.
struct WebResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string text;
  std::shared_ptr<const Snapshot> snapshot;
  bool gzip = false;

  // Bytes to send, in order: the snapshot's own list of pieces (no copy, see
  // Snapshot::pieces), or `text` as the one piece of *storage`. With gzip,
  // the first call may compress the snapshot; a plain snapshot comes as its
  // parts, never joined.
  const std::vector<std::string_view>& BodyPieces(
      std::vector<std::string_view>* storage) const;
  // The body in one piece (tests).
  std::string body() const;
};

// Routes one request; never blocks except to take the latest snapshot from
// the store. HEAD is answered like GET (the caller drops the body). Checks,
// in order: credentials (401 with WWW-Authenticate), the path (404), the
// method (405), a request body (413).
//
// POST /-/reload calls `reload` (when set; otherwise the path is unknown):
// 200 when the configuration was reloaded, 500 with the reason when not.
WebResponse HandleWebRequest(const WebRequest& request,
                             std::string_view telemetry_path,
                             const SnapshotStore& store,
                             const std::function<Status()>& reload = {});

// The HTML page served at "/".
std::string LandingPage(std::string_view telemetry_path);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_WEB_ROUTES_H_
