// The completion worker fed by the poller, as the daemon runs them: it acts
// on the runs the poller read and scans the runs table only when the poller
// read all of it, so nothing is lost by leaving the scans.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "exporter/poll/poller.h"
#include "exporter/worker/completion_worker.h"
#include "exporter/worker/run_feed.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class FedWorkerTest : public ::testing::Test {
 protected:
  FedWorkerTest() : db_(dir_.File("state.db")) {
    config_.state_db = dir_.File("state.db");
    config_.resync_interval = std::chrono::hours(24);  // only when asked
    poller_ = std::make_unique<Poller>(config_,
                                       std::make_shared<Composer>(snapshots_));
    poller_->SetReadListener([this](const Poller::ReadRuns& read) {
      feed_->Learn(read.runs, read.full_read);
    });
    CompletionWorkerOptions options;
    options.db_path = dir_.File("state.db");
    options.worktrees_dir = dir_.File("worktrees");
    options.archive_dir = dir_.File("archive");
    options.reports_dir = dir_.File("reports");
    options.busy = {.busy_timeout = milliseconds(200),
                    .max_attempts = 5,
                    .initial_backoff = milliseconds(10),
                    .max_backoff = milliseconds(100)};
    options.feed = feed_;
    worker_ = std::make_unique<CompletionWorker>(options, nullptr);
  }

  void AddWorktree(const std::string& run_id) {
    const fs::path file = dir_.path() / "worktrees" / run_id / "log.txt";
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "hello\n";
  }

  // A poll, then one worker pass (maintenance and at most one job).
  void PollAndWork() {
    poller_->PollOnce();
    auto worked = worker_->RunOnce();
    ASSERT_TRUE(worked.ok()) << worked.status().ToString();
  }

  std::optional<std::string> JobStage(const std::string& run_id) {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT stage FROM exporter_jobs WHERE run_id = ?");
    q.bind(1, run_id);
    if (!q.executeStep()) return std::nullopt;
    return q.getColumn(0).getString();
  }

  testing::TempDir dir_;
  testing::FixtureDb db_;
  Config config_;
  std::shared_ptr<SnapshotStore> snapshots_ = std::make_shared<SnapshotStore>();
  std::shared_ptr<RunFeed> feed_ = std::make_shared<RunFeed>();
  std::unique_ptr<Poller> poller_;
  std::unique_ptr<CompletionWorker> worker_;
};

TEST_F(FedWorkerTest, RunEndedWithoutAnEventIsArchivedAfterTheNextResync) {
  db_.AddRun({.run_id = "quiet"});
  db_.AddStep("quiet", "build", "running", "2025-12-05T10:00:10");
  AddWorktree("quiet");
  PollAndWork();  // start-up: the poller reads all, the worker scans
  EXPECT_FALSE(JobStage("quiet"));

  // The orchestrator ends the run without writing an event: no poll reads
  // it, so no pass between two resyncs sees it (the worker no longer scans).
  db_.SetStepState("quiet", "build", "completed", "2025-12-05T10:01:00");
  db_.SetRunState("quiet", "succeeded", "2025-12-05T10:01:00");
  PollAndWork();
  PollAndWork();
  EXPECT_FALSE(JobStage("quiet"));

  // The resync reads the whole table; the worker's next pass scans, finds
  // the run and archives it.
  poller_->ResyncAtNextPoll();
  PollAndWork();
  EXPECT_EQ(JobStage("quiet"), "done");
  EXPECT_TRUE(fs::exists(dir_.path() / "archive" / "quiet.zip"));
}

TEST_F(FedWorkerTest, RunsThePollerReadAreMarkedAndArchivedAtTheNextPass) {
  db_.AddRun({.run_id = "told"});
  db_.AddStep("told", "build", "running", "2025-12-05T10:00:10");
  db_.AddRun({.run_id = "untold"});
  db_.AddStep("untold", "build", "running", "2025-12-05T10:00:10");
  AddWorktree("told");
  AddWorktree("untold");
  PollAndWork();

  // Both runs' steps finish; only one with an event the poller reads.
  db_.SetStepState("told", "build", "completed", "2025-12-05T10:01:00");
  db_.AddEvent("told", "step_completed", "info", "2025-12-05T10:01:00Z");
  db_.SetStepState("untold", "build", "completed", "2025-12-05T10:01:00");
  PollAndWork();

  // The worker marked the run it was told about complete, enqueued and
  // archived it in one pass; the other waits for the resync.
  EXPECT_EQ(JobStage("told"), "done");
  EXPECT_FALSE(JobStage("untold"));
  SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
  EXPECT_EQ(
      db.execAndGet("SELECT state FROM runs WHERE run_id = 'told'").getString(),
      "succeeded");
  EXPECT_EQ(db.execAndGet("SELECT state FROM runs WHERE run_id = 'untold'")
                .getString(),
            "running");

  poller_->ResyncAtNextPoll();
  PollAndWork();
  EXPECT_EQ(JobStage("untold"), "done");
}

}  // namespace
}  // namespace pe
