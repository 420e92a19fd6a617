#include "exporter/worker/worker_metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pe {
namespace {

// Every counter series whose labels are known before the first event, so
// that rate() and increase() see the first one and dashboards show 0.
TEST(WorkerMetricsTest, CountersWithKnownLabelValuesStartAtZero) {
  const std::string text = WorkerMetrics().Serialize();
  std::vector<std::string> series = {
      "pipeline_worker_archives_created_total",
      "pipeline_worker_archive_input_bytes_total",
      "pipeline_worker_archive_output_bytes_total",
      "pipeline_worker_reports_generated_total",
      "pipeline_worker_report_failures_total",
      "pipeline_worker_worktrees_deleted_total",
      "pipeline_worker_worktree_delete_failures_total",
      "pipeline_worker_integrity_checks_total{check=\"archive\",result=\"ok\"}",
      "pipeline_worker_integrity_checks_total{check=\"archive\",result="
      "\"failed\"}",
      "pipeline_worker_integrity_checks_total{check=\"scrub\",result=\"ok\"}",
      "pipeline_worker_integrity_checks_total{check=\"scrub\",result="
      "\"failed\"}",
      "pipeline_worker_integrity_checks_total{check=\"scrub\",result="
      "\"missing\"}",
  };
  for (const char* state : {"succeeded", "partial"}) {
    series.push_back("pipeline_worker_runs_marked_complete_total{state=\"" +
                     std::string(state) + "\"}");
  }
  for (const char* reason : {"preflight", "io", "no_space", "io_error",
                             "bad_input", "verify_failed", "internal"}) {
    series.push_back("pipeline_worker_archive_failures_total{reason=\"" +
                     std::string(reason) + "\"}");
  }
  for (const char* reason : {"no_worktree", "invalid_run_id"}) {
    series.push_back("pipeline_worker_archives_skipped_total{reason=\"" +
                     std::string(reason) + "\"}");
  }
  for (const char* reason : {"age", "count", "bytes"}) {
    series.push_back("pipeline_worker_retention_removed_total{reason=\"" +
                     std::string(reason) + "\"}");
  }
  for (const std::string& s : series) {
    EXPECT_NE(text.find("\n" + s + " 0\n"), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace pe
