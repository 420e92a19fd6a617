#include "tools/sim/simulator.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"
#include "tools/sim/bulk_load.h"

namespace pe::sim {
namespace {

using testing::Count;
using testing::Dump;

using std::chrono::seconds;
using std::chrono::system_clock;

// 2025-12-05T10:00:00Z
const system_clock::time_point kStart =
    system_clock::time_point(seconds(1764928800));

class SimulatorTest : public ::testing::Test {
 protected:
  SimulatorTest() {
    options_.worktrees_dir = dir_.File("worktrees");
    options_.artifacts = false;  // slow on some file systems; own tests
    options_.runs_per_minute = 120;
    options_.step_seconds = 2;
  }

  // Plays `total` simulated seconds from kStart in ticks of `tick` seconds.
  std::unique_ptr<Simulator> Play(const std::string& path, int total,
                                  int tick = 10) {
    auto sim = Simulator::Open(path, options_, kStart);
    EXPECT_TRUE(sim.ok()) << sim.status().ToString();
    if (!sim.ok()) return nullptr;
    for (int t = tick; t <= total; t += tick) {
      Status s = (*sim)->Tick(kStart + seconds(t));
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return std::move(*sim);
  }

  testing::TempDir dir_;
  SimOptions options_;
};

TEST_F(SimulatorTest, SameSeedAndTicksGiveIdenticalDatabases) {
  Play(dir_.File("a.db"), 300, 1);
  Play(dir_.File("b.db"), 300, 1);
  const std::string a = Dump(dir_.File("a.db"));
  EXPECT_GT(a.size(), 10000u);
  EXPECT_EQ(a, Dump(dir_.File("b.db")));
}

TEST_F(SimulatorTest, ContentDoesNotDependOnHowTimeIsSlicedIntoTicks) {
  Play(dir_.File("fine.db"), 300, 1);
  Play(dir_.File("coarse.db"), 300, 30);
  EXPECT_EQ(Dump(dir_.File("fine.db")), Dump(dir_.File("coarse.db")));
}

TEST_F(SimulatorTest, AnotherSeedGivesOtherRuns) {
  Play(dir_.File("a.db"), 120);
  options_.seed = 99;
  Play(dir_.File("b.db"), 120);
  EXPECT_NE(Dump(dir_.File("a.db")), Dump(dir_.File("b.db")));
}

TEST_F(SimulatorTest, ProducesEveryKindOfOutcome) {
  options_.fail_rate = 0.3;
  options_.stall_rate = 0.1;
  options_.pending_rate = 0.1;
  const std::string path = dir_.File("x.db");
  auto sim = Play(path, 1800, 60);
  ASSERT_NE(sim, nullptr);
  const SimStats& stats = sim->stats();
  EXPECT_NEAR(static_cast<double>(stats.runs_created), 120 * 30, 300);
  EXPECT_GT(stats.runs_succeeded, 0u);
  EXPECT_GT(stats.runs_failed, 0u);
  EXPECT_GT(stats.runs_quarantined, 0u);
  EXPECT_GT(stats.runs_partial, 0u);
  EXPECT_GT(stats.runs_stalled, 0u);
  EXPECT_GT(stats.runs_never_started, 0u);

  SQLite::Database db(path);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs"),
            static_cast<int64_t>(stats.runs_created));
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM events"),
            static_cast<int64_t>(stats.events));
  // Failed runs carry the error of their failed step.
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'failed'"),
            static_cast<int64_t>(stats.runs_failed));
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state IN ('failed', "
                  "'quarantined') AND NOT EXISTS (SELECT 1 FROM steps s WHERE "
                  "s.run_id = r.run_id AND s.state = 'failed' AND "
                  "length(s.error_message) > 10)"),
            0);
  EXPECT_GT(Count(db,
                  "SELECT COUNT(*) FROM steps WHERE error_message LIKE "
                  "'%No space left on device%' OR error_message LIKE "
                  "'%<b>oops</b>%' OR error_message LIKE '%Traceback%'"),
            0);
  // Never-started runs stay pending with pending steps.
  EXPECT_GE(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'pending'"),
            static_cast<int64_t>(stats.runs_never_started));
  // Stalled runs: running, one step running since long ago, no end.
  EXPECT_GE(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state = 'running' AND "
                  "julianday(updated_at) < julianday('2025-12-05T10:20:00') "
                  "AND EXISTS (SELECT 1 FROM steps s WHERE s.run_id = "
                  "r.run_id AND s.state = 'running')"),
            1);
  // Finished runs have ended_at and no open steps.
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state IN ('succeeded', "
                  "'partial', 'failed', 'quarantined', 'canceled') AND "
                  "(ended_at IS NULL OR EXISTS (SELECT 1 FROM steps s WHERE "
                  "s.run_id = r.run_id AND s.state IN ('pending', "
                  "'running')))"),
            0);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs WHERE updated_at IS NULL"), 0);
}

