#include "exporter/http/listen_address.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

struct Valid {
  std::string address;
  std::string civet;
};

class ListenAddressValidTest : public ::testing::TestWithParam<Valid> {};

TEST_P(ListenAddressValidTest, TranslatesToCivetwebListeningPorts) {
  Result<std::string> ports =
      CivetListeningPorts(GetParam().address, /*ipv6_supported=*/true);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  EXPECT_EQ(*ports, GetParam().civet);
}

INSTANTIATE_TEST_SUITE_P(
    Addresses, ListenAddressValidTest,
    ::testing::Values(Valid{":9879", "9879"}, Valid{":0", "0"},
                      Valid{"127.0.0.1:0", "127.0.0.1:0"},
                      Valid{"0.0.0.0:9879", "0.0.0.0:9879"},
                      Valid{"10.1.2.3:65535", "10.1.2.3:65535"},
                      Valid{"localhost:9879", "127.0.0.1:9879"},
                      Valid{"[::1]:9879", "[::1]:9879"},
                      Valid{"[::]:80", "[::]:80"}));

class ListenAddressInvalidTest : public ::testing::TestWithParam<std::string> {
};

TEST_P(ListenAddressInvalidTest, IsInvalidArgumentNamingTheAddress) {
  Result<std::string> ports =
      CivetListeningPorts(GetParam(), /*ipv6_supported=*/true);
  ASSERT_FALSE(ports.ok());
  EXPECT_EQ(ports.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(ports.status().message().find("'" + GetParam() + "'"),
            std::string::npos)
      << ports.status().message();
}

INSTANTIATE_TEST_SUITE_P(Addresses, ListenAddressInvalidTest,
                         ::testing::Values("", "9879", ":",
                                           "127.0.0.1:", ":65536", ":99999999",
                                           ":-1", ":80s", ":80r",
                                           "1.2.3.4:80,8080", "example.com:80",
                                           "999.1.1.1:80", "::1:80", "[::1:80",
                                           "[nope]:80", "127.0.0.1 :80"));

TEST(ListenAddressTest, Ipv6IsRejectedWhenCivetwebLacksIt) {
  Result<std::string> ports =
      CivetListeningPorts("[::1]:9879", /*ipv6_supported=*/false);
  ASSERT_FALSE(ports.ok());
  EXPECT_NE(ports.status().message().find("IPv6"), std::string::npos);
}

TEST(LocalConnectHostTest, NamesAnAddressThatReachesTheListener) {
  const struct {
    std::string address;
    std::string host;
  } cases[] = {
      {":9879", "127.0.0.1"},
      {"0.0.0.0:9879", "127.0.0.1"},
      {"localhost:1", "127.0.0.1"},
      {"127.0.0.1:0", "127.0.0.1"},
      {"10.1.2.3:80", "10.1.2.3"},
      {"[::1]:80", ""},
      {"nonsense", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(LocalConnectHost(c.address), c.host) << c.address;
  }
}

}  // namespace
}  // namespace pe
