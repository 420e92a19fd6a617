#include "exporter/common/clock.h"

#include <gtest/gtest.h>

namespace pe {
namespace {

TEST(SystemClockTest, ReadsTheWallClockInUnixSeconds) {
  const double now = SystemClock()->WallSeconds();
  EXPECT_GT(now, 1.6e9);  // after 2020
  EXPECT_LT(now, 4.1e9);  // before 2100
}

TEST(SystemClockTest, MonotonicSecondsNeverGoBack) {
  const auto clock = SystemClock();
  double last = clock->MonotonicSeconds();
  for (int i = 0; i < 1000; ++i) {
    const double now = clock->MonotonicSeconds();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(ManualClockTest, MovesOnlyWhenAdvancedAndBothReadingsTogether) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.WallSeconds(), 1000);
  const double origin = clock.MonotonicSeconds();
  clock.Advance(2.5);
  EXPECT_EQ(clock.WallSeconds(), 1002.5);
  EXPECT_EQ(clock.MonotonicSeconds() - origin, 2.5);
}

TEST(ManualClockTest, AWallStepBackLeavesTheMonotonicReading) {
  ManualClock clock(1000);
  clock.Advance(10);
  clock.SetWall(500);
  EXPECT_EQ(clock.WallSeconds(), 500);
  EXPECT_EQ(clock.MonotonicSeconds(), 10);
}

}  // namespace
}  // namespace pe
