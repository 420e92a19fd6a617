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
