#include "exporter/metrics/run_exposition.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

constexpr std::size_t kInfo = 0, kStatus = 1, kSteps = 2, kCreated = 3,
                      kStart = 4, kEnd = 5, kLastProgress = 6, kFailure = 7;

TrackedRun MakeRun(RunState state) {
  TrackedRun run;
  run.row.run_id = "01RUN";
  run.row.project = "proj";
  run.row.phase = "build";
  run.row.workstream = "ws";
  run.row.state = state;
  run.row.created_at = 100;
  run.row.started_at = 110;
  if (IsTerminal(state)) run.row.ended_at = 200;
  run.steps.counts[static_cast<int>(StepState::kCompleted)] = 2;
  run.steps.counts[static_cast<int>(StepState::kFailed)] =
      state == RunState::kFailed ? 1 : 0;
  run.steps.failed_step = "compile";
  run.steps.failed_reason = "exit 1";
  return run;
}

TEST(RunExpositionTest, AnActiveRunHasItsProgressAndOnlyNonZeroStepStates) {
  const auto lines = RunExposition::Render(MakeRun(RunState::kRunning), 120);
  EXPECT_EQ(lines[kSteps],
            "pipeline_run_steps{run_id=\"01RUN\",state=\"completed\"} 2\n");
  EXPECT_EQ(lines[kCreated],
            "pipeline_run_created_timestamp_seconds{run_id=\"01RUN\"} 100\n");
  EXPECT_EQ(lines[kStart],
            "pipeline_run_start_timestamp_seconds{run_id=\"01RUN\"} 110\n");
  EXPECT_EQ(lines[kLastProgress],
            "pipeline_run_last_progress_timestamp_seconds{run_id=\"01RUN\"} "
            "110\n");
  EXPECT_EQ(lines[kEnd], "");
  EXPECT_EQ(lines[kFailure], "");
}

TEST(RunExpositionTest, OnlyInfoAndFailureInfoCarryProjectAndPhase) {
  const auto lines = RunExposition::Render(MakeRun(RunState::kFailed), 120);
  EXPECT_EQ(lines[kInfo],
            "pipeline_run_info{run_id=\"01RUN\",project=\"proj\",phase="
            "\"build\",workstream=\"ws\"} 1\n");
  EXPECT_EQ(lines[kStatus],
            "pipeline_run_status{run_id=\"01RUN\",state=\"failed\"} 1\n");
  EXPECT_EQ(lines[kFailure],
            "pipeline_run_failure_info{run_id=\"01RUN\",project=\"proj\","
            "phase=\"build\",state=\"failed\",step=\"compile\",reason=\"exit "
            "1\"} 1\n");
}

TEST(RunExpositionTest, AnEndedRunKeepsItsStateStartEndAndFailureOnly) {
  for (RunState state : {RunState::kSucceeded, RunState::kFailed,
                         RunState::kPartial, RunState::kCanceled}) {
    const auto lines = RunExposition::Render(MakeRun(state), 120);
    EXPECT_NE(lines[kInfo], "");
    EXPECT_NE(lines[kStatus], "");
    EXPECT_NE(lines[kStart], "");
    EXPECT_EQ(lines[kEnd],
              "pipeline_run_end_timestamp_seconds{run_id=\"01RUN\"} 200\n");
    EXPECT_EQ(lines[kSteps], "") << Name(state);
    EXPECT_EQ(lines[kCreated], "") << Name(state);
    EXPECT_EQ(lines[kLastProgress], "") << Name(state);
    EXPECT_EQ(lines[kFailure].empty(), !pe::HasFailure(state)) << Name(state);
  }
}

}  // namespace
}  // namespace pe
