#include "exporter/metrics/state_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

RunRow MakeRunRow(const std::string& id, RunState state) {
  RunRow r;
  r.run_id = id;
  r.project = "proj";
  r.phase = "build";
  r.state = state;
  r.created_at = 100;
  r.ended_at = IsTerminal(state) ? std::optional<double>(200) : std::nullopt;
  return r;
}

TEST(StateMetricsTest, RendersTheRunFamiliesAgainOnlyAfterTheyChanged) {
  StateMetrics metrics(10);
  RunTracker tracker(RunTracker::Options{3600, 100});
  tracker.Reconcile({MakeRunRow("a", RunState::kRunning)}, 300, false);
  metrics.UpdateRuns(tracker);
  const auto first = metrics.Texts();
  metrics.RecordPoll("unchanged", StateCondition::kOk, 0.001, 300);
  const auto polled = metrics.Texts();
  EXPECT_EQ(polled[0], first[0]) << "the same text, not rendered again";
  EXPECT_NE(*polled[1], *first[1]) << "polls_total moved";

  metrics.RecordEvent("run_started", "info");
  const auto after_event = metrics.Texts();
  EXPECT_NE(after_event[0], first[0]);
  EXPECT_NE(after_event[0]->find("pipeline_events_total{event_type="
                                 "\"run_started\",severity=\"info\"} 1"),
            std::string::npos);

  metrics.RecordFinished({FinishedRun{"proj", RunState::kSucceeded, 10.0}});
  const auto after_finish = metrics.Texts();
  EXPECT_NE(after_finish[0], after_event[0]);
  EXPECT_EQ(metrics.Texts()[0], after_finish[0]);
  metrics.RecordFinished({});
  EXPECT_EQ(metrics.Texts()[0], after_finish[0]);

  tracker.Upsert(MakeRunRow("a", RunState::kSucceeded), 300);
  metrics.UpdateRuns(tracker);
  const auto after_update = metrics.Texts();
  EXPECT_NE(after_update[0], after_finish[0]);
  EXPECT_NE(after_update[0]->find(
                "pipeline_runs{project=\"proj\",state=\"succeeded\"} 1"),
            std::string::npos);
}

TEST(StateMetricsTest, TheTwoTextsTogetherKeepTheDeclarationOrder) {
  StateMetrics metrics(10);
  metrics.RecordEvent("run_started", "info");
  const std::string text = metrics.Serialize();
  const auto at = [&](const std::string& name) {
    return text.find("# TYPE " + name + " ");
  };
  ASSERT_NE(at("pipeline_events_total"), std::string::npos);
  EXPECT_LT(at("pipeline_events_total"), at("pipeline_exporter_build_info"));
  EXPECT_LT(at("pipeline_exporter_build_info"),
            at("pipeline_exporter_known_runs"));
}

}  // namespace
}  // namespace pe
