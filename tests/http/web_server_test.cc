#include "exporter/http/web_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "exporter/common/build_info.h"
#include "tests/support/http_client.h"

namespace pe {
namespace {

using test::HttpClient;
using test::HttpGet;
using test::HttpRequest;
using test::HttpResponse;

// Exposition-like text of about `bytes` bytes with every byte value class
// a body may carry (UTF-8 in label values, escapes).
std::string MetricsText(size_t bytes) {
  std::string text =
      "# HELP pipeline_up Whether the state database was read.\n"
      "# TYPE pipeline_up gauge\n"
      "pipeline_up{db=\"caf\xc3\xa9 \\\"x\\\"\\n\"} 1\n";
  for (int i = 0; text.size() < bytes; ++i) {
    text += "pipeline_run_duration_seconds{pipeline=\"p" +
            std::to_string(i % 101) + "\",run=\"" + std::to_string(i) + "\"} " +
            std::to_string(i * 0.37) + "\n";
  }
  return text;
}

class WebServerTest : public ::testing::Test {
 protected:
  void StartServer(WebOptions options = {}) {
    options.listen_address = "127.0.0.1:0";
    Result<std::unique_ptr<WebServer>> server =
        WebServer::Start(options, store_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_EQ(server_->ports().size(), 1u);
    port_ = server_->ports()[0];
    ASSERT_GT(port_, 0);
  }
  void SetUp() override { StartServer(); }

  std::shared_ptr<const Snapshot> Publish(std::string body) {
    auto snapshot = std::make_shared<const Snapshot>(std::move(body));
    store_->Publish(snapshot);
    return snapshot;
  }

  HttpResponse Get(const std::string& path, test::HttpHeaders headers = {}) {
    Result<HttpResponse> response = HttpGet(port_, path, std::move(headers));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? std::move(response).value() : HttpResponse();
  }

  HttpResponse Send(const std::string& method, const std::string& path) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    Result<HttpResponse> response = test::HttpSend(port_, request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? std::move(response).value() : HttpResponse();
  }

  std::shared_ptr<SnapshotStore> store_ = std::make_shared<SnapshotStore>();
  std::unique_ptr<WebServer> server_;
  int port_ = 0;
};

TEST_F(WebServerTest, ServesTheSnapshotByteExactWithPrometheusHeaders) {
  const std::string body = MetricsText(100000);
  Publish(body);
  const HttpResponse response = Get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.Header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(response.Header("Content-Encoding"), std::nullopt);
  EXPECT_EQ(response.body, body);
}

TEST_F(WebServerTest, ServesAnEmptyBodyBeforeTheFirstPublish) {
  const HttpResponse response = Get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Length"), "0");
  EXPECT_EQ(response.body, "");
}

struct EncodingCase {
  std::string name;
  std::string accept_encoding;  // empty: no header
  bool gzip;
};

class WebServerEncodingTest
    : public WebServerTest,
      public ::testing::WithParamInterface<EncodingCase> {};

TEST_P(WebServerEncodingTest, NegotiatesGzipFromAcceptEncoding) {
  const std::string body = MetricsText(300000);
  Publish(body);
  test::HttpHeaders headers;
  if (!GetParam().accept_encoding.empty()) {
    headers.emplace_back("Accept-Encoding", GetParam().accept_encoding);
  }
  const HttpResponse response = Get("/metrics", headers);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Length"),
            std::to_string(response.body.size()));
  if (GetParam().gzip) {
    EXPECT_EQ(response.Header("Content-Encoding"), "gzip");
    EXPECT_LT(response.body.size(), body.size());
    Result<std::string> plain = test::Gunzip(response.body);
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(*plain, body);
  } else {
    EXPECT_EQ(response.Header("Content-Encoding"), std::nullopt);
    EXPECT_EQ(response.body, body);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, WebServerEncodingTest,
    ::testing::Values(EncodingCase{"None", "", false},
                      EncodingCase{"Gzip", "gzip", true},
                      EncodingCase{"PrometheusDefault",
                                   "gzip, deflate, br, zstd", true},
                      EncodingCase{"GzipRefused", "gzip;q=0", false},
                      EncodingCase{"WildcardRefused", "*;q=0", false},
                      EncodingCase{"Wildcard", "*", true},
                      EncodingCase{"IdentityOnly", "identity", false}),
    [](const auto& info) { return info.param.name; });

TEST_F(WebServerTest, GzipOfferedInASecondAcceptEncodingHeaderCounts) {
  const std::string body = MetricsText(1000);
  Publish(body);
  const HttpResponse response =
      Get("/metrics",
          {{"Accept-Encoding", "identity"}, {"Accept-Encoding", "gzip"}});
  EXPECT_EQ(response.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(test::Gunzip(response.body).value(), body);
}

TEST_F(WebServerTest, HeadSendsHeadersWithoutABodyOnAReusableConnection) {
  const std::string body = MetricsText(200000);
  Publish(body);
  Result<HttpClient> client = HttpClient::Connect("127.0.0.1", port_);
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  HttpRequest head;
  head.method = "HEAD";
  head.path = "/metrics";
  Result<HttpResponse> response = client->Send(head);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(response->body, "");
  ASSERT_TRUE(client->open());

  // Any body bytes after the HEAD response would corrupt this response.
  Result<HttpResponse> next = client->Get("/-/healthy");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "Healthy");
}

TEST_F(WebServerTest, OtherMethodsOnTheTelemetryPathAre405WithAllow) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    const HttpResponse response = Send(method, "/metrics");
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(response.Header("Allow"), "GET, HEAD") << method;
  }
}

TEST_F(WebServerTest, CorsPreflightIsNotAnsweredByCivetweb) {
  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.path = "/metrics";
  preflight.headers = {{"Origin", "http://elsewhere.example"},
                       {"Access-Control-Request-Method", "GET"}};
  Result<HttpResponse> response = test::HttpSend(port_, preflight);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->Header("Access-Control-Allow-Origin"), std::nullopt);
}

