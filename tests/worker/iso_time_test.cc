#include "exporter/worker/iso_time.h"

#include <gtest/gtest.h>

#include "exporter/common/timestamp.h"

namespace pe {
namespace {

TEST(WorkerIsoTimeTest, FormatsUtcWithMicrosecondsAndOffset) {
  struct Case {
    double unix_seconds;
    const char* want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000000+00:00"},
      {1764929472.345678, "2025-12-05T10:11:12.345678+00:00"},
      {1764929472.9999996, "2025-12-05T10:11:13.000000+00:00"},
      {951782400, "2000-02-29T00:00:00.000000+00:00"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatIsoUtc(c.unix_seconds), c.want);
  }
}

TEST(WorkerIsoTimeTest, RoundTripsThroughParseTimestamp) {
  for (double t : {1.5, 1764929472.345678, 1764929472.0, 4102444799.999999}) {
    const auto parsed = ParseTimestamp(FormatIsoUtc(t));
    ASSERT_TRUE(parsed.has_value()) << FormatIsoUtc(t);
    EXPECT_NEAR(*parsed, t, 1e-6);
  }
}

}  // namespace
}  // namespace pe
