#include "tools/sim/pruner.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe::sim {
namespace {

using testing::Count;

// 2025-12-05T10:00:00Z
constexpr Micros kCutoff = 1764928800LL * kMicrosPerSecond;

std::set<std::string> RunIds(SQLite::Database& db) {
  std::set<std::string> ids;
  SQLite::Statement q(db, "SELECT run_id FROM runs");
  while (q.executeStep()) ids.insert(q.getColumn(0).getString());
  return ids;
}

class PruneTerminalRunsTest : public ::testing::Test {
 protected:
  void Add(const std::string& id, const std::string& state,
           std::optional<std::string> ended) {
    testing::FixtureDb::Run run;
    run.run_id = id;
    run.state = state;
    run.ended_at = std::move(ended);
    fixture_.AddRun(run);
    fixture_.AddStep(id, "s1", "completed");
    fixture_.AddEvent(id, "run_created");
  }
  testing::TempDir dir_;
  testing::FixtureDb fixture_{dir_.File("x.db")};
};

TEST_F(PruneTerminalRunsTest, DeletesOnlyTerminalRunsThatEndedBeforeTheCutoff) {
  Add("old-iso", "succeeded", "2025-12-05T09:59:59.998");  // ms precision
  Add("old-offset", "failed", "2025-12-05T09:00:00.000+00:00");
  Add("old-z", "canceled", "2025-12-04T10:00:00Z");
  Add("old-space", "quarantined", "2025-12-01 00:00:00");
  Add("recent", "partial", "2025-12-05T10:00:01");
  Add("recent-space", "succeeded", "2025-12-05 10:00:00");  // not before
  Add("old-running", "running", "2025-12-01T00:00:00");
  Add("old-pending", "pending", std::nullopt);
  Add("garbage", "succeeded", "yesterday");
  Add("no-end", "succeeded", std::nullopt);
  fixture_.AddEvent("", "scheduler_heartbeat");

  auto pruned = PruneTerminalRuns(fixture_.db(), kCutoff);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 4u);
  EXPECT_EQ(RunIds(fixture_.db()),
            (std::set<std::string>{"recent", "recent-space", "old-running",
                                   "old-pending", "garbage", "no-end"}));
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM steps"), 6);
  EXPECT_EQ(Count(fixture_.db(),
                  "SELECT COUNT(*) FROM events WHERE run_id IS NOT NULL"),
            6);
  EXPECT_EQ(
      Count(fixture_.db(), "SELECT COUNT(*) FROM events WHERE run_id IS NULL"),
      1);
}

TEST_F(PruneTerminalRunsTest, StopsAfterTheBatchLimitAndResumesNextCall) {
  {
    SQLite::Transaction tx(fixture_.db());
    for (int i = 0; i < 12000; ++i) {
      Add("r" + std::to_string(i), "succeeded", "2025-11-01T00:00:00");
    }
    tx.commit();
  }
  auto first = PruneTerminalRuns(fixture_.db(), kCutoff, /*max_batches=*/2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 10000u);
  auto second = PruneTerminalRuns(fixture_.db(), kCutoff);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2000u);
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM runs"), 0);
}

}  // namespace
}  // namespace pe::sim