TEST_F(WebServerTest, PostWithABodyIs405AndClosesTheConnection) {
  HttpRequest post;
  post.method = "POST";
  post.path = "/metrics";
  post.body = std::string(10000, 'x');
  Result<HttpResponse> response = test::HttpSend(port_, post);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->Header("Connection"), "close");
}

TEST_F(WebServerTest, UnknownPathsAre404AndNothingComesFromDisk) {
  for (const char* path :
       {"/nope", "/metrics/", "/metricsx", "/-/", "/index.html",
        "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/tmp/",
        "/CMakeLists.txt"}) {
    const HttpResponse response = Get(path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.body.find("root:"), std::string::npos) << path;
    EXPECT_EQ(response.body.find("<a href"), std::string::npos) << path;
  }
}

TEST_F(WebServerTest, QueryStringsAreIgnored) {
  Publish("up 1\n");
  EXPECT_EQ(Get("/metrics?name[]=up").body, "up 1\n");
}

TEST_F(WebServerTest, HealthyIs200) {
  const HttpResponse response = Get("/-/healthy");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Healthy");
}

TEST_F(WebServerTest, ReadyIs503UntilMarkReadyThen200) {
  const HttpResponse before = Get("/-/ready");
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.body,
            "Not ready: waiting for the first successful poll of the state "
            "database");
  store_->MarkReady();
  const HttpResponse after = Get("/-/ready");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "Ready");
}

TEST_F(WebServerTest, LandingPageLinksACustomTelemetryPath) {
  server_.reset();
  StartServer(WebOptions{.telemetry_path = "/custom"});
  Publish("up 1\n");

  const HttpResponse page = Get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>Pipeline Exporter</title>"),
            std::string::npos);
  EXPECT_NE(page.body.find("href=\"/custom\""), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/-/healthy\""), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/-/ready\""), std::string::npos);
  EXPECT_NE(page.body.find(kVersion), std::string::npos);
  EXPECT_EQ(Get("/custom").body, "up 1\n");
  EXPECT_EQ(Get("/metrics").status, 404);
}

