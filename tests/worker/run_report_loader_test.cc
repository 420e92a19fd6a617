#include "exporter/worker/run_report_loader.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

// 2025-12-05T10:00:00Z
constexpr int64_t kT10h = 1764928800;

class RunReportLoaderTest : public ::testing::Test {
 protected:
  RunReportLoaderTest() : fixture_(dir_.File("state.db")) {}

  WorkerStore& Store() {
    if (!store_) {
      auto store = WorkerStore::Open(
          fixture_.path(), {.busy_timeout = std::chrono::milliseconds(200),
                            .max_attempts = 2,
                            .initial_backoff = std::chrono::milliseconds(1),
                            .max_backoff = std::chrono::milliseconds(1)});
      EXPECT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    }
    return *store_;
  }

  RunReport Load(const std::string& run_id) {
    Result<std::optional<RunReport>> report = LoadRunReport(Store(), run_id);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report.ok() && report->has_value()) << run_id;
    return report.ok() && report->has_value() ? **report : RunReport{};
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
  std::unique_ptr<WorkerStore> store_;
};

TEST_F(RunReportLoaderTest, ReadsTheRunInWholeSeconds) {
  fixture_.AddRun({.run_id = "r1",
                   .project = "proj-a",
                   .phase = "phase5_execution",
                   .workstream = "ws-007",
                   .state = "partial",
                   .created_at = "2025-12-05T10:00:00",
                   .started_at = "2025-12-05T10:00:05.900",
                   .ended_at = "2025-12-05T10:10:05.100+00:00"});
  const RunReport r = Load("r1");
  EXPECT_EQ(r.run_id, "r1");
  EXPECT_EQ(r.project, "proj-a");
  EXPECT_EQ(r.phase, "phase5_execution");
  EXPECT_EQ(r.workstream, "ws-007");
  EXPECT_EQ(r.status, "partial");
  EXPECT_EQ(r.created, kT10h);
  EXPECT_EQ(r.started, kT10h + 5);  // 05.9 is still second 5
  EXPECT_EQ(r.ended, kT10h + 605);
  EXPECT_EQ(r.duration_seconds, 600);
  // The archive part is the caller's.
  EXPECT_EQ(r.archive.path, std::nullopt);
  EXPECT_EQ(r.archive.integrity, "");
}

TEST_F(RunReportLoaderTest, ARunThatNeverStartedLastsFromItsCreation) {
  fixture_.AddRun({.run_id = "r1",
                   .state = "canceled",
                   .created_at = "2025-12-05T10:00:00Z",
                   .started_at = std::nullopt,
                   .ended_at = "2025-12-05 10:05:00"});
  const RunReport r = Load("r1");
  EXPECT_EQ(r.started, std::nullopt);
  EXPECT_EQ(r.duration_seconds, 300);
  EXPECT_EQ(r.workstream, std::nullopt);
}

TEST_F(RunReportLoaderTest, NoEndOrAnUnparsableOneGivesNoDuration) {
  fixture_.AddRun({.run_id = "running", .state = "running"});
  fixture_.AddRun(
      {.run_id = "garbled", .state = "failed", .ended_at = "yesterday"});
  EXPECT_EQ(Load("running").ended, std::nullopt);
  EXPECT_EQ(Load("running").duration_seconds, std::nullopt);
  EXPECT_EQ(Load("garbled").ended, std::nullopt);
  EXPECT_EQ(Load("garbled").duration_seconds, std::nullopt);
  EXPECT_EQ(Load("garbled").status, "failed");
}

