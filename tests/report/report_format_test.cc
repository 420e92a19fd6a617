#include "exporter/report/report_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace pe {
namespace {

TEST(ReportFormatTest, FormatsUnixSecondsAsRfc3339Utc) {
  const struct {
    int64_t seconds;
    const char* want;
  } cases[] = {
      {0, "1970-01-01T00:00:00Z"},
      {1764929472, "2025-12-05T10:11:12Z"},
      {951782400, "2000-02-29T00:00:00Z"},  // leap day
      {-1, "1969-12-31T23:59:59Z"},
      {253402300799, "9999-12-31T23:59:59Z"},
      {std::numeric_limits<int64_t>::max(), "9999-12-31T23:59:59Z"},
      {std::numeric_limits<int64_t>::min(), "0000-01-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatRfc3339(c.seconds), c.want) << c.seconds;
  }
}

TEST(ReportFormatTest, FormatsDurationsForPeopleWithPaddedLowerUnits) {
  const struct {
    double seconds;
    const char* want;
  } cases[] = {
      {0, "0ms"},
      {0.25, "250ms"},
      {1, "1s"},
      {45.9, "45s"},
      {60, "1m 00s"},
      {123, "2m 03s"},
      {3723, "1h 02m 03s"},
      {36000, "10h 00m 00s"},
      {93784, "1d 02h 03m 04s"},
      {-1, "-"},
      {std::nan(""), "-"},
      {std::numeric_limits<double>::infinity(), "-"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatHumanDuration(c.seconds), c.want) << c.seconds;
  }
}

TEST(ReportFormatTest, FormatsByteCountsInBinaryUnits) {
  const struct {
    uint64_t bytes;
    const char* want;
  } cases[] = {
      {0, "0 B"},
      {1023, "1023 B"},
      {1024, "1.0 KiB"},
      {1536, "1.5 KiB"},
      {1048575, "1.0 MiB"},  // would round to "1024.0 KiB"
      {48213904, "46.0 MiB"},
      {3ULL << 30, "3.0 GiB"},
      {std::numeric_limits<uint64_t>::max(), "16384.0 PiB"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatHumanBytes(c.bytes), c.want) << c.bytes;
  }
}

TEST(ReportFormatTest, GroupsDigitsInThrees) {
  EXPECT_EQ(FormatGrouped(0), "0");
  EXPECT_EQ(FormatGrouped(999), "999");
  EXPECT_EQ(FormatGrouped(1000), "1,000");
  EXPECT_EQ(FormatGrouped(1234567), "1,234,567");
}

}  // namespace
}  // namespace pe
