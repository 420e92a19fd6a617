#include "exporter/metrics/state_metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "exporter/state/parse_errors.h"
#include "tests/support/exposition.h"
#include "tests/support/reconcile.h"

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
  testing::ReconcileAll(tracker, {MakeRunRow("a", RunState::kRunning)}, 300,
                        false);
  metrics.UpdateRuns(tracker);
  const auto first = metrics.Texts();
  metrics.RecordPoll("unchanged", StateCondition::kOk, 0.001, 300);
  const auto polled = metrics.Texts();
  EXPECT_EQ(polled[0], first[0]) << "the same text, not rendered again";
  EXPECT_NE(polled[1]->text(), first[1]->text()) << "polls_total moved";

  metrics.RecordEvent("run_started", "info");
  const auto after_event = metrics.Texts();
  EXPECT_NE(after_event[0], first[0]);
  EXPECT_NE(after_event[0]->text().find("pipeline_events_total{event_type="
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
  EXPECT_NE(after_update[0]->text().find(
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

TEST(StateMetricsTest, CountersWithKnownLabelValuesStartAtZero) {
  StateMetrics metrics(10);
  const std::string text = metrics.Serialize();
  std::vector<std::string> series = {
      "pipeline_exporter_polls_total{result=\"changed\"}",
      "pipeline_exporter_polls_total{result=\"unchanged\"}",
      "pipeline_exporter_polls_total{result=\"error\"}",
      "pipeline_exporter_resyncs_total{reason=\"startup\"}",
      "pipeline_exporter_resyncs_total{reason=\"interval\"}",
      "pipeline_exporter_resyncs_total{reason=\"mismatch\"}",
      "pipeline_exporter_resyncs_total{reason=\"reopen\"}",
      "pipeline_exporter_resyncs_total{reason=\"reload\"}",
      "pipeline_exporter_tracked_runs_dropped_total",
  };
  for (const char* condition :
       {"missing", "locked", "corrupt", "schema", "error"}) {
    series.push_back("pipeline_exporter_poll_errors_total{condition=\"" +
                     std::string(condition) + "\"}");
  }
  for (std::string_view field : kParsedFields) {
    series.push_back("pipeline_exporter_parse_errors_total{field=\"" +
                     std::string(field) + "\"}");
  }
  for (const std::string& s : series) {
    EXPECT_NE(text.find("\n" + s + " 0\n"), std::string::npos) << s;
  }
  EXPECT_EQ(text.find("pipeline_exporter_poll_errors_total{condition=\"ok\"}"),
            std::string::npos)
      << "a successful poll is no error";
}

TEST(StateMetricsTest, CountsTheRunsOfEachExcludedProject) {
  StateMetrics metrics(10);
  Result<ProjectSelection> projects = ProjectSelection::Make("", "sandbox.*");
  ASSERT_TRUE(projects.ok());
  RunTracker tracker(RunTracker::Options{3600, 100, *projects});
  RunRow kept = MakeRunRow("a", RunState::kRunning);
  RunRow left_out = MakeRunRow("b", RunState::kRunning);
  left_out.project = "sandbox-1";
  RunRow ended = MakeRunRow("c", RunState::kFailed);
  ended.project = "sandbox-1";
  testing::ReconcileAll(tracker, {kept, left_out, ended}, 300, false);
  metrics.UpdateRuns(tracker);
  std::string text = metrics.Serialize();
  EXPECT_NE(
      text.find("\npipeline_exporter_excluded_runs{project=\"sandbox-1\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("pipeline_exporter_excluded_runs{project=\"proj\"}"),
            std::string::npos)
      << "a selected project has no series";
  EXPECT_NE(
      text.find("pipeline_runs{project=\"sandbox-1\",state=\"failed\"} 1"),
      std::string::npos)
      << "the aggregates still count it";

  tracker.SetProjectSelection(ProjectSelection());
  metrics.UpdateRuns(tracker);
  text = metrics.Serialize();
  EXPECT_EQ(text.find("pipeline_exporter_excluded_runs{"), std::string::npos)
      << "brought back in: the series goes";
}

TEST(StateMetricsTest, HiddenFamiliesAreLeftOutAndListed) {
  Result<metrics::FamilySelection> families = metrics::FamilySelection::Make(
      "", "pipeline_runs,pipeline_exporter_poll_duration_seconds");
  ASSERT_TRUE(families.ok());
  StateMetrics metrics(10, *families);
  RunTracker tracker(RunTracker::Options{3600, 100});
  testing::ReconcileAll(tracker, {MakeRunRow("a", RunState::kRunning)}, 300,
                        false);
  metrics.UpdateRuns(tracker);
  metrics.RecordPoll("changed", StateCondition::kOk, 0.001, 300);
  const std::string text = metrics.Serialize();
  EXPECT_EQ(testing::CountSamples(text, "pipeline_runs"), 0) << text;
  EXPECT_EQ(text.find("# HELP pipeline_runs "), std::string::npos);
  EXPECT_EQ(text.find("# TYPE pipeline_exporter_poll_duration_seconds"),
            std::string::npos);
  EXPECT_EQ(testing::CountSamples(
                text, "pipeline_exporter_poll_duration_seconds_count"),
            0);
  EXPECT_NE(text.find("\npipeline_exporter_state_up 1\n"), std::string::npos)
      << "the families not denied stay";
  EXPECT_NE(text.find("\npipeline_exporter_known_runs 1\n"), std::string::npos);
  EXPECT_NE(text.find("\npipeline_exporter_family_hidden{family=\"pipeline_"
                      "runs\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("pipeline_exporter_family_hidden{family=\"pipeline_"
                      "exporter_poll_duration_seconds\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace pe
