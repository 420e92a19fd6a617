#include "tools/sim/scenario.h"

#include <gtest/gtest.h>

#include <string>

namespace pe::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr const char* kMinimal = "duration: 6h\n";

TEST(ScenarioTest, MinimalScenarioHasTheDocumentedDefaults) {
  auto sc = ParseScenario(kMinimal, "test");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  EXPECT_EQ(sc->name, "scenario");
  EXPECT_EQ(sc->seed, 1u);
  EXPECT_EQ(sc->compression, 1);
  EXPECT_EQ(sc->duration, hours(6));
  EXPECT_EQ(sc->recent_window, hours(1));
  EXPECT_EQ(sc->steps_per_run, 6);
  EXPECT_EQ(sc->step_duration.min, minutes(2));
  EXPECT_TRUE(sc->incidents.empty());
}

TEST(ScenarioTest, ReadsEveryIncidentKindWithItsParameters) {
  auto sc = ParseScenario(R"(
name: day
seed: 7
compression: 240
duration: 24h
history: {runs_per_pair: 2, span: 12h, retired_runs: 3, retired_age: 10d}
incidents:
  - {kind: failed_run, at: 30m, project: proj-b}
  - {kind: partial_run, at: 1h}
  - {kind: stalled_run, at: 2h, stall_for: 50m}
  - {kind: never_started, at: 3h, pending_for: 90m}
  - {kind: step_failure_burst, at: 4h, runs: 6, failed_steps: 3}
  - {kind: archival_failure, at: 5h, duration: 30m}
  - {kind: corrupt_archive, at: 6h}
  - {kind: disk_fill, at: 7h, ramp: 3h, fill_to: 0.9, hold: 30m}
  - {kind: db_unreadable, at: 12h, duration: 15m}
  - {kind: exporter_restart, at: 13h, down_for: 10m}
)",
                          "test");
  ASSERT_TRUE(sc.ok()) << sc.status().ToString();
  EXPECT_EQ(sc->name, "day");
  EXPECT_EQ(sc->seed, 7u);
  EXPECT_EQ(sc->compression, 240);
  EXPECT_EQ(sc->history.runs_per_pair, 2);
  EXPECT_EQ(sc->history.retired_age, hours(240));
  ASSERT_EQ(sc->incidents.size(), 10u);
  EXPECT_EQ(sc->incidents[0].kind, IncidentKind::kFailedRun);
  EXPECT_EQ(sc->incidents[0].project, "proj-b");
  EXPECT_EQ(sc->incidents[2].stall_for, minutes(50));
  EXPECT_EQ(sc->incidents[3].pending_for, minutes(90));
  EXPECT_EQ(sc->incidents[4].runs, 6);
  EXPECT_EQ(sc->incidents[4].failed_steps, 3);
  EXPECT_EQ(sc->incidents[5].duration, minutes(30));
  EXPECT_EQ(sc->incidents[7].fill_to, 0.9);
  EXPECT_EQ(sc->incidents[7].ramp, hours(3));
  EXPECT_EQ(sc->incidents[9].down_for, minutes(10));
  for (size_t i = 0; i < sc->incidents.size(); ++i) {
    EXPECT_STRNE(IncidentKindName(sc->incidents[i].kind), "unknown") << i;
  }
}

struct BadCase {
  const char* yaml;
  const char* message;  // the error must contain this
};

class ScenarioErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ScenarioErrorTest, NamesTheKey) {
  auto sc = ParseScenario(GetParam().yaml, "scenario 'x.yml'");
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(sc.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(sc.status().message().find(GetParam().message), std::string::npos)
      << sc.status().message();
  EXPECT_NE(sc.status().message().find("x.yml"), std::string::npos)
      << sc.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ScenarioErrorTest,
    ::testing::Values(
        BadCase{"name: x\n", "duration: required"},
        BadCase{"duration: 6h\nspeed: 3\n", "speed: unknown key"},
        BadCase{"duration: six hours\n", "duration:"},
        BadCase{"duration: 6h\ncompression: 0\n", "compression: expected a"},
        BadCase{"duration: 6h\nstep_duration: {min: 5m, max: 1m}\n",
                "step_duration: min is above max"},
        BadCase{"duration: 6h\nincidents: {kind: failed_run}\n",
                "incidents: expected a list"},
        BadCase{"duration: 6h\nincidents: [{at: 1h}]\n",
                "incidents[0].kind: required"},
        BadCase{"duration: 6h\nincidents: [{kind: meteor, at: 1h}]\n",
                "incidents[0].kind: unknown kind 'meteor'"},
        BadCase{"duration: 6h\nincidents: [{kind: failed_run}]\n",
                "incidents[0].at: required"},
        BadCase{"duration: 6h\nincidents: [{kind: stalled_run, at: 1h}]\n",
                "incidents[0].stall_for: required"},
        BadCase{"duration: 6h\nincidents: [{kind: failed_run, at: 1h, "
                "stall_for: 1h}]\n",
                "incidents[0].stall_for: unknown key"},
        BadCase{"duration: 6h\nincidents: [{kind: failed_run, at: 7h}]\n",
                "incidents[0].at: must be before the end"},
        BadCase{"duration: 6h\nincidents: [{kind: step_failure_burst, at: "
                "1h, failed_steps: 6}]\n",
                "incidents[0].failed_steps: must be below"},
        BadCase{"duration: 6h\nhistory: {runs: 3}\n",
                "history.runs: unknown key"},
        BadCase{"duration: [6h\n", "YAML syntax error at line"}));

}  // namespace
}  // namespace pe::sim
