#include "tools/sim/active_runs.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"
#include "tools/sim/bulk_load.h"

namespace pe::sim {
namespace {

using testing::Count;

using std::chrono::system_clock;

const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1764928800));

class AdvanceActiveRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.worktrees_dir = dir_.File("worktrees");
    ASSERT_TRUE(BulkLoad(path_, options_, 100, 400, kNow).ok());
  }
  testing::TempDir dir_;
  std::string path_ = dir_.File("x.db");
  SimOptions options_;
};

TEST_F(AdvanceActiveRunsTest, MovesKRunsOnAndKeepsTheActiveCount) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE, 5000);
  const int64_t active_before =
      Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'");
  const int64_t events_before = Count(db, "SELECT MAX(id) FROM events");
  auto result = AdvanceActiveRuns(db, 1, 50, kNow + std::chrono::seconds(5));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->advanced, 50u);
  EXPECT_EQ(result->created, result->completed);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'"),
            active_before);
  EXPECT_GE(Count(db, "SELECT COUNT(*) FROM events WHERE id > " +
                          std::to_string(events_before) +
                          " AND event_type = 'step_started'"),
            50 - static_cast<int64_t>(result->completed));
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state = 'running' AND "
                  "(SELECT COUNT(*) FROM steps s WHERE s.run_id = r.run_id "
                  "AND s.state = 'running') > 1"),
            0);
}

TEST_F(AdvanceActiveRunsTest, RepeatedCallsEventuallyCompleteAndReplaceRuns) {
  size_t completed = 0;
  for (int i = 1; i <= 30; ++i) {
    auto result =
        AdvanceActiveRuns(path_, 1, 200, kNow + std::chrono::seconds(i));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    completed += result->completed;
  }
  EXPECT_GT(completed, 100u);
  SQLite::Database db(path_);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state = 'succeeded' "
                  "AND ended_at IS NULL"),
            0);
}

TEST_F(AdvanceActiveRunsTest, KLargerThanTheActiveRunsAdvancesAllOfThem) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE, 5000);
  const int64_t running =
      Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'");
  auto result = AdvanceActiveRuns(db, 1, 100000, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(static_cast<int64_t>(result->advanced), running);
}

}  // namespace
}  // namespace pe::sim
