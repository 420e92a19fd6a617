#include "exporter/http/web_routes.h"

#include <string>

#include "exporter/common/build_info.h"
#include "exporter/http/accept_encoding.h"
#include "exporter/http/basic_auth.h"

namespace pe {
namespace {

constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kHealthyPath = "/-/healthy";
constexpr std::string_view kReadyPath = "/-/ready";
constexpr std::string_view kReloadPath = "/-/reload";

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

WebResponse Text(int status, std::string body) {
  WebResponse response;
  response.status = status;
  response.content_type = kTextContentType;
  response.text = std::move(body);
  return response;
}

WebResponse Telemetry(const WebRequest& request, const SnapshotStore& store) {
  WebResponse response;
  response.content_type = kMetricsContentType;
  response.headers.emplace_back("Vary", "Accept-Encoding");
  response.snapshot = store.Latest();
  response.gzip = AcceptsGzip(request.accept_encoding);
  if (response.gzip) response.headers.emplace_back("Content-Encoding", "gzip");
  return response;
}

WebResponse Ready(const SnapshotStore& store) {
  if (store.ready()) return Text(200, "Ready");
  return Text(503,
              "Not ready: waiting for the first successful poll of the state "
              "database");
}

}  // namespace

const std::vector<std::string_view>& WebResponse::BodyPieces(
    std::vector<std::string_view>* storage) const {
  if (snapshot == nullptr) {
    storage->assign(1, text);
    return *storage;
  }
  if (gzip) return snapshot->gzip_pieces();
  return snapshot->pieces();
}

std::string WebResponse::body() const {
  std::vector<std::string_view> storage;
  return JoinPieces(BodyPieces(&storage));
}

std::string LandingPage(std::string_view telemetry_path) {
  const std::string path = HtmlEscape(telemetry_path);
  return std::string(
             "<!DOCTYPE html>\n"
             "<html lang=\"en\">\n"
             "<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<title>Pipeline Exporter</title>\n"
             "</head>\n"
             "<body>\n"
             "<h1>Pipeline Exporter</h1>\n"
             "<p>Version ") +
         HtmlEscape(kVersion) +
         "</p>\n"
         "<ul>\n"
         "<li><a href=\"" +
         path + "\">Metrics</a> (" + path +
         ")</li>\n"
         "<li><a href=\"/-/healthy\">Health</a> (/-/healthy)</li>\n"
         "<li><a href=\"/-/ready\">Readiness</a> (/-/ready)</li>\n"
         "</ul>\n"
         "</body>\n"
         "</html>\n";
}

WebResponse HandleWebRequest(const WebRequest& request,
                             std::string_view telemetry_path,
                             const SnapshotStore& store,
                             const std::function<Status()>& reload) {
  if (!request.authorized) {
    WebResponse response = Text(401, "Unauthorized");
    response.headers.emplace_back(
        "WWW-Authenticate",
        "Basic realm=\"" + std::string(kBasicAuthRealm) + "\"");
    return response;
  }
  if (request.path == kReloadPath && reload) {
    if (request.method != "POST") {
      WebResponse response = Text(405, "Method not allowed");
      response.headers.emplace_back("Allow", "POST");
      return response;
    }
    if (request.has_body) return Text(413, "Request body not accepted");
    Status status = reload();
    if (status.ok()) return Text(200, "Reloaded");
    return Text(500, "failed to reload config: " + status.message());
  }
  const bool known = request.path == telemetry_path || request.path == "/" ||
                     request.path == kHealthyPath || request.path == kReadyPath;
  if (!known) return Text(404, "Not found");
  if (request.method != "GET" && request.method != "HEAD") {
    WebResponse response = Text(405, "Method not allowed");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (request.has_body) return Text(413, "Request body not accepted");
  if (request.path == telemetry_path) return Telemetry(request, store);
  if (request.path == kHealthyPath) return Text(200, "Healthy");
  if (request.path == kReadyPath) return Ready(store);
  WebResponse response;
  response.content_type = "text/html; charset=utf-8";
  response.text = LandingPage(telemetry_path);
  return response;
}

}  // namespace pe
