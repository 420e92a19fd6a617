#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "exporter/http/civet_tls.h"
#include "exporter/http/web_server.h"
#include "tests/support/http_client.h"

namespace pe {
namespace {

using test::HttpGet;
using test::HttpRequest;
using test::HttpResponse;

// bcrypt (cost 4) of "s3cret".
constexpr const char* kAliceHash =
    "$2b$04$3C8AuH1JsFJeco6nh6C7z.Qu.AWHBunCBQLZKjAum7hcaOEC3fECy";
// "Basic " + base64("alice:s3cret") and base64("alice:wrong").
constexpr const char* kAlice = "Basic YWxpY2U6czNjcmV0";
constexpr const char* kWrong = "Basic YWxpY2U6d3Jvbmc=";

class WebServerSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_->Publish(std::make_shared<const Snapshot>("up 1\n"));
    WebOptions options;
    options.listen_address = "127.0.0.1:0";
    options.security.basic_auth_users = {{"alice", kAliceHash}};
    Result<std::unique_ptr<WebServer>> server =
        WebServer::Start(options, store_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    port_ = server_->ports().at(0);
  }

  HttpResponse Get(const std::string& path, const char* authorization) {
    test::HttpHeaders headers;
    if (authorization != nullptr)
      headers.emplace_back("Authorization", authorization);
    Result<HttpResponse> response = HttpGet(port_, path, headers);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? std::move(response).value() : HttpResponse();
  }

  std::shared_ptr<SnapshotStore> store_ = std::make_shared<SnapshotStore>();
  std::unique_ptr<WebServer> server_;
  int port_ = 0;
};

TEST_F(WebServerSecurityTest, EveryPathWithoutValidCredentialsIs401) {
  for (const char* path :
       {"/metrics", "/", "/-/healthy", "/-/ready", "/not-an-endpoint"}) {
    for (const char* authorization :
         {static_cast<const char*>(nullptr), kWrong, "Basic", "Bearer abc"}) {
      const HttpResponse response = Get(path, authorization);
      EXPECT_EQ(response.status, 401) << path;
      EXPECT_EQ(response.Header("WWW-Authenticate"),
                "Basic realm=\"pipeline_exporter\"")
          << path;
      EXPECT_EQ(response.body.find("up 1"), std::string::npos);
    }
  }
}

TEST_F(WebServerSecurityTest, TheRightCredentialsGetTheUsualAnswers) {
  EXPECT_EQ(Get("/metrics", kAlice).status, 200);
  EXPECT_EQ(Get("/metrics", kAlice).body, "up 1\n");
  EXPECT_EQ(Get("/-/healthy", kAlice).status, 200);
  EXPECT_EQ(Get("/nope", kAlice).status, 404);
}

TEST_F(WebServerSecurityTest, AGetWithABodyIs413) {
  HttpRequest request;
  request.path = "/metrics";
  request.headers = {{"Authorization", kAlice}};
  request.body = std::string(5000, 'x');
  Result<HttpResponse> response = test::HttpSend(port_, request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->Header("Connection"), "close");
}

TEST_F(WebServerSecurityTest, HeadersBeyondTheLimitAreRefused) {
  test::HttpHeaders headers = {{"Authorization", kAlice},
                               {"X-Big", std::string(9000, 'a')}};
  Result<HttpResponse> response = HttpGet(port_, "/metrics", headers);
  // civetweb answers 400 or just closes; never the metrics.
  if (response.ok()) {
    EXPECT_EQ(response->status, 400);
  }
  EXPECT_EQ(Get("/metrics", kAlice).status, 200);  // still serving
}

TEST(WebServerTlsTest, StartsOnlyWhenCivetwebCanLoadOpenssl) {
  WebOptions options;
  options.listen_address = "127.0.0.1:0";
  options.security.tls =
      TlsServerConfig{"/nonexistent.crt", "/nonexistent.key"};
  Result<std::unique_ptr<WebServer>> server =
      WebServer::Start(options, std::make_shared<SnapshotStore>());
  ASSERT_FALSE(server.ok());
  if (!CivetTlsAvailable()) {
    EXPECT_NE(server.status().message().find("native TLS is unavailable"),
              std::string::npos)
        << server.status().message();
  } else {
    EXPECT_NE(server.status().message().find("nonexistent.key"),
              std::string::npos)
        << server.status().message();
  }
}

}  // namespace
}  // namespace pe