TEST_F(SimulatorTest, EmitsOrchestratorEventsWithIncreasingIds) {
  options_.fail_rate = 0.3;
  const std::string path = dir_.File("x.db");
  auto sim = Simulator::Open(path, options_, kStart);
  ASSERT_TRUE(sim.ok());
  SQLite::Database db(path);
  int64_t max_id = 0;
  for (int t = 60; t <= 1800; t += 60) {
    ASSERT_TRUE((*sim)->Tick(kStart + seconds(t)).ok());
    const int64_t oldest_new = Count(
        db, "SELECT MIN(id) FROM events WHERE id > " + std::to_string(max_id));
    EXPECT_GT(oldest_new, max_id);
    max_id = Count(db, "SELECT MAX(id) FROM events");
  }
  for (const char* type :
       {"run_created", "run_started", "step_started", "step_completed",
        "step_failed", "run_completed", "run_failed", "run_quarantined",
        "checkpoint_saved", "scheduler_heartbeat"}) {
    EXPECT_GT(Count(db, std::string("SELECT COUNT(*) FROM events WHERE "
                                    "event_type = '") +
                            type + "'"),
              0)
        << type;
  }
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM events WHERE run_id IS NULL"), 0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(DISTINCT severity) FROM events WHERE severity "
                  "IN ('debug', 'info', 'warning', 'error', 'critical')"),
            5);
  // Timestamps come in several of Python's forms.
  EXPECT_GT(Count(db,
                  "SELECT COUNT(*) FROM events WHERE timestamp LIKE "
                  "'%+00:00'"),
            0);
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM events WHERE timestamp LIKE '%Z'"),
            0);
  EXPECT_GT(Count(db,
                  "SELECT COUNT(*) FROM events WHERE timestamp LIKE "
                  "'____-__-__ __:__:__'"),
            0);
}

TEST_F(SimulatorTest, WithoutCompleteRunsFinishedRunsStayRunning) {
  options_.complete_runs = false;
  options_.fail_rate = 0;
  options_.stall_rate = 0;
  const std::string path = dir_.File("x.db");
  auto sim = Play(path, 600);
  ASSERT_NE(sim, nullptr);
  EXPECT_GT(sim->stats().runs_left_running, 10u);
  EXPECT_EQ(sim->stats().runs_succeeded, 0u);
  SQLite::Database db(path);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'succeeded'"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM events WHERE event_type = "
                  "'run_completed'"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs r WHERE state = 'running' AND "
                  "ended_at IS NULL AND NOT EXISTS (SELECT 1 FROM steps s "
                  "WHERE s.run_id = r.run_id AND s.state NOT IN ('completed', "
                  "'failed', 'skipped'))"),
            static_cast<int64_t>(sim->stats().runs_left_running));
}

