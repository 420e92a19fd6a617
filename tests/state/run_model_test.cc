#include "exporter/state/run_model.h"

#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <set>
#include <string>

namespace pe {
namespace {

TEST(RunStateTest, NamesAreTheContractsAndParseBack) {
  const std::string expected[] = {"pending", "running", "succeeded",
                                  "partial", "failed",  "quarantined",
                                  "canceled"};
  ASSERT_EQ(kRunStates.size(), std::size(expected));
  for (std::size_t i = 0; i < kRunStates.size(); ++i) {
    EXPECT_EQ(Name(kRunStates[i]), expected[i]);
    EXPECT_EQ(ParseRunState(expected[i]), kRunStates[i]) << expected[i];
  }
}

TEST(RunStateTest, AnyOtherTextIsUnknown) {
  for (const char* text :
       {"", "Running", "RUNNING", " running", "cancelled", "done", "unknown"}) {
    EXPECT_EQ(ParseRunState(text), RunState::kUnknown) << text;
  }
  EXPECT_EQ(Name(RunState::kUnknown), "unknown");
}

TEST(RunStateTest, TerminalStatesAreTheFiveEndings) {
  const std::set<RunState> terminal = {
      RunState::kSucceeded, RunState::kPartial, RunState::kFailed,
      RunState::kQuarantined, RunState::kCanceled};
  for (RunState state : kRunStates) {
    EXPECT_EQ(IsTerminal(state), terminal.count(state) == 1) << Name(state);
  }
  // A state the contract does not list is not taken for an ending.
  EXPECT_FALSE(IsTerminal(RunState::kUnknown));
}

TEST(RunStateTest, OnlyFailedPartialAndQuarantinedCarryAFailure) {
  const std::set<RunState> failing = {RunState::kFailed, RunState::kPartial,
                                      RunState::kQuarantined};
  for (RunState state : kRunStates) {
    EXPECT_EQ(pe::HasFailure(state), failing.count(state) == 1) << Name(state);
    // Every failing state is an ending.
    if (pe::HasFailure(state)) {
      EXPECT_TRUE(IsTerminal(state)) << Name(state);
    }
  }
  EXPECT_FALSE(pe::HasFailure(RunState::kUnknown));
}

TEST(StepStateTest, NamesAreTheContractsAndParseBack) {
  const std::string expected[] = {"pending", "running", "completed", "failed",
                                  "skipped"};
  ASSERT_EQ(kStepStates.size(), std::size(expected));
  for (std::size_t i = 0; i < kStepStates.size(); ++i) {
    EXPECT_EQ(Name(kStepStates[i]), expected[i]);
    EXPECT_EQ(ParseStepState(expected[i]), kStepStates[i]) << expected[i];
  }
  for (const char* text : {"", "succeeded", "Completed", "done"}) {
    EXPECT_EQ(ParseStepState(text), StepState::kUnknown) << text;
  }
  EXPECT_EQ(Name(StepState::kUnknown), "unknown");
}

TEST(StepSummaryTest, CountIsIndexedByState) {
  StepSummary summary;
  summary.counts[static_cast<int>(StepState::kFailed)] = 2;
  summary.counts[static_cast<int>(StepState::kSkipped)] = 1;
  EXPECT_EQ(summary.count(StepState::kFailed), 2);
  EXPECT_EQ(summary.count(StepState::kSkipped), 1);
  EXPECT_EQ(summary.count(StepState::kPending), 0);
}

TEST(StepSummaryTest, EqualityComparesTheFailureByValue) {
  StepSummary a;
  a.counts = {1, 0, 2, 1, 0};
  a.last_activity = 10;
  StepSummary b = a;
  EXPECT_EQ(a, b);

  a.failure = std::make_shared<const StepFailure>(StepFailure{"build", "boom"});
  EXPECT_FALSE(a == b);  // one failure, the other none
  b.failure = std::make_shared<const StepFailure>(StepFailure{"build", "boom"});
  EXPECT_EQ(a, b);  // two pointers, one value
  b.failure = std::make_shared<const StepFailure>(StepFailure{"build", "bang"});
  EXPECT_FALSE(a == b);

  b = a;
  b.unknown = 1;
  EXPECT_FALSE(a == b);
  b = a;
  b.last_activity.reset();
  EXPECT_FALSE(a == b);
}

TEST(RunRowValueTest, ShowsTheRowsFieldsAndFillsACopy) {
  const RunRow row{.run_id = "r1",
                   .project = "proj-a",
                   .phase = "phase1_planning",
                   .workstream = "ws-001",
                   .state = RunState::kFailed,
                   .created_at = 1.0,
                   .started_at = 2.0,
                   .ended_at = 3.5};
  const RunRowValue source(row);
  const RunRowSource& s = source;
  EXPECT_EQ(s.run_id(), "r1");
  EXPECT_EQ(s.project(), "proj-a");
  EXPECT_EQ(s.phase(), "phase1_planning");
  EXPECT_EQ(s.state(), RunState::kFailed);
  EXPECT_EQ(s.ended_at(), 3.5);
  RunRow filled{.run_id = "old", .workstream = "stale"};
  s.Fill(&filled);
  EXPECT_EQ(filled, row);
}

}  // namespace
}  // namespace pe
