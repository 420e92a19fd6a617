#include "exporter/common/timestamp.h"

#include <gtest/gtest.h>

#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace pe {
namespace {

// 2025-12-05T10:11:12Z
constexpr double kBase = 1764929472;

struct Case {
  const char* text;
  std::optional<double> want;
};

class TimestampTest : public ::testing::TestWithParam<Case> {};

TEST_P(TimestampTest, ParsesEveryContractFormAndRejectsGarbage) {
  const Case& c = GetParam();
  auto got = ParseTimestamp(c.text);
  ASSERT_EQ(got.has_value(), c.want.has_value()) << c.text;
  if (c.want) {
    EXPECT_NEAR(*got, *c.want, 1e-6) << c.text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, TimestampTest,
    ::testing::Values(
        // Every form the state contract lists.
        Case{"2025-12-05T10:11:12", kBase},
        Case{"2025-12-05T10:11:12.345678", kBase + 0.345678},
        Case{"2025-12-05T10:11:12Z", kBase},
        Case{"2025-12-05T10:11:12.345+00:00", kBase + 0.345},
        Case{"2025-12-05 10:11:12", kBase},
        // Offsets other than UTC and other fraction lengths.
        Case{"2025-12-05T12:11:12+02:00", kBase},
        Case{"2025-12-05T05:11:12-0500", kBase},
        Case{"2025-12-05T10:11:12.1Z", kBase + 0.1},
        Case{"2025-12-05T10:11:12.123456789", kBase + 0.123456789},
        Case{"2024-02-29T00:00:00", 1709164800},
        Case{"1970-01-01T00:00:00Z", 0},
        Case{"2025-12-05T10:11:12.5Z", kBase + 0.5},
        Case{"2025-12-05T15:41:12.25+05:30", kBase + 0.25},
        Case{"2025-12-05T10:11:12-00:00", kBase},
        Case{"2025-12-05T10:11:60", kBase + 48},  // a leap second
        // Garbage, truncation and out-of-range fields.
        Case{"", std::nullopt}, Case{"yesterday", std::nullopt},
        Case{"2025-12-05", std::nullopt},
        Case{"2025-12-05T10:11", std::nullopt},
        Case{"2025-12-05T10:11:12.", std::nullopt},
        Case{"2025-12-05T10:11:12.1234567890", std::nullopt},
        Case{"2025-12-05T10:11:12Zjunk", std::nullopt},
        Case{"2025-12-05T10:11:12 ", std::nullopt},
        Case{"2025-13-05T10:11:12", std::nullopt},
        Case{"2025-02-30T10:11:12", std::nullopt},
        Case{"2023-02-29T10:11:12", std::nullopt},
        Case{"2025-12-05T24:00:00", std::nullopt},
        Case{"2025-12-05T10:60:00", std::nullopt},
        Case{"2025-12-05T10:11:12+25:00", std::nullopt},
        Case{"2025-12-05X10:11:12", std::nullopt},
        Case{"1733393472", std::nullopt},
        Case{"2025-12-05T10:11:12+05", std::nullopt},
        Case{"2025-12-05T10:11:12+05:", std::nullopt},
        Case{"2025-12-05T10:11:12+05:3", std::nullopt},
        Case{"2025-12-05T10:11:12-", std::nullopt},
        Case{"2025-12-05T10:11:12+0a:00", std::nullopt},
        Case{"2025-12-05T1a:11:12", std::nullopt},
        Case{"2025-12-05T10:11:1", std::nullopt},
        Case{"2025-12-05T10:11:12.Z", std::nullopt},
        Case{"2025-12-05T10:11:12.5.5", std::nullopt},
        Case{"+025-12-05T10:11:12", std::nullopt},
        Case{"2025-12-00T10:11:12", std::nullopt},
        Case{"2025-00-05T10:11:12", std::nullopt},
        Case{"1969-12-31T23:59:59", std::nullopt}));

// Every second from 1970 to 2100 (a sample of them) in each form the
// contract lists parses back to itself.
TEST(TimestampRoundTrip, EveryFormOfRandomInstantsParsesBack) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> instant(0, 4102444799);  // 2099-12-31
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = instant(rng);
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char base[32];
    std::strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    const std::string iso = base;
    std::string spaced = iso;
    spaced[10] = ' ';
    for (const auto& [text, want] : std::vector<std::pair<std::string, double>>{
             {iso, t},
             {iso + ".345678", t + 0.345678},
             {iso + "Z", t},
             {iso + ".345+00:00", t + 0.345},
             {spaced, t}}) {
      auto got = ParseTimestamp(text);
      ASSERT_TRUE(got.has_value()) << text;
      EXPECT_NEAR(*got, want, 1e-6) << text;
    }
  }
}

}  // namespace
}  // namespace pe