TEST_F(SimulatorTest, CreatesArtifactFoldersForStartedRuns) {
  options_.artifacts = true;
  options_.runs_per_minute = 30;
  options_.pending_rate = 0;
  const std::string path = dir_.File("x.db");
  auto sim = Play(path, 120);
  ASSERT_NE(sim, nullptr);
  ASSERT_GT(sim->stats().runs_started, 0u);
  EXPECT_EQ(sim->stats().artifact_errors, 0u);
  SQLite::Database db(path);
  SQLite::Statement q(db,
                      "SELECT run_id FROM runs WHERE started_at IS NOT NULL");
  namespace fs = std::filesystem;
  int with_empty_dir = 0;
  while (q.executeStep()) {
    const fs::path root =
        fs::path(options_.worktrees_dir) / q.getColumn(0).getString();
    EXPECT_TRUE(fs::is_regular_file(root / "logs" / "orchestrator.log"));
    EXPECT_TRUE(fs::is_regular_file(root / "logs" / "previous.log.gz"));
    EXPECT_TRUE(
        fs::is_regular_file(root / "output data" / "result summary.json"));
    EXPECT_TRUE(
        fs::is_regular_file(root / "output data" / "résumé ü 数据.txt"));
    EXPECT_TRUE(fs::is_regular_file(root / "work/stage/deep/manifest.txt"));
    if (fs::is_directory(root / "tmp" / "empty")) {
      EXPECT_TRUE(fs::is_empty(root / "tmp" / "empty"));
      ++with_empty_dir;
    }
  }
  EXPECT_GT(with_empty_dir, 0);
  // Pending runs have no folder yet: never-started runs never get one.
}

TEST_F(SimulatorTest, NoArtifactsMeansNoFolders) {
  Play(dir_.File("x.db"), 60);
  EXPECT_FALSE(std::filesystem::exists(options_.worktrees_dir));
}

TEST_F(SimulatorTest, PrunesFinishedRunsOlderThanTheLimit) {
  options_.prune_older_than = std::chrono::hours(24);
  const std::string path = dir_.File("x.db");
  options_.bulk_span = std::chrono::hours(24 * 10);
  ASSERT_TRUE(BulkLoad(path, options_, 1000, 20, kStart).ok());
  auto sim = Play(path, 10);
  ASSERT_NE(sim, nullptr);
  SQLite::Database db(path);
  EXPECT_GT(sim->stats().runs_pruned, 800u);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state NOT IN ('pending', "
                  "'running') AND julianday(ended_at) < "
                  "julianday('2025-12-04T10:00:00')"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM steps WHERE run_id NOT IN (SELECT "
                  "run_id FROM runs)"),
            0);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM events WHERE run_id IS NOT NULL AND "
                  "run_id NOT IN (SELECT run_id FROM runs)"),
            0);
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'succeeded'"),
            50);  // the last day's runs remain
}

TEST_F(SimulatorTest, AdoptsBulkLoadedActiveRunsAndMovesThemOn) {
  options_.runs_per_minute = 0;
  options_.pending_rate = 0;
  options_.stall_rate = 0;
  const std::string path = dir_.File("x.db");
  ASSERT_TRUE(BulkLoad(path, options_, 0, 100, kStart).ok());
  auto sim = Play(path, 600);
  ASSERT_NE(sim, nullptr);
  EXPECT_EQ(sim->stats().runs_adopted, 100u);
  EXPECT_EQ(sim->stats().runs_created, 0u);
  SQLite::Database db(path);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state IN ('pending', "
                  "'running')"),
            0);
}

TEST_F(SimulatorTest, WorksOnALegacyFileWithoutUpdatedAt) {
  const std::string path = dir_.File("legacy.db");
  { testing::FixtureDb legacy(path, /*legacy=*/true); }
  auto sim = Play(path, 300);
  ASSERT_NE(sim, nullptr);
  EXPECT_GT(sim->stats().finished(), 0u);
  SQLite::Database db(path);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE "
                  "name = 'updated_at'"),
            0);
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM runs WHERE ended_at IS NOT NULL"),
            0);
}

TEST_F(SimulatorTest, RestartOnTheSameFileDoesNotReuseRunIds) {
  const std::string path = dir_.File("x.db");
  auto first = Play(path, 120);
  ASSERT_NE(first, nullptr);
  first.reset();
  auto second = Play(path, 120);  // same seed, same start: must not collide
  ASSERT_NE(second, nullptr);
  EXPECT_GT(second->stats().runs_created, 0u);
}

}  // namespace
}  // namespace pe::sim
