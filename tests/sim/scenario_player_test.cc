#include "tools/sim/scenario_player.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "exporter/common/timestamp.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe::sim {
namespace {

using testing::Count;

constexpr Micros kWallStart = 1764928800LL * kMicrosPerSecond;  // 10:00Z
constexpr double kCompression = 60;  // a simulated minute per wall second

class ScenarioPlayerTest : public ::testing::Test {
 protected:
  Scenario Parse(const std::string& incidents, const std::string& extra = "") {
    auto sc = ParseScenario(
        "compression: 60\nduration: 4h\nprojects: 2\n"
        "runs_per_hour: 20\nworker_completes: 0\n" +
            extra + "incidents:\n" + incidents,
        "test");
    EXPECT_TRUE(sc.ok()) << sc.status().ToString();
    return sc.ok() ? *sc : Scenario{};
  }

  PlayPaths Paths() const {
    return {dir_.File("state.db"), dir_.File("worktrees"),
            dir_.File("archives"), dir_.File("archives")};
  }

  // Plays the whole scenario in wall ticks of half a second; `between` runs
  // after every tick with the simulated minute reached.
  GroundTruth Play(const Scenario& sc,
                   const std::function<void(double)>& between = {}) {
    auto player = ScenarioPlayer::Open(
        sc, Paths(), kWallStart,
        [this](const std::string& line) { lines_.push_back(line); });
    EXPECT_TRUE(player.ok()) << player.status().ToString();
    if (!player.ok()) return {};
    Micros wall = kWallStart;
    while (!(*player)->done()) {
      wall += kMicrosPerSecond / 2;
      Status s = (*player)->Tick(wall);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (between) {
        between(static_cast<double>(wall - kWallStart) / kMicrosPerSecond *
                kCompression / 60);
      }
    }
    (*player)->Finish(wall);
    return (*player)->truth();
  }

  // Seconds since kWallStart of a timestamp in the database, times the
  // compression: the simulated instant it stands for.
  static double SimSeconds(const std::string& ts) {
    auto t = ParseTimestamp(ts);
    EXPECT_TRUE(t.has_value()) << ts;
    return (t.value_or(0) - kWallStart / 1e6) * kCompression;
  }

  std::string Query(const std::string& sql) {
    SQLite::Database db(dir_.File("state.db"));
    SQLite::Statement q(db, sql);
    return q.executeStep() ? q.getColumn(0).getString() : "";
  }

  testing::TempDir dir_;
  std::vector<std::string> lines_;
};

TEST_F(ScenarioPlayerTest, BackgroundRunsAllSucceed) {
  GroundTruth truth = Play(Parse("  []\n"));
  SQLite::Database db(dir_.File("state.db"));
  EXPECT_GE(truth.background_runs, 70u);
  EXPECT_EQ(truth.runs_created, truth.background_runs);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs"),
            static_cast<int64_t>(truth.runs_created));
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state NOT IN "
                  "('succeeded', 'running', 'pending')"),
            0);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM steps WHERE state = 'failed'"), 0);
  EXPECT_GT(Count(db, "SELECT COUNT(*) FROM runs WHERE state = 'succeeded'"),
            60);
  EXPECT_TRUE(truth.incidents.empty());
}

TEST_F(ScenarioPlayerTest, FailedRunFailsAtTheStepItsTruthNames) {
  GroundTruth truth = Play(Parse("  - {kind: failed_run, at: 30m}\n"));
  ASSERT_EQ(truth.incidents.size(), 1u);
  const Incident& inc = truth.incidents[0];
  EXPECT_TRUE(inc.injected);
  ASSERT_EQ(inc.alerts.size(), 1u);
  EXPECT_EQ(inc.alerts[0].alertname, "PipelineRunFailed");
  const std::string run = inc.alerts[0].labels.at("run_id");
  EXPECT_EQ(Query("SELECT state FROM runs WHERE run_id = '" + run + "'"),
            "failed");
  EXPECT_EQ(Query("SELECT name FROM steps WHERE state = 'failed' AND run_id "
                  "= '" +
                  run + "'"),
            inc.alerts[0].labels.at("step"));
  EXPECT_NE(Query("SELECT error_message FROM steps WHERE state = 'failed' "
                  "AND run_id = '" +
                  run + "'"),
            "");
  const double ended = SimSeconds(
      Query("SELECT ended_at FROM runs WHERE run_id = '" + run + "'"));
  EXPECT_NEAR(ended, inc.sim_start / 1e6, kCompression);  // 1 s rounding
  EXPECT_EQ(inc.sim_end - inc.sim_start, truth.recent_window);
  EXPECT_EQ(inc.alerts[0].labels.at("project"),
            Query("SELECT project_id FROM runs WHERE run_id = '" + run + "'"));
}

