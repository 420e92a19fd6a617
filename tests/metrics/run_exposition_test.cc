#include "exporter/metrics/run_exposition.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/exposition.h"
#include "tests/support/reconcile.h"

namespace pe {
namespace {

using enum RunExposition::Family;
constexpr RunExposition::Family kFailure = kFailureInfo;

RunRow MakeRow(RunState state) {
  RunRow row;
  row.run_id = "01RUN";
  row.project = "proj";
  row.phase = "build";
  row.workstream = "ws";
  row.state = state;
  row.created_at = 100;
  row.started_at = 110;
  if (IsTerminal(state)) row.ended_at = 200;
  return row;
}

TrackedRun MakeRun(RunState state) {
  TrackedRun run;
  run.row.Assign(MakeRow(state));
  run.steps.counts[static_cast<int>(StepState::kCompleted)] = 2;
  run.steps.counts[static_cast<int>(StepState::kFailed)] =
      state == RunState::kFailed ? 1 : 0;
  run.steps.failure =
      std::make_shared<const StepFailure>(StepFailure{"compile", "exit 1"});
  return run;
}

// The families are named, not numbered: each name stands for one
// declaration, in the order of the body.
TEST(RunExpositionTest, EachFamilyIsTiedToItsDeclarationInBodyOrder) {
  const std::vector<std::string_view> expected = {
      "pipeline_run_info",
      "pipeline_run_status",
      "pipeline_run_steps",
      "pipeline_run_created_timestamp_seconds",
      "pipeline_run_start_timestamp_seconds",
      "pipeline_run_end_timestamp_seconds",
      "pipeline_run_last_progress_timestamp_seconds",
      "pipeline_run_failure_info"};
  ASSERT_EQ(RunExposition::kFamilies, expected.size());
  for (std::size_t f = 0; f < RunExposition::kFamilies; ++f) {
    EXPECT_EQ(RunExposition::DefOf(static_cast<RunExposition::Family>(f)).name,
              expected[f]);
  }
  const RunExposition::RunLines lines =
      RunExposition::Render("r1", MakeRun(RunState::kFailed), 100);
  EXPECT_EQ(lines[kFailureInfo].rfind("pipeline_run_failure_info{", 0), 0u);
  EXPECT_EQ(lines[kStatus].rfind("pipeline_run_status{", 0), 0u);
}

TEST(RunExpositionTest, AnActiveRunHasItsProgressAndOnlyNonZeroStepStates) {
  const auto lines =
      RunExposition::Render("01RUN", MakeRun(RunState::kRunning), 120);
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
  const auto lines =
      RunExposition::Render("01RUN", MakeRun(RunState::kFailed), 120);
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
    const auto lines = RunExposition::Render("01RUN", MakeRun(state), 120);
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

std::string Join(const std::vector<RunExposition::Part>& parts) {
  std::string out;
  for (const auto& part : parts) out += part->text();
  return out;
}

// A start-up renders every bucket, half of them on a second thread; a poll
// renders a few on the poller's. Both give the same text.
TEST(RunExpositionTest, RenderingAllBucketsAtOnceGivesWhatSmallPollsGive) {
  RunTracker tracker(RunTracker::Options{3600, 100000});
  std::vector<RunRow> rows;
  for (int i = 0; i < 5000; ++i) {
    RunRow row = MakeRow(i % 3 == 0 ? RunState::kFailed : RunState::kRunning);
    row.run_id = "run-" + std::to_string(i);
    row.project = "proj-" + std::to_string(i % 7);
    if (row.ended_at) row.ended_at = 1'000'000 - i % 3000;
    rows.push_back(row);
  }
  testing::ReconcileAll(tracker, rows, 1'000'000, false);
  const RunTracker::Changes all = tracker.TakeChanges();
  ASSERT_TRUE(all.all);  // the first read: every bucket at once
  ASSERT_EQ(tracker.tracked_count(), 5000u);

  RunExposition at_once(120);
  at_once.Apply(all, tracker);

  RunExposition in_polls(120);
  RunTracker::Changes poll;
  std::vector<std::string> ids;
  tracker.ForEachTracked(
      [&](std::string_view id, const TrackedRun&) { ids.emplace_back(id); });
  for (const std::string& id : ids) {
    poll.changed.insert(id);
    if (poll.changed.size() == 20) {  // at most 20 buckets each
      in_polls.Apply(poll, tracker);
      poll.changed.clear();
    }
  }
  in_polls.Apply(poll, tracker);

  const std::string text = Join(at_once.Parts());
  EXPECT_EQ(text, Join(in_polls.Parts()));
  EXPECT_NE(text.find("pipeline_run_info{run_id=\"run-4999\""),
            std::string::npos);
}

// Tracks one failed and one running run and renders them with `families`.
std::string RenderTwoRuns(const metrics::FamilySelection& families) {
  RunTracker tracker(RunTracker::Options{3600, 100});
  RunRow failed = MakeRow(RunState::kFailed);
  RunRow running = MakeRow(RunState::kRunning);
  running.run_id = "02RUN";
  testing::ReconcileAll(tracker, {failed, running}, 300, false);
  RunExposition exposition(120, families);
  exposition.Apply(tracker.TakeChanges(), tracker);
  return Join(exposition.Parts());
}

TEST(RunExpositionTest, AHiddenFamilyHasNeitherHeaderNorLines) {
  Result<metrics::FamilySelection> families = metrics::FamilySelection::Make(
      "", "pipeline_run_failure_info,pipeline_run_created_timestamp_seconds");
  ASSERT_TRUE(families.ok());
  const std::string text = RenderTwoRuns(*families);
  EXPECT_EQ(text.find("pipeline_run_failure_info"), std::string::npos) << text;
  EXPECT_EQ(text.find("pipeline_run_created_timestamp_seconds"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE pipeline_run_info gauge"), std::string::npos);
  EXPECT_NE(text.find("pipeline_run_status{run_id=\"02RUN\""),
            std::string::npos);
  // The rest is exactly what the exposition renders with every family.
  const std::string all = RenderTwoRuns(metrics::FamilySelection());
  EXPECT_EQ(
      testing::WithoutFamilies(all, {"pipeline_run_failure_info",
                                     "pipeline_run_created_timestamp_seconds"}),
      text);
}

TEST(RunExpositionTest, WithEveryPerRunFamilyHiddenNothingIsRendered) {
  Result<metrics::FamilySelection> families =
      metrics::FamilySelection::Make("pipeline_exporter_.*", "");
  ASSERT_TRUE(families.ok());
  EXPECT_EQ(RenderTwoRuns(*families), "");
}

}  // namespace
}  // namespace pe
