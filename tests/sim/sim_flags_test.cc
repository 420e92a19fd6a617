#include "tools/sim/sim_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace pe::sim {
namespace {

using ::testing::HasSubstr;

// The error message of a command line that must fail.
std::string ErrorOf(const std::vector<std::string>& args) {
  auto flags = ParseSimFlags(args);
  EXPECT_FALSE(flags.ok());
  if (flags.ok()) return "";
  EXPECT_EQ(flags.status().code(), Status::Code::kInvalidArgument);
  return flags.status().message();
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

TEST(SimFlagsTest, ParsesTheScenarioFlags) {
  auto flags =
      ParseSimFlags({"--db", "x.db", "--scenario", "day.yml", "--prepare",
                     "--compression=120", "--archive-dir", "/a",
                     "--ballast-dir=/b", "--truth", "truth.json", "--linger",
                     "--metadata-bytes", "512", "--no-artifacts"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->scenario, "day.yml");
  EXPECT_TRUE(flags->prepare);
  EXPECT_EQ(flags->compression, 120);
  EXPECT_EQ(flags->archive_dir, "/a");
  EXPECT_EQ(flags->ballast_dir, "/b");
  EXPECT_EQ(flags->truth, "truth.json");
  EXPECT_TRUE(flags->linger);
  EXPECT_EQ(flags->options.shape.metadata_bytes, 512u);
  EXPECT_FALSE(flags->seed_given);
}

TEST(SimFlagsTest, ScenarioDefaultsLeaveTheScenarioInCharge) {
  auto flags = ParseSimFlags({"--db", "x.db"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->scenario, "");
  EXPECT_FALSE(flags->prepare);
  EXPECT_FALSE(flags->seed_given);
  EXPECT_EQ(flags->compression, 0);  // the scenario's
  EXPECT_EQ(flags->archive_dir, ".archive");
  EXPECT_EQ(flags->truth, "");
  EXPECT_FALSE(flags->linger);
  EXPECT_FALSE(flags->help);
}

TEST(SimFlagsTest, ASeedGivenEvenAsItsDefaultIsRemembered) {
  auto flags = ParseSimFlags({"--db", "x.db", "--seed", "1"});
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->seed_given);
  EXPECT_EQ(flags->options.seed, 1u);
  auto max = ParseSimFlags({"--db", "x.db", "--seed=18446744073709551615"});
  ASSERT_TRUE(max.ok()) << max.status().ToString();
  EXPECT_EQ(max->options.seed, 18446744073709551615ull);
}

TEST(SimFlagsTest, HelpNeedsNoDatabase) {
  for (const char* flag : {"--help", "-h"}) {
    auto flags = ParseSimFlags({flag});
    ASSERT_TRUE(flags.ok()) << flag;
    EXPECT_TRUE(flags->help);
  }
}

TEST(SimFlagsTest, TheLastOfOpposingSwitchesWins) {
  auto off =
      ParseSimFlags({"--db", "x", "--complete-runs", "--no-complete-runs"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->options.complete_runs);
  auto on =
      ParseSimFlags({"--db", "x", "--no-complete-runs", "--complete-runs"});
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->options.complete_runs);
}

TEST(SimFlagsTest, ErrorsNameTheFlagAndWhatItExpects) {
  EXPECT_EQ(ErrorOf({}), "--db: required");
  EXPECT_EQ(ErrorOf({"--db"}), "--db: missing value");
  EXPECT_EQ(ErrorOf({"--db", "x", "--live=yes"}), "--live: takes no value");
  EXPECT_EQ(ErrorOf({"--db", "x", "--frobnicate"}),
            "unknown flag '--frobnicate'");
  EXPECT_EQ(ErrorOf({"--db", "x", "-q"}), "unknown flag '-q'");
  EXPECT_EQ(ErrorOf({"--db", "x", "extra"}), "unexpected argument 'extra'");
  EXPECT_EQ(ErrorOf({"--db", "x", "--steps-per-run", "1001"}),
            "--steps-per-run: expected an integer in [1, 1000], got '1001'");
  EXPECT_EQ(ErrorOf({"--db", "x", "--fail-rate=2"}),
            "--fail-rate: expected a number in [0, 1], got '2'");
  EXPECT_EQ(ErrorOf({"--db", "x", "--compression", "0.5"}),
            "--compression: expected a number in [1, 100000], got '0.5'");
  EXPECT_EQ(ErrorOf({"--db", "x", "--tick=0s"}),
            "--tick: expected a positive duration, got '0s'");
  EXPECT_EQ(ErrorOf({"--db", "x", "--scenario="}),
            "--scenario: expected a non-empty value, got ''");
  EXPECT_THAT(ErrorOf({"--db", "x", "--duration", "forever"}),
              HasSubstr("--duration: "));
}

TEST(SimFlagsTest, DurationZeroMeansForeverButOtherDurationsMustBePositive) {
  auto flags = ParseSimFlags({"--db", "x", "--duration", "0s"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->duration.count(), 0);
  EXPECT_THAT(ErrorOf({"--db", "x", "--bulk-span", "0s"}),
              HasSubstr("--bulk-span: expected a positive duration"));
  EXPECT_THAT(ErrorOf({"--db", "x", "--prune-older-than", "0s"}),
              HasSubstr("--prune-older-than: expected a positive duration"));
  // bulk-span is kept in seconds: less than one is no span at all.
  EXPECT_THAT(ErrorOf({"--db", "x", "--bulk-span", "500ms"}),
              HasSubstr("--bulk-span: expected a longer duration"));
}

TEST(SimUsageTest, DocumentsEveryFlagItAccepts) {
  const std::string usage = SimUsage();
  EXPECT_EQ(usage.rfind("Usage: pipeline_exporter simulate --db PATH", 0), 0u);
  // Every "--flag" the usage names is one ParseSimFlags knows.
  std::set<std::string> named;
  for (std::size_t pos = usage.find("--"); pos != std::string::npos;
       pos = usage.find("--", pos + 2)) {
    std::size_t end = pos + 2;
    while (end < usage.size() &&
           (std::islower(static_cast<unsigned char>(usage[end])) ||
            usage[end] == '-')) {
      ++end;
    }
    if (end > pos + 2) named.insert(usage.substr(pos, end - pos));
  }
  for (const std::string& flag : named) {
    auto flags = ParseSimFlags({"--help", flag, "1"});
    if (!flags.ok()) {
      EXPECT_THAT(flags.status().message(),
                  ::testing::Not(HasSubstr("unknown flag")))
          << flag;
    }
  }
  // And every flag it accepts is in the usage.
  for (const char* flag : {"--db",
                           "--worktrees",
                           "--no-artifacts",
                           "--seed",
                           "--bulk",
                           "--bulk-active",
                           "--steps-per-run",
                           "--bulk-span",
                           "--bulk-artifacts",
                           "--phases",
                           "--workstreams",
                           "--workstream-share",
                           "--run-id-bytes",
                           "--project-bytes",
                           "--phase-bytes",
                           "--workstream-bytes",
                           "--events-per-run",
                           "--error-bytes",
                           "--metadata-bytes",
                           "--live",
                           "--duration",
                           "--tick",
                           "--runs-per-minute",
                           "--projects",
                           "--pending-rate",
                           "--step-seconds",
                           "--fail-rate",
                           "--stall-rate",
                           "--complete-runs",
                           "--no-complete-runs",
                           "--scenario",
                           "--prepare",
                           "--compression",
                           "--archive-dir",
                           "--ballast-dir",
                           "--truth",
                           "--linger",
                           "--prune-older-than"}) {
    EXPECT_TRUE(named.count(flag)) << flag;
  }
}

}  // namespace
}  // namespace pe::sim