TEST_F(ScenarioPlayerTest, StalledRunMakesNoProgressDuringItsWindow) {
  GroundTruth truth =
      Play(Parse("  - {kind: stalled_run, at: 30m, stall_for: 50m}\n"));
  const Incident& inc = truth.incidents.at(0);
  EXPECT_TRUE(inc.injected);
  EXPECT_EQ(inc.sim_end - inc.sim_start, 50 * 60 * kMicrosPerSecond);
  const std::string run = inc.alerts.at(0).labels.at("run_id");
  SQLite::Database db(dir_.File("state.db"));
  SQLite::Statement q(db, "SELECT timestamp FROM events WHERE run_id = ?");
  q.bind(1, run);
  int inside = 0;
  while (q.executeStep()) {
    const double t = SimSeconds(q.getColumn(0).getString());
    if (t > inc.sim_start / 1e6 + kCompression &&
        t < inc.sim_end / 1e6 - kCompression) {
      ++inside;
    }
  }
  EXPECT_EQ(inside, 0);
  EXPECT_EQ(Query("SELECT state FROM runs WHERE run_id = '" + run + "'"),
            "succeeded");
}

TEST_F(ScenarioPlayerTest, NeverStartedRunStaysPendingUntilItsWindowEnds) {
  double started_minute = -1;
  std::string run;
  GroundTruth truth =
      Play(Parse("  - {kind: never_started, at: 20m, pending_for: 90m}\n"),
           [&](double minute) {
             if (run.empty() || started_minute >= 0) return;
             if (Query("SELECT state FROM runs WHERE run_id = '" + run + "'") !=
                 "pending") {
               started_minute = minute;
             }
           });
  (void)truth;
  run = truth.incidents.at(0).alerts.at(0).labels.at("run_id");
  EXPECT_EQ(truth.incidents[0].sim_end - truth.incidents[0].sim_start,
            90 * 60 * kMicrosPerSecond);
  const double started = SimSeconds(
      Query("SELECT started_at FROM runs WHERE run_id = '" + run + "'"));
  EXPECT_NEAR(started, truth.incidents[0].sim_end / 1e6, kCompression);
}

TEST_F(ScenarioPlayerTest, StepFailureBurstEndsEveryRunPartialInOneProject) {
  GroundTruth truth = Play(Parse(
      "  - {kind: step_failure_burst, at: 1h, runs: 4, failed_steps: 2}\n"));
  const Incident& inc = truth.incidents.at(0);
  ASSERT_EQ(inc.alerts.size(), 5u);
  EXPECT_EQ(inc.alerts[0].alertname, "PipelineStepFailuresElevated");
  SQLite::Database db(dir_.File("state.db"));
  for (size_t i = 1; i < inc.alerts.size(); ++i) {
    const std::string run = inc.alerts[i].labels.at("run_id");
    EXPECT_EQ(inc.alerts[i].labels.at("project"),
              inc.alerts[0].labels.at("project"));
    EXPECT_EQ(Count(db,
                    "SELECT COUNT(*) FROM steps WHERE state = 'failed' "
                    "AND run_id = '" +
                        run + "'"),
              2);
    // Left running with every step terminal: the worker marks it partial.
    EXPECT_EQ(Count(db,
                    "SELECT COUNT(*) FROM steps WHERE state NOT IN "
                    "('completed', 'failed') AND run_id = '" +
                        run + "'"),
              0);
  }
  EXPECT_GT(inc.sim_end, inc.sim_start + truth.recent_window);
}

