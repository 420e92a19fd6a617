#include "exporter/state/parse_errors.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace pe {
namespace {

double Total(const ParseErrors& errors, const std::string& field) {
  auto totals = errors.totals();
  auto it = totals.find(field);
  return it == totals.end() ? 0 : it->second;
}

TEST(ParseErrorsTest, CountsEachBadValueOfARowOnceAndNeverAMissingOne) {
  ParseErrors errors;
  EXPECT_EQ(errors.Timestamp("runs.ended_at", "a", "2025-12-05T10:11:12"),
            1764929472);
  EXPECT_FALSE(errors.Timestamp("runs.ended_at", "a", ""));
  EXPECT_FALSE(errors.Timestamp("runs.ended_at", "a", "soon"));
  EXPECT_FALSE(errors.Timestamp("runs.ended_at", "a", "soon"));  // again
  EXPECT_FALSE(errors.Timestamp("runs.ended_at", "b", "later"));
  EXPECT_FALSE(errors.Timestamp("runs.created_at", "a", "never"));
  EXPECT_EQ(Total(errors, "runs.ended_at"), 2);
  EXPECT_EQ(Total(errors, "runs.created_at"), 1);
}

TEST(ParseErrorsTest, TwoThreadsReportingAtOnceLoseNoCount) {
  ParseErrors errors;
  const auto report = [&](const std::string& prefix) {
    for (int i = 0; i < 2000; ++i) {
      errors.Timestamp("steps.ended_at", prefix + std::to_string(i), "bad");
    }
  };
  std::thread other(report, "side/");
  report("poller/");
  other.join();
  EXPECT_EQ(Total(errors, "steps.ended_at"), 4000);
}

}  // namespace
}  // namespace pe