TEST_F(RunReportLoaderTest, CountsStepsAndListsTheFailedOnesInStartOrder) {
  fixture_.AddRun({.run_id = "r1", .state = "partial"});
  fixture_.AddStep("r1", "s1", "completed", "2025-12-05T10:00:10",
                   "2025-12-05T10:00:20");
  fixture_.AddStep("r1", "s2", "failed", "2025-12-05T10:01:00",
                   "2025-12-05T10:02:00.75", "boom <b>\"x\"</b>");
  fixture_.AddStep("r1", "s3", "skipped");
  fixture_.AddStep("r1", "s4", "failed");  // never started, no message
  fixture_.AddStep("r1", "s0", "failed", "2025-12-05T10:00:30", std::nullopt,
                   "");
  fixture_.AddStep("r1", "s5", "running", "2025-12-05T10:03:00");
  fixture_.Exec("UPDATE steps SET attempt = 3 WHERE step_id = 's2'");
  fixture_.AddRun({.run_id = "other"});
  fixture_.AddStep("other", "s1", "failed");

  const RunReport r = Load("r1");
  EXPECT_EQ(r.steps_total, 6);
  EXPECT_EQ(r.steps_completed, 1);
  EXPECT_EQ(r.steps_skipped, 1);
  EXPECT_EQ(r.steps_failed, 3);
  ASSERT_EQ(r.failed_steps.size(), 3u);
  // A step that never started sorts first, then by start.
  EXPECT_EQ(r.failed_steps[0].step_id, "s4");
  EXPECT_EQ(r.failed_steps[0].started, std::nullopt);
  EXPECT_EQ(r.failed_steps[0].error_message, std::nullopt);
  EXPECT_EQ(r.failed_steps[1].step_id, "s0");
  EXPECT_EQ(r.failed_steps[1].error_message, "");
  EXPECT_EQ(r.failed_steps[1].ended, std::nullopt);
  const FailedStepReport& s2 = r.failed_steps[2];
  EXPECT_EQ(s2.step_id, "s2");
  EXPECT_EQ(s2.name, "step s2");
  EXPECT_EQ(s2.attempt, 3);
  EXPECT_EQ(s2.started, kT10h + 60);
  EXPECT_EQ(s2.ended, kT10h + 120);
  EXPECT_EQ(s2.error_message, "boom <b>\"x\"</b>");  // raw: writers escape
}

TEST_F(RunReportLoaderTest, CountsTheRunsEventsAndItsErrors) {
  fixture_.AddRun({.run_id = "r1"});
  for (const char* severity :
       {"debug", "info", "warning", "error", "critical", "error"}) {
    fixture_.AddEvent("r1", "step_failed", severity);
  }
  fixture_.AddEvent("other", "run_failed", "critical");
  fixture_.AddEvent("", "scheduler_heartbeat", "error");
  const RunReport r = Load("r1");
  EXPECT_EQ(r.events_total, 6);
  EXPECT_EQ(r.events_errors, 3);
}

TEST_F(RunReportLoaderTest, ARunWithoutStepsOrEventsHasZeroCounts) {
  fixture_.AddRun({.run_id = "r1"});
  const RunReport r = Load("r1");
  EXPECT_EQ(r.steps_total, 0);
  EXPECT_TRUE(r.failed_steps.empty());
  EXPECT_EQ(r.events_total, 0);
  EXPECT_EQ(r.events_errors, 0);
}

TEST_F(RunReportLoaderTest, AGoneRunIsNoReportNotAnError) {
  fixture_.AddRun({.run_id = "r1"});
  fixture_.DeleteRun("r1");
  Result<std::optional<RunReport>> report = LoadRunReport(Store(), "r1");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->has_value());
}

TEST_F(RunReportLoaderTest, ADatabaseErrorIsReturned) {
  fixture_.AddRun({.run_id = "r1"});
  Store();  // opened while the tables are there
  fixture_.Exec("DROP TABLE events");
  Result<std::optional<RunReport>> report = LoadRunReport(Store(), "r1");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kNotFound)
      << report.status().ToString();
  EXPECT_NE(report.status().message().find("read run for report"),
            std::string::npos)
      << report.status().message();
}

TEST_F(RunReportLoaderTest, LoadsTheArchivalLogRowIfThereIsOne) {
  Result<std::optional<ArchivalLogRow>> none = LoadArchivalLog(Store(), "r1");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(Store()
                  .Write("record",
                         [](SQLite::Database& db) {
                           UpsertReport(db, "r1", {.json_path = "r1.json"});
                           return Status::Ok();
                         })
                  .ok());
  Result<std::optional<ArchivalLogRow>> row = LoadArchivalLog(Store(), "r1");
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->report_json, "r1.json");
}

}  // namespace
}  // namespace pe