TEST_F(ScenarioPlayerTest, UnreadableDatabaseIsMissingForItsWindowOnly) {
  bool missing_inside = false, present_after = false;
  GroundTruth truth =
      Play(Parse("  - {kind: db_unreadable, at: 1h, duration: 15m}\n"),
           [&](double minute) {
             const bool exists = std::filesystem::exists(dir_.File("state.db"));
             if (minute > 61 && minute < 74 && !exists) missing_inside = true;
             if (minute > 61 && minute < 74 && exists) ADD_FAILURE() << minute;
             if (minute > 77 && exists) present_after = true;
           });
  EXPECT_TRUE(missing_inside);
  EXPECT_TRUE(present_after);
  EXPECT_TRUE(truth.incidents.at(0).injected);
  // The orchestrator's writes of the outage were written afterwards.
  SQLite::Database db(dir_.File("state.db"));
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs"),
            static_cast<int64_t>(truth.runs_created));
}

TEST_F(ScenarioPlayerTest, ExporterRestartAsksTheHarnessToStopAndStart) {
  GroundTruth truth =
      Play(Parse("  - {kind: exporter_restart, at: 2h, down_for: 10m}\n"));
  std::vector<std::string> actions;
  for (const std::string& line : lines_) {
    if (line.find("\"action\"") != std::string::npos) actions.push_back(line);
  }
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_NE(actions[0].find("stop_exporter"), std::string::npos);
  EXPECT_NE(actions[1].find("start_exporter"), std::string::npos);
  EXPECT_NE(actions[0].find("\"i01\""), std::string::npos);
  EXPECT_EQ(truth.incidents.at(0).sim_start, 2 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(truth.incidents.at(0).sim_end, 130 * 60 * kMicrosPerSecond);
}

TEST_F(ScenarioPlayerTest, DiskFillRefusesAVolumeLargerThanOneGiB) {
  // The test folder is on the machine's disk, not a small tmpfs.
  std::filesystem::create_directories(dir_.File("archives"));
  GroundTruth truth = Play(Parse(
      "  - {kind: disk_fill, at: 1h, ramp: 1h, fill_to: 0.9, hold: 10m}\n"));
  EXPECT_FALSE(truth.incidents.at(0).injected);
  EXPECT_NE(truth.incidents[0].detail.find("at most 1 GiB"), std::string::npos)
      << truth.incidents[0].detail;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("archives/ballast")));
}

TEST_F(ScenarioPlayerTest, CorruptArchiveIsNotInjectedWithoutAnArchive) {
  GroundTruth truth = Play(Parse("  - {kind: corrupt_archive, at: 1h}\n"));
  EXPECT_FALSE(truth.incidents.at(0).injected);
  EXPECT_NE(truth.incidents[0].detail.find("no archived run"),
            std::string::npos);
}

TEST_F(ScenarioPlayerTest, ArchivalFailureLeavesAFileWhereTheWorktreeBelongs) {
  bool file_seen = false;
  std::string run;
  GroundTruth truth =
      Play(Parse("  - {kind: archival_failure, at: 30m, duration: 30m}\n"),
           [&](double) {
             if (file_seen) return;
             SQLite::Database db(dir_.File("state.db"));
             SQLite::Statement q(db, "SELECT run_id FROM runs");
             while (q.executeStep()) {
               const auto p = std::filesystem::path(dir_.File("worktrees")) /
                              q.getColumn(0).getString();
               if (std::filesystem::is_regular_file(p)) {
                 file_seen = true;
                 run = q.getColumn(0).getString();
               }
             }
           });
  EXPECT_TRUE(file_seen);
  EXPECT_TRUE(truth.incidents.at(0).injected);
  EXPECT_EQ(truth.incidents[0].sim_end - truth.incidents[0].sim_start,
            30 * 60 * kMicrosPerSecond);
  EXPECT_TRUE(std::filesystem::is_directory(
      std::filesystem::path(dir_.File("worktrees")) / run));
}

