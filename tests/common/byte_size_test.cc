#include "exporter/common/byte_size.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace pe {
namespace {

struct SizeCase {
  std::string text;
  std::uint64_t bytes;
};

TEST(ByteSizeTest, AcceptsPlainNumbersAndPowerOf1024Units) {
  const SizeCase cases[] = {
      {"0", 0},
      {"17", 17},
      {"17B", 17},
      {"1KB", 1024},
      {"1KiB", 1024},
      {"512MB", 512ull << 20},
      {"512MiB", 512ull << 20},
      {"10GB", 10ull << 30},
      {"10GiB", 10ull << 30},
      {"2TB", 2ull << 40},
      {"1PiB", 1ull << 50},
  };
  for (const auto& c : cases) {
    auto parsed = ParseByteSize(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, c.bytes) << c.text;
  }
}

TEST(ByteSizeTest, RejectsMalformedTextQuotingIt) {
  for (const std::string text :
       {"", "MB", "-1", "+1", "1.5GB", "1 GB", "1gb", "1XB", "1GBB",
        "99999999999999999999", "20000000PB"}) {
    auto parsed = ParseByteSize(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find("\"" + text + "\""),
              std::string::npos)
        << parsed.status().message();
  }
}

TEST(ByteSizeTest, FormatsWithTheLargestExactUnitAndParsesBack) {
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(17), "17B");
  EXPECT_EQ(FormatByteSize(10ull << 30), "10GB");
  EXPECT_EQ(FormatByteSize(1536ull << 10), "1536KB");
  for (std::uint64_t bytes :
       {0ull, 1ull, 1023ull, 1ull << 20, 3ull << 40, (5ull << 30) + 1}) {
    auto parsed = ParseByteSize(FormatByteSize(bytes));
    ASSERT_TRUE(parsed.ok()) << bytes;
    EXPECT_EQ(*parsed, bytes);
  }
}

}  // namespace
}  // namespace pe
