#include "exporter/http/civet_response.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

constexpr std::time_t kNow = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT

TEST(FormatResponseHeadTest, WritesStatusLengthExtraHeadersDateAndConnection) {
  WebResponse response;
  response.status = 200;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.headers = {{"Vary", "Accept-Encoding"},
                      {"Content-Encoding", "gzip"}};
  EXPECT_EQ(FormatResponseHead(response, "OK", 1234, /*keep_alive=*/true, kNow),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 1234\r\n"
            "Vary: Accept-Encoding\r\n"
            "Content-Encoding: gzip\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
            "Connection: keep-alive\r\n"
            "\r\n");
}

TEST(FormatResponseHeadTest, SaysCloseWhenTheConnectionWillClose) {
  WebResponse response;
  response.status = 405;
  response.content_type = "text/plain; charset=utf-8";
  response.headers = {{"Allow", "GET, HEAD"}};
  EXPECT_EQ(FormatResponseHead(response, "Method Not Allowed", 0,
                               /*keep_alive=*/false, kNow),
            "HTTP/1.1 405 Method Not Allowed\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 0\r\n"
            "Allow: GET, HEAD\r\n"
            "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
            "Connection: close\r\n"
            "\r\n");
}

}  // namespace
}  // namespace pe
