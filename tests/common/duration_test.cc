#include "exporter/common/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <ostream>
#include <string>

namespace pe {
namespace {

using std::chrono::milliseconds;

struct ValidCase {
  const char* text;
  int64_t millis;
  const char* canonical;
};

void PrintTo(const ValidCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class DurationValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(DurationValidTest, ParsesToMillisecondsAndFormatsCanonically) {
  const ValidCase& c = GetParam();
  Result<milliseconds> parsed = ParseDuration(c.text);
  ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
  EXPECT_EQ(parsed->count(), c.millis) << c.text;
  EXPECT_EQ(FormatDuration(*parsed), c.canonical) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Duration, DurationValidTest,
    ::testing::Values(
        ValidCase{"0s", 0, "0s"}, ValidCase{"0ms", 0, "0s"},
        ValidCase{"500ms", 500, "500ms"}, ValidCase{"1s", 1000, "1s"},
        ValidCase{"10s", 10000, "10s"}, ValidCase{"90s", 90000, "1m30s"},
        ValidCase{"2m", 120000, "2m"}, ValidCase{"1h", 3600000, "1h"},
        ValidCase{"1h30m", 5400000, "1h30m"}, ValidCase{"1d", 86400000, "1d"},
        ValidCase{"7d", 604800000, "1w"}, ValidCase{"2w", 1209600000, "2w"},
        ValidCase{"1y", 31536000000, "1y"},
        ValidCase{"1d2h3m4s5ms", 93784005, "1d2h3m4s5ms"},
        ValidCase{"1s500ms", 1500, "1s500ms"},
        ValidCase{"0010s", 10000, "10s"}));

struct InvalidCase {
  const char* text;
  const char* reason;  // expected in the message
};

void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class DurationInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(DurationInvalidTest, IsRejectedWithQuotedInputAndReason) {
  const InvalidCase& c = GetParam();
  Result<milliseconds> parsed = ParseDuration(c.text);
  ASSERT_FALSE(parsed.ok()) << "accepted \"" << c.text << "\"";
  EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
  const std::string& message = parsed.status().message();
  EXPECT_NE(message.find("\"" + std::string(c.text) + "\""), std::string::npos)
      << message;
  EXPECT_NE(message.find(c.reason), std::string::npos) << message;
  EXPECT_NE(message.find("10s"), std::string::npos)
      << "message should show a valid example: " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Duration, DurationInvalidTest,
    ::testing::Values(
        InvalidCase{"", "empty"}, InvalidCase{"-5s", "negative"},
        InvalidCase{"10", "missing unit"}, InvalidCase{"0", "missing unit"},
        InvalidCase{"1h30", "missing unit"}, InvalidCase{"10x", "unknown unit"},
        InvalidCase{"10 s", "unknown unit"}, InvalidCase{"10S", "unknown unit"},
        InvalidCase{"1.5h", "whole"}, InvalidCase{"s", "expected a number"},
        InvalidCase{"+5s", "expected a number"},
        InvalidCase{" 5s", "expected a number"},
        InvalidCase{"ten", "expected a number"},
        InvalidCase{"30m1h", "largest first"},
        InvalidCase{"1s1s", "largest first"},
        InvalidCase{"99999999999999999999s", "too large"},
        InvalidCase{"300000000y", "too large"},
        InvalidCase{"9223372036854775807ms1ms", "largest first"},
        InvalidCase{"9223372036854775s9223372036854775ms", "too large"}));

TEST(DurationFormatTest, ZeroIsZeroSeconds) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
}

TEST(DurationFormatTest, LargestValueRoundTrips) {
  const milliseconds max(std::numeric_limits<int64_t>::max());
  Result<milliseconds> parsed = ParseDuration(FormatDuration(max));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, max);
}

TEST(DurationFormatTest, NegativeValuesKeepTheirSign) {
  EXPECT_EQ(FormatDuration(milliseconds(-1500)), "-1s500ms");
}

}  // namespace
}  // namespace pe
