#include "exporter/http/accept_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

struct Case {
  std::string header;
  bool gzip;
};

class AcceptsGzipTest : public ::testing::TestWithParam<Case> {};

TEST_P(AcceptsGzipTest, DecidesFromTokensAndQValues) {
  EXPECT_EQ(AcceptsGzip(GetParam().header), GetParam().gzip)
      << "Accept-Encoding: " << GetParam().header;
}

INSTANTIATE_TEST_SUITE_P(
    Headers, AcceptsGzipTest,
    ::testing::Values(
        // Plain tokens, as Prometheus and browsers send them.
        Case{"gzip", true}, Case{"GZIP", true}, Case{"x-gzip", true},
        Case{"gzip, deflate, br", true}, Case{"deflate,gzip", true},
        Case{"  gzip  ", true},
        // Not offered.
        Case{"", false}, Case{"identity", false}, Case{"deflate, br", false},
        Case{"gzipx", false}, Case{"xgzip", false}, Case{"gzip2", false},
        // q-values: zero refuses, anything above accepts.
        Case{"gzip;q=0", false}, Case{"gzip; q=0", false},
        Case{"gzip;q=0.0", false}, Case{"gzip;q=0.000", false},
        Case{"gzip;Q=0", false}, Case{"gzip;q=0.001", true},
        Case{"gzip;q=0.5", true}, Case{"gzip;q=1", true},
        Case{"gzip;q=1.000", true}, Case{"deflate;q=0, gzip;q=0.2", true},
        // Wildcard, overridden by an explicit gzip entry either way.
        Case{"*", true}, Case{"*;q=0", false}, Case{"gzip;q=0, *", false},
        Case{"*, gzip;q=0", false}, Case{"gzip, *;q=0", true},
        Case{"identity;q=1, *;q=0.1", true},
        // Malformed q-values make the element void.
        Case{"gzip;q=2", false}, Case{"gzip;q=abc", false},
        Case{"gzip;q=0.0001", false}, Case{"gzip;q=", false},
        Case{",,gzip,,", true}, Case{";q=1", false}));

}  // namespace
}  // namespace pe