TEST_F(WebServerTest, ANewSnapshotIsServedByTheNextRequest) {
  Result<HttpClient> client = HttpClient::Connect("127.0.0.1", port_);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  for (int i = 0; i < 5; ++i) {
    const std::string body = "pipeline_polls_total " + std::to_string(i) + "\n";
    Publish(body);
    Result<HttpResponse> response = client->Get("/metrics");
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_EQ(response->body, body);
    EXPECT_EQ(response->Header("Connection"), "keep-alive");
  }
}

TEST_F(WebServerTest, ABusyPortIsAnErrorNamingTheAddress) {
  const std::string address = "127.0.0.1:" + std::to_string(port_);
  Result<std::unique_ptr<WebServer>> second =
      WebServer::Start(WebOptions{.listen_address = address}, store_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIoError);
  EXPECT_NE(second.status().message().find("'" + address + "'"),
            std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
  // The first server is unaffected.
  EXPECT_EQ(Get("/-/healthy").status, 200);
}

TEST(WebServerStartTest, RejectsBadOptionsWithoutStarting) {
  auto store = std::make_shared<SnapshotStore>();
  const struct {
    WebOptions options;
    std::string mention;
  } cases[] = {
      {WebOptions{.listen_address = "nowhere:80"}, "nowhere:80"},
      {WebOptions{.listen_address = "127.0.0.1"}, "127.0.0.1"},
      {WebOptions{.listen_address = "127.0.0.1:0", .telemetry_path = "metrics"},
       "metrics"},
      {WebOptions{.listen_address = "127.0.0.1:0", .threads = 0}, "threads"},
  };
  for (const auto& c : cases) {
    Result<std::unique_ptr<WebServer>> server =
        WebServer::Start(c.options, store);
    ASSERT_FALSE(server.ok()) << c.mention;
    EXPECT_EQ(server.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(server.status().message().find(c.mention), std::string::npos)
        << server.status().message();
  }
  EXPECT_FALSE(
      WebServer::Start(WebOptions{.listen_address = "127.0.0.1:0"}, nullptr)
          .ok());
}

TEST_F(WebServerTest, StoppingTakesWellUnderCivetwebsPollInterval) {
  Get("/-/healthy");
  const auto start = std::chrono::steady_clock::now();
  server_.reset();
  // civetweb alone takes about 2 s (its master thread's poll timeout).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(HttpGet(port_, "/-/healthy").ok());
}

TEST_F(WebServerTest, AClientThatHangsUpMidBodyDoesNotHurtTheServer) {
  const std::string body = MetricsText(5 << 20);
  Publish(body);
  for (int i = 0; i < 5; ++i) {
    Result<HttpClient> client = HttpClient::Connect("127.0.0.1", port_);
    ASSERT_TRUE(client.ok());
    HttpRequest request;
    request.path = "/metrics";
    ASSERT_TRUE(client->Write(request).ok());
    // client goes out of scope here: hang up without reading the body.
  }
  EXPECT_EQ(Get("/metrics").body, body);
}

TEST_F(WebServerTest, EightConcurrentClientsGetExactBytesOfAFiveMegabyteBody) {
  const std::shared_ptr<const Snapshot> snapshot =
      Publish(MetricsText(5 << 20));
  const std::string gzip = JoinPieces(snapshot->gzip_pieces());
  constexpr int kThreads = 8;
  constexpr int kRequests = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::string> first_error(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRequests; ++i) {
        const bool want_gzip = i % 4 == 3;
        test::HttpHeaders headers;
        if (want_gzip) headers.emplace_back("Accept-Encoding", "gzip");
        Result<HttpResponse> response = HttpGet(port_, "/metrics", headers);
        const std::string& expected = want_gzip ? gzip : snapshot->body();
        if (!response.ok() || response->status != 200 ||
            response->body != expected) {
          if (failures[t]++ == 0) {
            first_error[t] =
                response.ok()
                    ? "status " + std::to_string(response->status) + ", " +
                          std::to_string(response->body.size()) + " bytes"
                    : response.status().ToString();
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t << ": " << first_error[t];
  }
}

}  // namespace
}  // namespace pe
