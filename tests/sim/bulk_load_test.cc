#include "tools/sim/bulk_load.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include "exporter/common/timestamp.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"
#include "tools/sim/run_id.h"

namespace pe::sim {
namespace {

using testing::Count;
using testing::Dump;

using std::chrono::system_clock;

// 2025-12-05T10:00:00Z
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1764928800));

class BulkLoadTest : public ::testing::Test {
 protected:
  BulkLoadTest() { options_.worktrees_dir = dir_.File("worktrees"); }
  testing::TempDir dir_;
  SimOptions options_;
};

TEST_F(BulkLoadTest, LoadsTheRequestedCountsWithContractStatesOnly) {
  const std::string path = dir_.File("state/orchestration.db");
  ASSERT_TRUE(BulkLoad(path, options_, 2000, 300, kNow).ok());
  SQLite::Database db(path);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs"), 2300);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM steps"), 2300 * 8);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state IN ('succeeded', "
                  "'partial', 'failed', 'quarantined', 'canceled')"),
            2000);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state IN ('pending', "
                  "'running')"),
            300);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM steps WHERE state NOT IN ('pending', "
                  "'running', 'completed', 'failed', 'skipped')"),
            0);
  const int64_t events = Count(db, "SELECT COUNT(*) FROM events");
  EXPECT_GT(events, 2300 * 4);
  EXPECT_LT(events, 2300 * 7);
  SQLite::Statement mode(db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.executeStep());
  EXPECT_EQ(mode.getColumn(0).getString(), "wal");
}

TEST_F(BulkLoadTest, OutcomesAreMostlySucceededWithEveryTerminalState) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 5000, 0, kNow).ok());
  SQLite::Database db(path);
  const int64_t succeeded =
      Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'succeeded'");
  EXPECT_NEAR(succeeded / 5000.0, 0.8, 0.03);
  for (const char* state : {"failed", "partial", "quarantined", "canceled"}) {
    EXPECT_GT(
        Count(db, std::string("SELECT COUNT(*) FROM runs WHERE state = '") +
                      state + "'"),
        50)
        << state;
  }
  // Terminal runs are complete rows; failures carry their error text.
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE started_at IS NULL OR "
                  "ended_at IS NULL OR updated_at IS NULL"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state = 'failed' AND NOT "
                  "EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.run_id AND "
                  "s.state = 'failed' AND s.error_message <> '')"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM steps WHERE state IN ('pending', "
                  "'running')"),
            0);
}

TEST_F(BulkLoadTest, SpreadsFinishedRunsOverTheSpanAndActiveOnesOverAnHour) {
  options_.bulk_span = std::chrono::hours(24 * 7);
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 1000, 200, kNow).ok());
  SQLite::Database db(path);
  const double now = 1764928800;
  SQLite::Statement q(db, "SELECT state, created_at, ended_at FROM runs");
  double oldest = now;
  while (q.executeStep()) {
    const std::string state = q.getColumn(0).getString();
    const auto created = ParseTimestamp(q.getColumn(1).getString());
    ASSERT_TRUE(created.has_value()) << q.getColumn(1).getString();
    EXPECT_LE(*created, now);
    oldest = std::min(oldest, *created);
    if (state == "pending" || state == "running") {
      EXPECT_GE(*created, now - 3600);
    } else {
      const auto ended = ParseTimestamp(q.getColumn(2).getString());
      ASSERT_TRUE(ended.has_value());
      EXPECT_LE(*ended, now);
    }
  }
  EXPECT_LT(oldest, now - 6.5 * 86400);
}

TEST_F(BulkLoadTest, ActiveRunsAreMostlyRunningWithOneRunningStep) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 0, 500, kNow).ok());
  SQLite::Database db(path);
  const int64_t running =
      Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'");
  EXPECT_NEAR(running / 500.0, 0.85, 0.06);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state = 'running' AND "
                  "(SELECT COUNT(*) FROM steps s WHERE s.run_id = r.run_id "
                  "AND s.state = 'running') <> 1"),
            0);
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM steps WHERE state = 'completed'"),
            100);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM steps s JOIN runs r USING (run_id) "
                  "WHERE r.state = 'pending' AND s.state <> 'pending'"),
            0);
}

TEST_F(BulkLoadTest, EventsAreAppendedInTimeOrderWithKnownAndUnknownTypes) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 3000, 100, kNow).ok());
  SQLite::Database db(path);
  SQLite::Statement q(db, "SELECT id, timestamp FROM events ORDER BY id");
  int64_t last_id = 0;
  double last_second = 0;
  while (q.executeStep()) {
    EXPECT_GT(q.getColumn(0).getInt64(), last_id);
    last_id = q.getColumn(0).getInt64();
    const auto t = ParseTimestamp(q.getColumn(1).getString());
    ASSERT_TRUE(t.has_value()) << q.getColumn(1).getString();
    EXPECT_GE(static_cast<int64_t>(*t), static_cast<int64_t>(last_second));
    last_second = *t;
  }
  std::set<std::string> types;
  SQLite::Statement t(db, "SELECT DISTINCT event_type FROM events");
  while (t.executeStep()) types.insert(t.getColumn(0).getString());
  for (const char* type :
       {"run_created", "run_started", "step_started", "step_completed",
        "step_failed", "run_completed", "run_failed", "run_quarantined",
        "run_canceled", "checkpoint_saved"}) {
    EXPECT_TRUE(types.count(type)) << type;
  }
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM events WHERE severity NOT IN ('debug', "
                  "'info', 'warning', 'error', 'critical')"),
            0);
}

TEST_F(BulkLoadTest, SameSeedAndInstantGiveIdenticalContent) {
  ASSERT_TRUE(BulkLoad(dir_.File("a.db"), options_, 500, 50, kNow).ok());
  ASSERT_TRUE(BulkLoad(dir_.File("b.db"), options_, 500, 50, kNow).ok());
  options_.seed = 2;
  ASSERT_TRUE(BulkLoad(dir_.File("c.db"), options_, 500, 50, kNow).ok());
  const std::string a = Dump(dir_.File("a.db"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, Dump(dir_.File("b.db")));
  EXPECT_NE(a, Dump(dir_.File("c.db")));
}

TEST_F(BulkLoadTest, RunIdsAreUlidLike) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 200, 20, kNow).ok());
  SQLite::Database db(path);
  SQLite::Statement q(db, "SELECT run_id FROM runs");
  while (q.executeStep()) EXPECT_TRUE(IsUlidLike(q.getColumn(0).getString()));
}

TEST_F(BulkLoadTest, LoadingTwiceAddsNewRunsInsteadOfColliding) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 100, 10, kNow).ok());
  ASSERT_TRUE(BulkLoad(path, options_, 100, 10, kNow).ok());
  SQLite::Database db(path);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs"), 220);
}

TEST_F(BulkLoadTest, ArtifactFoldersOnlyWhenAskedFor) {
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 20, 0, kNow).ok());
  EXPECT_FALSE(std::filesystem::exists(options_.worktrees_dir));
  options_.bulk_artifacts = true;
  ASSERT_TRUE(BulkLoad(path, options_, 20, 0, kNow).ok());
  size_t folders = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(options_.worktrees_dir)) {
    EXPECT_TRUE(IsUlidLike(entry.path().filename().string()));
    ++folders;
  }
  EXPECT_EQ(folders, 20u);
}

}  // namespace
}  // namespace pe::sim
