#include "tools/sim/sim_main.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tools/sim/sim_flags.h"

namespace pe::sim {
namespace {

int64_t Count(const std::string& path, const std::string& sql) {
  SQLite::Database db(path);
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

TEST(SimFlagsTest, DefaultsMatchTheUsage) {
  auto flags = ParseSimFlags({"--db", "x.db"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->db, "x.db");
  EXPECT_EQ(flags->options.worktrees_dir, ".worktrees");
  EXPECT_TRUE(flags->options.artifacts);
  EXPECT_EQ(flags->options.seed, 1u);
  EXPECT_EQ(flags->bulk, 0u);
  EXPECT_EQ(flags->options.steps_per_run, 8);
  EXPECT_EQ(flags->options.bulk_span, std::chrono::hours(24 * 30));
  EXPECT_FALSE(flags->options.bulk_artifacts);
  EXPECT_FALSE(flags->live);
  EXPECT_EQ(flags->tick, std::chrono::seconds(1));
  EXPECT_EQ(flags->duration.count(), 0);
  EXPECT_EQ(flags->options.runs_per_minute, 12);
  EXPECT_EQ(flags->options.projects, 4);
  EXPECT_EQ(flags->options.pending_rate, 0.05);
  EXPECT_EQ(flags->options.step_seconds, 5);
  EXPECT_EQ(flags->options.fail_rate, 0.1);
  EXPECT_EQ(flags->options.stall_rate, 0.05);
  EXPECT_TRUE(flags->options.complete_runs);
  EXPECT_FALSE(flags->options.prune_older_than.has_value());
}

TEST(SimFlagsTest, ParsesEveryFlagInBothSpellings) {
  auto flags = ParseSimFlags({"--db=/tmp/s.db",
                              "--worktrees",
                              "wt",
                              "--no-artifacts",
                              "--seed=7",
                              "--bulk",
                              "10",
                              "--bulk-active=3",
                              "--steps-per-run",
                              "4",
                              "--bulk-span=7d",
                              "--bulk-artifacts",
                              "--live",
                              "--duration",
                              "1m",
                              "--tick=250ms",
                              "--runs-per-minute",
                              "60.5",
                              "--projects=30",
                              "--pending-rate",
                              "0",
                              "--step-seconds=0.5",
                              "--fail-rate",
                              "1",
                              "--stall-rate=0.2",
                              "--no-complete-runs",
                              "--prune-older-than",
                              "2h"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->db, "/tmp/s.db");
  EXPECT_EQ(flags->options.worktrees_dir, "wt");
  EXPECT_FALSE(flags->options.artifacts);
  EXPECT_EQ(flags->options.seed, 7u);
  EXPECT_EQ(flags->bulk, 10u);
  EXPECT_EQ(flags->bulk_active, 3u);
  EXPECT_EQ(flags->options.steps_per_run, 4);
  EXPECT_EQ(flags->options.bulk_span, std::chrono::hours(24 * 7));
  EXPECT_TRUE(flags->options.bulk_artifacts);
  EXPECT_TRUE(flags->live);
  EXPECT_EQ(flags->duration, std::chrono::minutes(1));
  EXPECT_EQ(flags->tick, std::chrono::milliseconds(250));
  EXPECT_EQ(flags->options.runs_per_minute, 60.5);
  EXPECT_EQ(flags->options.projects, 30);
  EXPECT_EQ(flags->options.pending_rate, 0);
  EXPECT_EQ(flags->options.step_seconds, 0.5);
  EXPECT_EQ(flags->options.fail_rate, 1);
  EXPECT_EQ(flags->options.stall_rate, 0.2);
  EXPECT_FALSE(flags->options.complete_runs);
  EXPECT_EQ(flags->options.prune_older_than, std::chrono::hours(2));
}

TEST(SimFlagsTest, ParsesTheBulkShapeFlags) {
  auto flags = ParseSimFlags({"--db", "x.db", "--phases", "12",
                              "--workstreams=0", "--workstream-share", "0.25",
                              "--run-id-bytes=36", "--project-bytes", "24",
                              "--phase-bytes=18", "--workstream-bytes", "30",
                              "--events-per-run=7.5", "--error-bytes", "2000"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  const BulkShape& s = flags->options.shape;
  EXPECT_EQ(s.phases, 12);
  EXPECT_EQ(s.workstreams, 0);
  EXPECT_EQ(s.workstream_share, 0.25);
  EXPECT_EQ(s.run_id_bytes, 36u);
  EXPECT_EQ(s.project_bytes, 24u);
  EXPECT_EQ(s.phase_bytes, 18u);
  EXPECT_EQ(s.workstream_bytes, 30u);
  EXPECT_EQ(s.events_per_run, 7.5);
  EXPECT_EQ(s.error_bytes, 2000u);
  // Run ids shorter than 12 bytes could collide.
  EXPECT_FALSE(ParseSimFlags({"--db", "x.db", "--run-id-bytes", "8"}).ok());
}

struct BadFlagCase {
  std::vector<std::string> args;
  std::string names;  // the error must mention this
};

void PrintTo(const BadFlagCase& c, std::ostream* os) {
  *os << "simulate";
  for (const std::string& arg : c.args) *os << ' ' << arg;
}

class BadFlagTest : public ::testing::TestWithParam<BadFlagCase> {};

TEST_P(BadFlagTest, IsRejectedNamingTheFlag) {
  auto flags = ParseSimFlags(GetParam().args);
  ASSERT_FALSE(flags.ok());
  EXPECT_EQ(flags.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(flags.status().message().find(GetParam().names), std::string::npos)
      << flags.status().message();
}

TEST_P(BadFlagTest, MakesMainExitWithStatus2) {
  EXPECT_EQ(Main(GetParam().args), 2);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadFlagTest,
    ::testing::Values(
        BadFlagCase{{}, "--db"}, BadFlagCase{{"--bulk", "5"}, "--db"},
        BadFlagCase{{"--db"}, "--db"},
        BadFlagCase{{"--db", "x", "--seed", "abc"}, "--seed"},
        BadFlagCase{{"--db", "x", "--seed=-1"}, "--seed"},
        BadFlagCase{{"--db", "x", "--bulk", "1e3"}, "--bulk"},
        BadFlagCase{{"--db", "x", "--steps-per-run", "0"}, "--steps-per-run"},
        BadFlagCase{{"--db", "x", "--fail-rate", "1.5"}, "--fail-rate"},
        BadFlagCase{{"--db", "x", "--pending-rate=nan"}, "--pending-rate"},
        BadFlagCase{{"--db", "x", "--stall-rate", "-0.1"}, "--stall-rate"},
        BadFlagCase{{"--db", "x", "--tick", "0s"}, "--tick"},
        BadFlagCase{{"--db", "x", "--tick", "5"}, "--tick"},
        BadFlagCase{{"--db", "x", "--bulk-span", "1x"}, "--bulk-span"},
        BadFlagCase{{"--db", "x", "--prune-older-than", ""},
                    "--prune-older-than"},
        BadFlagCase{{"--db", "x", "--live=yes"}, "--live"},
        BadFlagCase{{"--db", "x", "--bogus"}, "--bogus"},
        BadFlagCase{{"--db", "x", "stray"}, "stray"},
        BadFlagCase{{"--db", "x", "--worktrees="}, "--worktrees"}));

TEST(SimMainTest, HelpPrintsUsageAndSucceeds) {
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(Main({"--help"}), 0);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("Usage: pipeline_exporter simulate"), std::string::npos);
  EXPECT_NE(out.find("--no-complete-runs"), std::string::npos);
}

TEST(SimMainTest, DbAloneCreatesTheContractSchema) {
  testing::TempDir dir;
  const std::string path = dir.File("new/state/orchestration.db");
  EXPECT_EQ(Main({"--db", path}), 0);
  EXPECT_EQ(Count(path,
                  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                  "AND name IN ('runs', 'steps', 'events')"),
            3);
}

TEST(SimMainTest, BulkThenLiveForADuration) {
  testing::TempDir dir;
  const std::string path = dir.File("s.db");
  const std::string worktrees = dir.File("wt");
  EXPECT_EQ(
      Main({"--db", path, "--worktrees", worktrees, "--bulk", "100",
            "--bulk-active", "20", "--live", "--duration", "1500ms", "--tick",
            "100ms", "--runs-per-minute", "600", "--step-seconds", "0.2"}),
      0);
  EXPECT_GT(Count(path, "SELECT COUNT(*) FROM runs"), 120);
  // New runs were created and runs finished while live.
  EXPECT_GT(Count(path,
                  "SELECT COUNT(*) FROM runs WHERE julianday(created_at) > "
                  "julianday('now', '-1 minute')"),
            0);
  EXPECT_GT(Count(path,
                  "SELECT COUNT(*) FROM runs WHERE julianday(ended_at) > "
                  "julianday('now', '-1 minute')"),
            0);
  EXPECT_TRUE(std::filesystem::is_directory(worktrees));
}

}  // namespace
}  // namespace pe::sim
