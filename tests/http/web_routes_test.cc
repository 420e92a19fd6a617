#include "exporter/http/web_routes.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "exporter/common/build_info.h"

namespace pe {
namespace {

WebResponse Handle(const SnapshotStore& store, std::string_view method,
                   std::string_view path, std::string_view accept = "") {
  return HandleWebRequest(WebRequest{method, path, accept}, "/metrics", store);
}

std::string HeaderValue(const WebResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(WebRoutesTest, TelemetryServesTheLatestSnapshotAsPrometheusText) {
  SnapshotStore store;
  store.Publish(std::make_shared<const Snapshot>("up 1\n"));
  const WebResponse response = Handle(store, "GET", "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body(), "up 1\n");
  EXPECT_EQ(HeaderValue(response, "Content-Encoding"), "");
  EXPECT_EQ(HeaderValue(response, "Vary"), "Accept-Encoding");
}

TEST(WebRoutesTest, TelemetryIsGzipWhenAccepted) {
  SnapshotStore store;
  auto snapshot = std::make_shared<const Snapshot>("up 1\n");
  store.Publish(snapshot);
  const WebResponse response = Handle(store, "GET", "/metrics", "gzip");
  EXPECT_TRUE(response.gzip);
  EXPECT_EQ(HeaderValue(response, "Content-Encoding"), "gzip");
  EXPECT_EQ(response.body(), JoinPieces(snapshot->gzip_pieces()));
}

TEST(WebRoutesTest, ResponseKeepsItsSnapshotAliveAfterANewPublish) {
  SnapshotStore store;
  store.Publish(std::make_shared<const Snapshot>("old 1\n"));
  const WebResponse response = Handle(store, "GET", "/metrics");
  store.Publish(std::make_shared<const Snapshot>("new 1\n"));
  EXPECT_EQ(response.body(), "old 1\n");
}

struct RouteCase {
  std::string method;
  std::string path;
  int status;
  std::string body;  // checked when not empty
};

class WebRoutesStatusTest : public ::testing::TestWithParam<RouteCase> {};

TEST_P(WebRoutesStatusTest, AnswersWithTheExpectedStatus) {
  SnapshotStore store;
  const RouteCase& c = GetParam();
  const WebResponse response = Handle(store, c.method, c.path);
  EXPECT_EQ(response.status, c.status) << c.method << " " << c.path;
  if (!c.body.empty()) {
    EXPECT_EQ(response.body(), c.body);
  }
  if (c.status == 405) {
    EXPECT_EQ(HeaderValue(response, "Allow"), "GET, HEAD");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Routes, WebRoutesStatusTest,
    ::testing::Values(
        RouteCase{"GET", "/-/healthy", 200, "Healthy"},
        RouteCase{"HEAD", "/-/healthy", 200, "Healthy"},
        RouteCase{"GET", "/-/ready", 503,
                  "Not ready: waiting for the first successful poll of the "
                  "state database"},
        RouteCase{"GET", "/", 200, ""}, RouteCase{"HEAD", "/metrics", 200, ""},
        RouteCase{"POST", "/metrics", 405, ""},
        RouteCase{"PUT", "/metrics", 405, ""},
        RouteCase{"DELETE", "/", 405, ""},
        RouteCase{"OPTIONS", "/-/ready", 405, ""},
        RouteCase{"get", "/metrics", 405, ""},  // methods are case-sensitive
        RouteCase{"GET", "/nope", 404, ""},
        RouteCase{"GET", "/metrics/", 404, ""},
        RouteCase{"GET", "/metricsx", 404, ""}, RouteCase{"GET", "", 404, ""},
        RouteCase{"GET", "/-/", 404, ""}, RouteCase{"POST", "/nope", 404, ""}));

TEST(WebRoutesTest, ReadyAfterMarkReady) {
  SnapshotStore store;
  store.MarkReady();
  const WebResponse response = Handle(store, "GET", "/-/ready");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body(), "Ready");
}

TEST(WebRoutesTest, CustomTelemetryPathReplacesMetrics) {
  SnapshotStore store;
  store.Publish(std::make_shared<const Snapshot>("up 1\n"));
  EXPECT_EQ(HandleWebRequest({"GET", "/custom", ""}, "/custom", store).body(),
            "up 1\n");
  EXPECT_EQ(HandleWebRequest({"GET", "/metrics", ""}, "/custom", store).status,
            404);
}

TEST(LandingPageTest, LinksEveryEndpointAndNamesTheVersion) {
  const std::string page = LandingPage("/custom");
  EXPECT_NE(page.find("<title>Pipeline Exporter</title>"), std::string::npos);
  EXPECT_NE(page.find("href=\"/custom\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/-/healthy\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/-/ready\""), std::string::npos);
  EXPECT_NE(page.find(std::string("Version ") + kVersion), std::string::npos);
}

TEST(LandingPageTest, EscapesTheTelemetryPath) {
  const std::string page = LandingPage("/m\"><script>");
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("href=\"/m&quot;&gt;&lt;script&gt;\""),
            std::string::npos);
}

}  // namespace
}  // namespace pe