TEST_F(ScenarioPlayerTest, SameSeedSameTruthOtherSeedOtherRuns) {
  const Scenario sc = Parse("  - {kind: failed_run, at: 30m}\n");
  const std::string a = GroundTruthJson(Play(sc));
  std::filesystem::remove_all(dir_.path() / "worktrees");
  for (const char* f : {"state.db", "state.db-wal", "state.db-shm"}) {
    std::filesystem::remove(dir_.File(f));
  }
  EXPECT_EQ(a, GroundTruthJson(Play(sc)));
  Scenario other = sc;
  other.seed = 2;
  std::filesystem::remove_all(dir_.path() / "worktrees");
  for (const char* f : {"state.db", "state.db-wal", "state.db-shm"}) {
    std::filesystem::remove(dir_.File(f));
  }
  EXPECT_NE(a, GroundTruthJson(Play(other)));
}

TEST_F(ScenarioPlayerTest, LingerGoesOnWithBackgroundRunsPastTheEnd) {
  const Scenario sc = Parse("  []\n");
  auto player =
      ScenarioPlayer::Open(sc, Paths(), kWallStart, [](const std::string&) {});
  ASSERT_TRUE(player.ok()) << player.status().ToString();
  const Micros end = kWallStart + 4 * 60 * kMicrosPerSecond;  // 4h at 60x
  ASSERT_TRUE((*player)->Tick(end).ok());
  ASSERT_TRUE((*player)->done());
  const uint64_t at_end = (*player)->truth().runs_created;
  // Without lingering, time stops at the end.
  ASSERT_TRUE((*player)->Tick(end + 60 * kMicrosPerSecond).ok());
  EXPECT_EQ((*player)->truth().runs_created, at_end);
  (*player)->Linger();
  ASSERT_TRUE((*player)->Tick(end + 60 * kMicrosPerSecond).ok());
  EXPECT_GE((*player)->truth().runs_created, at_end + 10);  // 20 an hour
  SQLite::Database db(dir_.File("state.db"));
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE state = 'running' AND "
                  "run_id IN (SELECT run_id FROM steps GROUP BY run_id "
                  "HAVING SUM(state = 'completed') = COUNT(*))"),
            0);
}

TEST(PrepareScenarioTest, HistoryHasRecentSuccessesAndARetiredPhase) {
  testing::TempDir dir;
  auto sc = ParseScenario(
      "compression: 240\nduration: 1h\nprojects: 2\nhistory: "
      "{runs_per_pair: 2, span: 12h, retired_runs: 3, retired_age: 10d}\n",
      "test");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  ASSERT_TRUE(PrepareScenario(*sc, dir.File("s.db"), kWallStart).ok());
  SQLite::Database db(dir.File("s.db"));
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE phase_id != "
                  "'phase0_legacy'"),
            2 * 5 * 2);
  EXPECT_EQ(Count(db,
                  "SELECT COUNT(*) FROM runs WHERE phase_id = "
                  "'phase0_legacy'"),
            3);
  EXPECT_EQ(Count(db, "SELECT COUNT(*) FROM runs WHERE state != 'succeeded'"),
            0);
  // Compressed like the play: 12h of history is 12h/240 = 3 wall minutes.
  SQLite::Statement q(db, "SELECT ended_at, phase_id FROM runs");
  while (q.executeStep()) {
    auto t = ParseTimestamp(q.getColumn(0).getString());
    ASSERT_TRUE(t.has_value());
    const double ago_sim = (kWallStart / 1e6 - *t) * 240;
    if (q.getColumn(1).getString() == "phase0_legacy") {
      EXPECT_GE(ago_sim, 10 * 86400 - 2);
    } else {
      EXPECT_LE(ago_sim, 12 * 3600 + 600 + 2);
      EXPECT_GE(ago_sim, 600 - 2);
    }
  }
}

}  // namespace
}  // namespace pe::sim
