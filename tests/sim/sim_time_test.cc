#include "tools/sim/sim_time.h"

#include <gtest/gtest.h>

#include <ostream>
#include <set>

#include "exporter/common/timestamp.h"

namespace pe::sim {
namespace {

// 2025-12-05T10:11:12.345678Z
constexpr Micros kInstant = 1764929472LL * kMicrosPerSecond + 345678;

struct FormCase {
  TimestampForm form;
  const char* text;
};

void PrintTo(const FormCase& c, std::ostream* os) { *os << c.text; }

class SimFormatTimestampTest : public ::testing::TestWithParam<FormCase> {};

TEST_P(SimFormatTimestampTest, WritesThePythonForm) {
  EXPECT_EQ(FormatTimestamp(kInstant, GetParam().form), GetParam().text);
}

TEST_P(SimFormatTimestampTest, ExporterParsesItBackAsUtc) {
  const auto parsed =
      ParseTimestamp(FormatTimestamp(kInstant, GetParam().form));
  ASSERT_TRUE(parsed.has_value()) << GetParam().text;
  EXPECT_NEAR(*parsed, 1764929472.345678, 0.35);  // second forms truncate
}

INSTANTIATE_TEST_SUITE_P(
    AllForms, SimFormatTimestampTest,
    ::testing::Values(
        FormCase{TimestampForm::kIsoMicros, "2025-12-05T10:11:12.345678"},
        FormCase{TimestampForm::kIsoMicrosOffset,
                 "2025-12-05T10:11:12.345678+00:00"},
        FormCase{TimestampForm::kIsoMillisOffset,
                 "2025-12-05T10:11:12.345+00:00"},
        FormCase{TimestampForm::kIsoSecondsZ, "2025-12-05T10:11:12Z"},
        FormCase{TimestampForm::kIsoSeconds, "2025-12-05T10:11:12"},
        FormCase{TimestampForm::kSqliteSeconds, "2025-12-05 10:11:12"}));

TEST(SimFormatTimestampEdgeTest, HandlesEpochLeapDayAndZeroMicros) {
  EXPECT_EQ(FormatTimestamp(0, TimestampForm::kIsoMicros),
            "1970-01-01T00:00:00.000000");
  EXPECT_EQ(FormatTimestamp(951782400LL * kMicrosPerSecond,
                            TimestampForm::kIsoSecondsZ),
            "2000-02-29T00:00:00Z");
}

TEST(MixedTimestampTest, UsesEveryFormAndIsSeeded) {
  Rng a(3), b(3);
  std::set<size_t> lengths;
  for (int i = 0; i < 2000; ++i) {
    const std::string text = MixedTimestamp(a, kInstant);
    EXPECT_EQ(text, MixedTimestamp(b, kInstant));
    lengths.insert(text.size());
  }
  // 26, 32, 29, 20, 19 (two forms share 19 characters).
  EXPECT_EQ(lengths.size(), 5u);
}

}  // namespace
}  // namespace pe::sim
