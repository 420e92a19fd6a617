#include "exporter/worker/completion_worker.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/archive/archive_verify.h"
#include "exporter/worker/run_feed.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct EventRow {
  std::string type, severity, data;
};

struct JobRow {
  std::string stage;
  int64_t attempts = 0;
  std::optional<double> next_attempt_at;
};

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A contract database, a worktrees folder and the worker's output folders
// in one temporary directory. The workers are fed as the daemon feeds them:
// the fixture holds the RunFeed (the daemon's outlives a worker restarted by
// a reload) and offers each run it adds, as the poller's next poll would
// (Poller::ReadRuns: a new row, running or terminal); a worker's first pass
// scans, as after start-up.
class CompletionWorkerTest : public ::testing::Test {
 protected:
  CompletionWorkerTest() : db_(dir_.File("state.db")) {}

  CompletionWorkerOptions Options() const {
    CompletionWorkerOptions options;
    options.db_path = dir_.File("state.db");
    options.worktrees_dir = dir_.File("worktrees");
    options.archive_dir = dir_.File("archive");
    options.reports_dir = dir_.File("reports");
    options.retry_backoff = milliseconds(60000);
    options.busy = {.busy_timeout = milliseconds(200),
                    .max_attempts = 5,
                    .initial_backoff = milliseconds(10),
                    .max_backoff = milliseconds(100)};
    options.feed = feed_;
    return options;
  }

  // Retention keeps one archive, on the test's clock.
  CompletionWorkerOptions KeepOneOptions(
      std::shared_ptr<const Clock> clock,
      milliseconds housekeeping_interval) const {
    CompletionWorkerOptions options = Options();
    options.clock = std::move(clock);
    options.retention_max_count = 1;
    options.housekeeping_interval = housekeeping_interval;
    return options;
  }

  // What the poller hands the worker after a poll that read the run.
  void Polled(const std::string& run_id) {
    feed_->Learn({run_id}, /*whole_table=*/false);
  }

  // A running run whose steps are all terminal, one of them failed.
  void AddFinishedRun(const std::string& run_id) {
    db_.AddRun({.run_id = run_id});
    db_.AddStep(run_id, "build", "completed", "2025-12-05T10:00:10",
                "2025-12-05T10:01:00");
    db_.AddStep(run_id, "test", "failed", "2025-12-05T10:01:00",
                "2025-12-05T10:02:00", "<script>alert(1)</script>");
    Polled(run_id);
  }

  void AddEndedRun(const std::string& run_id) {
    db_.AddRun({.run_id = run_id,
                .state = "succeeded",
                .ended_at = "2025-12-05T10:05:00"});
    db_.AddStep(run_id, "build", "completed", "2025-12-05T10:00:10",
                "2025-12-05T10:01:00");
    Polled(run_id);
  }

  void AddWorktree(const std::string& run_id) {
    const fs::path root = dir_.path() / "worktrees" / run_id;
    WriteFile(root / "logs" / "build.log", std::string(200000, 'x'));
    WriteFile(root / "README.txt", "hello\n");
    fs::create_directories(root / "empty");
  }

  std::vector<EventRow> Events(const std::string& run_id) {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(db,
                        "SELECT event_type, severity, COALESCE(data, '') "
                        "FROM events WHERE run_id = ? ORDER BY id");
    q.bind(1, run_id);
    std::vector<EventRow> rows;
    while (q.executeStep()) {
      rows.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                      q.getColumn(2).getString()});
    }
    return rows;
  }

  std::vector<std::string> EventTypes(const std::string& run_id) {
    std::vector<std::string> types;
    for (const EventRow& e : Events(run_id)) types.push_back(e.type);
    return types;
  }

  std::optional<JobRow> Job(const std::string& run_id) {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(db,
                        "SELECT stage, attempts, next_attempt_at FROM "
                        "exporter_jobs WHERE run_id = ?");
    q.bind(1, run_id);
    if (!q.executeStep()) return std::nullopt;
    JobRow row{q.getColumn(0).getString(), q.getColumn(1).getInt64(),
               std::nullopt};
    if (!q.isColumnNull(2)) row.next_attempt_at = q.getColumn(2).getDouble();
    return row;
  }

  int64_t ArchivalLogRows() {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT COUNT(*) FROM archival_log").getInt64();
  }

  std::string RunState(const std::string& run_id) {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT state FROM runs WHERE run_id = ?");
    q.bind(1, run_id);
    EXPECT_TRUE(q.executeStep());
    return q.getColumn(0).getString();
  }

  std::vector<std::string> FilesUnder(const std::string& name) {
    std::vector<std::string> files;
    if (!fs::exists(dir_.path() / name)) return files;
    for (const auto& entry : fs::directory_iterator(dir_.path() / name)) {
      files.push_back(entry.path().filename().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  testing::TempDir dir_;
  testing::FixtureDb db_;
  std::shared_ptr<RunFeed> feed_ = std::make_shared<RunFeed>();
};

TEST_F(CompletionWorkerTest, FinishedRunIsMarkedArchivedAndReportedOnce) {
  AddFinishedRun("run-1");
  AddWorktree("run-1");
  auto metrics = std::make_shared<WorkerMetrics>();
  {
    CompletionWorker worker(Options(), metrics);
    auto first = worker.RunOnce();
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_TRUE(*first);
    auto second = worker.RunOnce();
    ASSERT_TRUE(second.ok()) << second.status().message();
    EXPECT_FALSE(*second);
  }

  EXPECT_EQ(RunState("run-1"), "partial");
  EXPECT_EQ(EventTypes("run-1"),
            (std::vector<std::string>{"run_completed", "run_archived",
                                      "report_generated"}));
  ASSERT_TRUE(Job("run-1").has_value());
  EXPECT_EQ(Job("run-1")->stage, "done");
  EXPECT_EQ(ArchivalLogRows(), 1);

  const std::string zip = dir_.File("archive/run-1.zip");
  VerifyResult verified = VerifyArchive(zip, "run-1");
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(FilesUnder("archive"), std::vector<std::string>{"run-1.zip"});
  EXPECT_EQ(
      FilesUnder("reports"),
      (std::vector<std::string>{"run-1_summary.html", "run-1_summary.json"}));

  const std::string text = metrics->Serialize();
  EXPECT_NE(text.find("pipeline_worker_archives_created_total 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pipeline_worker_reports_generated_total 1"),
            std::string::npos);
  EXPECT_NE(
      text.find("pipeline_worker_runs_marked_complete_total{state=\"partial\"} "
                "1"),
      std::string::npos);
  EXPECT_NE(text.find("pipeline_worker_backlog_runs 0"), std::string::npos);

  // A new worker (a restart) on the same file finds nothing left to do.
  const auto mtime = fs::last_write_time(zip);
  CompletionWorker restarted(Options(), std::make_shared<WorkerMetrics>());
  auto again = restarted.RunOnce();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(*again);
  EXPECT_EQ(Events("run-1").size(), 3u);
  EXPECT_EQ(ArchivalLogRows(), 1);
  EXPECT_EQ(fs::last_write_time(zip), mtime);
}

TEST_F(CompletionWorkerTest, HostileRunIdIsSkippedWithoutTouchingPaths) {
  const std::string hostile = "../escape";
  AddEndedRun(hostile);
  // What the id would name if it became a path: must stay untouched.
  WriteFile(dir_.path() / "escape" / "secret.txt", "secret");

  CompletionWorker worker(Options(), std::make_shared<WorkerMetrics>());
  auto result = worker.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status().message();

  ASSERT_TRUE(Job(hostile).has_value());
  EXPECT_EQ(Job(hostile)->stage, "skipped");
  const auto events = Events(hostile);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "archival_skipped");
  EXPECT_NE(events[0].data.find("invalid_run_id"), std::string::npos);
  EXPECT_TRUE(FilesUnder("archive").empty());
  EXPECT_TRUE(FilesUnder("reports").empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "escape.zip"));
  EXPECT_FALSE(fs::exists(dir_.path() / "escape_summary.json"));
  EXPECT_EQ(ArchivalLogRows(), 0);
}

TEST_F(CompletionWorkerTest, MissingWorktreeIsSkippedButStillReported) {
  AddEndedRun("run-gone");
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(Options(), metrics);
  auto result = worker.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status().message();

  EXPECT_EQ(Job("run-gone")->stage, "skipped");
  EXPECT_EQ(EventTypes("run-gone"),
            (std::vector<std::string>{"archival_skipped", "report_generated"}));
  EXPECT_NE(Events("run-gone")[0].data.find("no_worktree"), std::string::npos);
  EXPECT_TRUE(FilesUnder("archive").empty());
  EXPECT_EQ(FilesUnder("reports"),
            (std::vector<std::string>{"run-gone_summary.html",
                                      "run-gone_summary.json"}));
  EXPECT_NE(metrics->Serialize().find(
                "pipeline_worker_archives_skipped_total{reason=\"no_worktree\"}"
                " 1"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest, UnwritableArchiveDirFailsWithBackoffNoPartial) {
  AddEndedRun("run-2");
  AddWorktree("run-2");
  WriteFile(dir_.path() / "archive", "not a directory");
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(Options(), metrics);
  const double before = std::chrono::duration<double>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto result = worker.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status().message();

  const auto job = Job("run-2");
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->stage, "queued");
  EXPECT_EQ(job->attempts, 1);
  ASSERT_TRUE(job->next_attempt_at.has_value());
  EXPECT_GE(*job->next_attempt_at, before + 59);
  const auto events = Events("run-2");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "archival_failed");
  EXPECT_EQ(events[0].severity, "error");
  EXPECT_EQ(ArchivalLogRows(), 0);
  EXPECT_TRUE(fs::is_regular_file(dir_.path() / "archive"));
  EXPECT_TRUE(FilesUnder("reports").empty());
  EXPECT_TRUE(fs::exists(dir_.path() / "worktrees/run-2/README.txt"));

  // Within the backoff nothing is retried.
  auto again = worker.RunOnce();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(Events("run-2").size(), 1u);
  EXPECT_NE(metrics->Serialize().find(
                "pipeline_worker_archive_failures_total{reason=\"io\"} 1"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest, FailedPreflightIsRetriedLaterWithItsEvent) {
  AddEndedRun("run-3");
  AddWorktree("run-3");
  CompletionWorkerOptions options = Options();
  options.free_space_factor = 1e9;  // 200 TB: no test volume has it
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(options, metrics);
  auto result = worker.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status().message();

  EXPECT_EQ(Job("run-3")->stage, "queued");
  EXPECT_EQ(Job("run-3")->attempts, 1);
  EXPECT_EQ(EventTypes("run-3"),
            std::vector<std::string>{"archival_preflight_failed"});
  EXPECT_TRUE(FilesUnder("archive").empty());
  EXPECT_EQ(ArchivalLogRows(), 0);
  const std::string text = metrics->Serialize();
  EXPECT_NE(
      text.find(
          "pipeline_worker_archive_failures_total{reason=\"preflight\"} 1"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("pipeline_worker_archive_volume_size_bytes 0\n"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest, ArchiveVolumeIsMeasuredBeforeAnyArchive) {
  // No run, no archive folder yet: the gauges show the volume it will be
  // created on, not 0 (a jump from 0 reads as a volume growing).
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(Options(), metrics);
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_FALSE(fs::exists(dir_.path() / "archive"));
  const std::string text = metrics->Serialize();
  EXPECT_EQ(text.find("pipeline_worker_archive_volume_size_bytes 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("pipeline_worker_archive_volume_free_bytes 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pipeline_worker_archive_volume_size_bytes "),
            std::string::npos);
}

TEST_F(CompletionWorkerTest, ItsThreadProcessesRunsUntilStopped) {
  AddFinishedRun("run-4");
  AddWorktree("run-4");
  CompletionWorkerOptions options = Options();
  options.interval = milliseconds(100);
  CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
  worker.Start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      const auto job = Job("run-4");
      if (job && job->stage == "done") break;
    } catch (const SQLite::Exception&) {
      // The worker has not created its tables yet.
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  worker.Stop();
  ASSERT_TRUE(Job("run-4").has_value());
  EXPECT_EQ(Job("run-4")->stage, "done");
  EXPECT_TRUE(fs::is_regular_file(dir_.path() / "archive" / "run-4.zip"));
  worker.Stop();  // idempotent
}

TEST_F(CompletionWorkerTest, ResumesAJobFromItsRecordedStage) {
  AddEndedRun("run-5");
  AddWorktree("run-5");
  {
    // An earlier process archived the run, recorded it, then died.
    auto store = WorkerStore::Open(dir_.File("state.db"), Options().busy);
    ASSERT_TRUE(store.ok()) << store.status().message();
    JobQueue queue(store->get());
    const double now = 1764929472;
    ASSERT_TRUE(queue.Enqueue(now, 10).ok());
    auto claimed = queue.Claim("earlier", 60, now, 1);
    ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
    AdvanceEffects effects;
    effects.archive =
        ArchiveRecord{"/elsewhere/run-5.zip", 123, "ab", "verified", now};
    effects.events.push_back({"run-5", "run_archived", "info", ""});
    ASSERT_TRUE(
        queue.Advance("earlier", "run-5", JobStage::kVerified, now, effects)
            .ok());
    ASSERT_TRUE(queue.Release("earlier", "run-5", now).ok());
  }

  CompletionWorker worker(Options(), std::make_shared<WorkerMetrics>());
  auto result = worker.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status().message();

  EXPECT_EQ(Job("run-5")->stage, "done");
  EXPECT_EQ(EventTypes("run-5"),
            (std::vector<std::string>{"run_archived", "report_generated"}));
  EXPECT_TRUE(FilesUnder("archive").empty()) << "archived a second time";
  std::ifstream json(dir_.path() / "reports" / "run-5_summary.json");
  const std::string text((std::istreambuf_iterator<char>(json)),
                         std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("/elsewhere/run-5.zip"), std::string::npos) << text;
}

TEST_F(CompletionWorkerTest, OwnerNamesHostPidAndRandomSuffix) {
  CompletionWorker a(Options(), nullptr);
  CompletionWorker b(Options(), nullptr);
  EXPECT_NE(a.owner(), b.owner());
  EXPECT_NE(a.owner().find(":" + std::to_string(::getpid()) + ":"),
            std::string::npos);
}

// Runs RunOnce until it reports no more work (at most `limit` times).
void Drain(CompletionWorker& worker, int limit = 20) {
  for (int i = 0; i < limit; ++i) {
    auto worked = worker.RunOnce();
    ASSERT_TRUE(worked.ok()) << worked.status().message();
    if (!*worked) return;
  }
  FAIL() << "still working after " << limit << " iterations";
}

TEST_F(CompletionWorkerTest, WorktreesAreKeptUnlessDeletionIsEnabled) {
  AddEndedRun("run-keep");
  AddWorktree("run-keep");
  CompletionWorker worker(Options(), std::make_shared<WorkerMetrics>());
  Drain(worker);
  EXPECT_EQ(Job("run-keep")->stage, "done");
  EXPECT_TRUE(
      fs::exists(dir_.path() / "worktrees" / "run-keep" / "README.txt"));
}

TEST_F(CompletionWorkerTest, WorktreeIsDeletedOnlyAfterAVerifiedArchive) {
  AddEndedRun("run-del");
  AddWorktree("run-del");
  const fs::path outside = dir_.path() / "outside";
  WriteFile(outside / "precious.txt", "keep");
  fs::create_directory_symlink(outside,
                               dir_.path() / "worktrees" / "run-del" / "link");
  CompletionWorkerOptions options = Options();
  options.delete_worktrees = true;
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(options, metrics);
  Drain(worker);

  EXPECT_EQ(Job("run-del")->stage, "done");
  EXPECT_FALSE(fs::exists(dir_.path() / "worktrees" / "run-del"));
  EXPECT_TRUE(fs::exists(outside / "precious.txt")) << "followed a symlink";
  const VerifyResult verified =
      VerifyArchive(dir_.File("archive/run-del.zip"), "run-del");
  EXPECT_TRUE(verified.ok) << verified.problem;
  SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
  EXPECT_FALSE(db.execAndGet("SELECT worktree_deleted_at FROM archival_log "
                             "WHERE run_id = 'run-del'")
                   .isNull());
  EXPECT_NE(
      metrics->Serialize().find("pipeline_worker_worktrees_deleted_total 1"),
      std::string::npos);
}

TEST_F(CompletionWorkerTest, ResumedDeletionRechecksTheArchiveAndRearchives) {
  AddEndedRun("run-rs");
  AddWorktree("run-rs");
  {
    // Archived and reported by a process that died before deleting; the
    // archive was damaged since.
    CompletionWorker first(Options(), std::make_shared<WorkerMetrics>());
    Drain(first);
  }
  const std::string zip = dir_.File("archive/run-rs.zip");
  {
    std::fstream f(zip, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\xff').put('\x00').put('\x13');
  }
  {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READWRITE);
    db.exec(
        "UPDATE exporter_jobs SET stage = 'reported' WHERE run_id = 'run-rs'");
  }
  CompletionWorkerOptions options = Options();
  options.delete_worktrees = true;
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(options, metrics);
  Drain(worker);

  EXPECT_EQ(Job("run-rs")->stage, "done");
  const VerifyResult verified = VerifyArchive(zip, "run-rs");
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_FALSE(fs::exists(dir_.path() / "worktrees" / "run-rs"));
  const std::vector<std::string> types = EventTypes("run-rs");
  EXPECT_EQ(
      std::count(types.begin(), types.end(), "archival_validation_failed"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "run_archived"), 2);
  const std::string text = metrics->Serialize();
  EXPECT_NE(
      text.find("pipeline_worker_integrity_checks_total{check=\"archive\","
                "result=\"failed\"} 1"),
      std::string::npos)
      << text;
}

TEST_F(CompletionWorkerTest, SeveralThreadsArchiveEachRunExactlyOnce) {
  for (int i = 0; i < 12; ++i) {
    const std::string run_id = "run-c" + std::to_string(i);
    AddEndedRun(run_id);
    AddWorktree(run_id);
  }
  CompletionWorkerOptions options = Options();
  options.interval = milliseconds(100);
  options.concurrency = 3;
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(options, metrics);
  worker.Start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int64_t done = 0;
  while (std::chrono::steady_clock::now() < deadline && done < 12) {
    std::this_thread::sleep_for(milliseconds(100));
    try {
      SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
      done = db.execAndGet(
                   "SELECT COUNT(*) FROM exporter_jobs "
                   "WHERE stage = 'done'")
                 .getInt64();
    } catch (const SQLite::Exception&) {
      // Tables not created yet.
    }
  }
  worker.Stop();
  ASSERT_EQ(done, 12);
  SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM events WHERE event_type = "
                          "'run_archived'")
                .getInt64(),
            12);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(DISTINCT run_id) FROM events WHERE "
                          "event_type = 'run_archived'")
                .getInt64(),
            12);
  EXPECT_EQ(FilesUnder("archive").size(), 12u);
  EXPECT_NE(
      metrics->Serialize().find("pipeline_worker_archives_created_total 12"),
      std::string::npos);
  EXPECT_NE(metrics->Serialize().find("pipeline_worker_archives_in_progress 0"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest,
       HousekeepingSparesPartialFilesOfLeasedRunsAndOfArchivedJobs) {
  AddEndedRun("run-busy");
  AddEndedRun("run-dead");
  AddEndedRun("run-written");
  {
    auto store = WorkerStore::Open(dir_.File("state.db"), Options().busy);
    ASSERT_TRUE(store.ok()) << store.status().message();
    JobQueue queue(store->get());
    const double now = static_cast<double>(::time(nullptr));
    ASSERT_TRUE(queue.Enqueue(now, 10).ok());
    // Another process holds run-busy's lease and is writing its archive.
    auto claimed = queue.Claim("other-process", 600, now, 3);
    ASSERT_TRUE(claimed.ok() && claimed->size() == 3u);
    ASSERT_TRUE(queue.Release("other-process", "run-dead", now).ok());
    // run-written's archive is written and waits for its check, unleased
    // (its process died after recording the stage).
    AdvanceEffects written;
    written.stage_data = "{\"entries\":3}";
    ASSERT_TRUE(queue
                    .Advance("other-process", "run-written",
                             JobStage::kArchived, now, written)
                    .ok());
    ASSERT_TRUE(queue.Release("other-process", "run-written", now).ok());
  }
  WriteFile(dir_.path() / "archive" / ".run-busy.zip.partial.Ab12Cd", "x");
  WriteFile(dir_.path() / "archive" / ".run-dead.zip.partial", "x");
  WriteFile(dir_.path() / "archive" / ".run-written.zip.partial", "x");

  CompletionWorker worker(Options(), std::make_shared<WorkerMetrics>());
  ASSERT_TRUE(worker.Housekeep().ok());
  EXPECT_EQ(FilesUnder("archive"),
            (std::vector<std::string>{".run-busy.zip.partial.Ab12Cd",
                                      ".run-written.zip.partial"}));
}

TEST_F(CompletionWorkerTest, JobsOfPrunedRunsAreForgottenTheirArchivesKept) {
  AddEndedRun("run-pruned");
  AddWorktree("run-pruned");
  CompletionWorker worker(Options(), std::make_shared<WorkerMetrics>());
  Drain(worker);
  ASSERT_EQ(Job("run-pruned")->stage, "done");
  {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READWRITE);
    db.exec(
        "DELETE FROM events WHERE run_id = 'run-pruned';"
        "DELETE FROM steps WHERE run_id = 'run-pruned';"
        "DELETE FROM runs WHERE run_id = 'run-pruned'");
  }
  ASSERT_TRUE(worker.Housekeep().ok());
  EXPECT_FALSE(Job("run-pruned").has_value());
  EXPECT_EQ(ArchivalLogRows(), 1);
  EXPECT_TRUE(fs::exists(dir_.path() / "archive" / "run-pruned.zip"));
}

TEST_F(CompletionWorkerTest, ScrubCatchesBitRotAndTheRunIsArchivedAgain) {
  AddEndedRun("run-rot");
  AddWorktree("run-rot");
  auto clock = std::make_shared<ManualClock>(1764929472);
  CompletionWorkerOptions options = Options();
  options.scrub_interval = std::chrono::hours(24);
  options.clock = clock;
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(options, metrics);
  Drain(worker);
  const std::string zip = dir_.File("archive/run-rot.zip");
  {
    std::fstream f(zip, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(300);
    f.put('\x42').put('\x42');
  }
  // Not due yet: nothing is checked.
  auto early = worker.ScrubOnce();
  ASSERT_TRUE(early.ok()) << early.status().message();
  EXPECT_EQ(*early, 0u);

  clock->Advance(25 * 3600);
  auto checked = worker.ScrubOnce();
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(*checked, 1u);
  EXPECT_EQ(Job("run-rot")->stage, "queued");
  std::string text = metrics->Serialize();
  EXPECT_NE(text.find("pipeline_worker_integrity_checks_total{check=\"scrub\","
                      "result=\"failed\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("pipeline_worker_retained_archives{integrity=\"failed\"} 1"),
      std::string::npos)
      << text;

  Drain(worker);
  EXPECT_EQ(Job("run-rot")->stage, "done");
  const VerifyResult verified = VerifyArchive(zip, "run-rot");
  EXPECT_TRUE(verified.ok) << verified.problem;
  ASSERT_TRUE(worker.Housekeep().ok());
  text = metrics->Serialize();
  EXPECT_NE(
      text.find("pipeline_worker_retained_archives{integrity=\"verified\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("pipeline_worker_retained_archives{integrity=\"failed\"} 0"),
      std::string::npos)
      << text;
}

TEST_F(CompletionWorkerTest, RetentionRemovesTheOldestArchivesBeyondItsLimit) {
  auto clock = std::make_shared<ManualClock>(1764929472);
  auto metrics = std::make_shared<WorkerMetrics>();
  // Retention only at the Housekeep() below, not as the clock moves.
  CompletionWorker worker(KeepOneOptions(clock, std::chrono::hours(1)),
                          metrics);
  for (const char* run_id : {"run-old", "run-mid", "run-new"}) {
    AddEndedRun(run_id);
    AddWorktree(run_id);
    Drain(worker);
    clock->Advance(60);
  }
  ASSERT_EQ(FilesUnder("archive").size(), 3u);
  ASSERT_TRUE(worker.Housekeep().ok());
  EXPECT_EQ(FilesUnder("archive"), std::vector<std::string>{"run-new.zip"});
  SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM archival_log WHERE "
                          "removed_reason = 'count'")
                .getInt64(),
            2);
  const std::string text = metrics->Serialize();
  EXPECT_NE(
      text.find("pipeline_worker_retention_removed_total{reason=\"count\"} 2"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("pipeline_worker_retained_archives{integrity=\"verified\"} 1"),
      std::string::npos)
      << text;
}

TEST_F(CompletionWorkerTest, HousekeepingBetweenScansIsDueByTheClock) {
  auto clock = std::make_shared<ManualClock>(1764929472);
  CompletionWorker worker(KeepOneOptions(clock, std::chrono::seconds(60)),
                          std::make_shared<WorkerMetrics>());
  AddEndedRun("run-a");
  AddWorktree("run-a");
  Drain(worker);  // the first pass: scans, full housekeeping
  clock->Advance(1);
  AddEndedRun("run-b");
  AddWorktree("run-b");
  Drain(worker);  // run-b, from the feed; housekeeping not due yet
  ASSERT_EQ(FilesUnder("archive"),
            (std::vector<std::string>{"run-a.zip", "run-b.zip"}));

  clock->Advance(58);  // 59 s after the first pass
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(FilesUnder("archive").size(), 2u) << "housekept too early";

  clock->Advance(1);  // the interval has passed: retention applies
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(FilesUnder("archive"), std::vector<std::string>{"run-b.zip"});
}

// Starts the worker on a run with a large worktree and returns once its
// archive is being written.
void StartArchivingALargeRun(CompletionWorker& worker,
                             const std::shared_ptr<WorkerMetrics>& metrics) {
  worker.Start();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (metrics->Serialize().find("pipeline_worker_archives_in_progress 1") !=
        std::string::npos) {
      return;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  FAIL() << "the archive never started";
}

// 2025-12-05T12:00:00Z, the worker's first start in the backfill tests:
// after AddEndedRun's runs ended (10:05).
constexpr double kNoon = 1764936000;

// The id of the run_archived event of run_id, 0 if none.
int64_t ArchivedEventId(const std::string& db_path, const std::string& run_id) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT COALESCE(MAX(id), 0) FROM events WHERE "
                      "run_id = ? AND event_type = 'run_archived'");
  q.bind(1, run_id);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

TEST_F(CompletionWorkerTest,
       ByDefaultRunsEndedBeforeTheFirstStartAreLeftAlone) {
  AddEndedRun("old");
  AddWorktree("old");
  auto clock = std::make_shared<ManualClock>(kNoon);
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorkerOptions options = Options();
  options.clock = clock;
  options.backfill = kBackfillNone;
  options.backfill_rate = 5;
  CompletionWorker worker(options, metrics);
  ASSERT_TRUE(worker.RunOnce().ok());
  clock->Advance(60);
  AddFinishedRun("new");  // marked complete now: fresh work
  AddWorktree("new");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(worker.RunOnce().ok());
    clock->Advance(10);
  }

  ASSERT_TRUE(Job("new").has_value());
  EXPECT_EQ(Job("new")->stage, "done");
  EXPECT_FALSE(Job("old").has_value());
  EXPECT_TRUE(EventTypes("old").empty());
  EXPECT_EQ(RunState("old"), "succeeded");
  EXPECT_EQ(FilesUnder("archive"), std::vector<std::string>{"new.zip"});
  EXPECT_EQ(FilesUnder("reports"),
            (std::vector<std::string>{"new_summary.html", "new_summary.json"}));
  const std::string text = metrics->Serialize();
  EXPECT_NE(text.find("pipeline_worker_backlog_runs 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("pipeline_worker_backfill_runs{state=\"skipped\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pipeline_worker_backfill_runs{state=\"pending\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("pipeline_worker_backfill_taken_total 0\n"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest, AWindowTakesTheRunsEndedWithinItAfterFreshOnes) {
  AddEndedRun("recent");  // 10:05, within 24h of the first start
  AddWorktree("recent");
  db_.AddRun({.run_id = "ancient",
              .state = "succeeded",
              .ended_at = "2025-11-01T00:00:00"});
  AddWorktree("ancient");
  AddFinishedRun("new");  // marked complete at the first pass: fresh
  AddWorktree("new");
  auto clock = std::make_shared<ManualClock>(kNoon);
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorkerOptions options = Options();
  options.clock = clock;
  options.backfill = std::chrono::hours(24);
  options.backfill_rate = 1;
  CompletionWorker worker(options, metrics);
  ASSERT_TRUE(worker.RunOnce().ok());
  // The history is counted at the first pass and waits for the fresh job.
  EXPECT_NE(metrics->Serialize().find(
                "pipeline_worker_backfill_runs{state=\"pending\"} 1\n"),
            std::string::npos);
  EXPECT_FALSE(Job("recent").has_value());
  for (int i = 0; i < 3; ++i) {
    clock->Advance(10);
    ASSERT_TRUE(worker.RunOnce().ok());
  }

  ASSERT_TRUE(Job("new").has_value() && Job("recent").has_value());
  EXPECT_EQ(Job("new")->stage, "done");
  EXPECT_EQ(Job("recent")->stage, "done");
  EXPECT_FALSE(Job("ancient").has_value());
  EXPECT_TRUE(EventTypes("ancient").empty());
  const int64_t fresh = ArchivedEventId(dir_.File("state.db"), "new");
  const int64_t old = ArchivedEventId(dir_.File("state.db"), "recent");
  EXPECT_GT(fresh, 0);
  EXPECT_GT(old, fresh);  // after the fresh one
  EXPECT_EQ(FilesUnder("archive"),
            (std::vector<std::string>{"new.zip", "recent.zip"}));
  const std::string text = metrics->Serialize();
  EXPECT_NE(text.find("pipeline_worker_backfill_runs{state=\"pending\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("pipeline_worker_backfill_runs{state=\"skipped\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("pipeline_worker_backfill_taken_total 1\n"),
            std::string::npos);
}

TEST_F(CompletionWorkerTest,
       TheFirstStartOutlivesRestartsAndAWiderWindowTakesMore) {
  AddEndedRun("before");
  AddWorktree("before");
  auto clock = std::make_shared<ManualClock>(kNoon);
  CompletionWorkerOptions options = Options();
  options.clock = clock;
  options.backfill = kBackfillNone;
  {
    CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
    ASSERT_TRUE(worker.RunOnce().ok());
  }
  // A week without a worker; a run ended meanwhile is fresh work for the
  // restarted one, not history.
  clock->Advance(7 * 86400);
  db_.AddRun({.run_id = "meanwhile",
              .state = "succeeded",
              .ended_at = "2025-12-08T00:00:00Z"});
  AddWorktree("meanwhile");
  {
    CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(worker.RunOnce().ok());
  }
  ASSERT_TRUE(Job("meanwhile").has_value());
  EXPECT_EQ(Job("meanwhile")->stage, "done");
  EXPECT_FALSE(Job("before").has_value());

  // Widened later (none to all): the run skipped so far is taken now.
  options.backfill = kBackfillAll;
  {
    CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(worker.RunOnce().ok());
  }
  ASSERT_TRUE(Job("before").has_value());
  EXPECT_EQ(Job("before")->stage, "done");
  EXPECT_EQ(FilesUnder("archive"),
            (std::vector<std::string>{"before.zip", "meanwhile.zip"}));
}

class CompletionWorkerStopTest : public CompletionWorkerTest {
 protected:
  void SetUp() override {
    AddEndedRun("run-big");
    // Incompressible data, so writing it takes a while.
    std::string data(48 << 20, '\0');
    uint64_t x = 88172645463325252ull;
    for (char& c : data) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    WriteFile(dir_.path() / "worktrees" / "run-big" / "blob.bin", data);
  }

  CompletionWorkerOptions StopOptions(milliseconds grace) const {
    CompletionWorkerOptions options = Options();
    options.interval = milliseconds(100);
    options.deflate_level = 9;
    options.shutdown_grace = grace;
    return options;
  }
};

TEST_F(CompletionWorkerStopTest,
       StopLetsTheArchiveInProgressFinishWithinGrace) {
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(StopOptions(std::chrono::seconds(60)), metrics);
  StartArchivingALargeRun(worker, metrics);
  worker.Stop();
  EXPECT_EQ(Job("run-big")->stage, "done");
  const VerifyResult verified =
      VerifyArchive(dir_.File("archive/run-big.zip"), "run-big");
  EXPECT_TRUE(verified.ok) << verified.problem;
}

TEST_F(CompletionWorkerStopTest, StopWithoutGraceAbandonsTheArchiveCleanly) {
  auto metrics = std::make_shared<WorkerMetrics>();
  CompletionWorker worker(StopOptions(milliseconds(0)), metrics);
  StartArchivingALargeRun(worker, metrics);
  worker.Stop();
  EXPECT_EQ(Job("run-big")->stage, "queued");
  EXPECT_TRUE(FilesUnder("archive").empty()) << "left a partial file";
  EXPECT_EQ(EventTypes("run-big"), std::vector<std::string>{});

  // The next start redoes it.
  CompletionWorker again(StopOptions(milliseconds(0)),
                         std::make_shared<WorkerMetrics>());
  Drain(again);
  EXPECT_EQ(Job("run-big")->stage, "done");
}

// What the worker logs while it runs `work`.
std::string LogsOf(const std::function<void()>& work) {
  ::testing::internal::CaptureStderr();
  work();
  return ::testing::internal::GetCapturedStderr();
}

TEST_F(CompletionWorkerTest, ADatabaseNotCreatedYetIsNoWarning) {
  CompletionWorkerOptions options = Options();
  options.db_path = dir_.File("later/state.db");
  CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
  const std::string logs = LogsOf([&] {
    EXPECT_FALSE(worker.RunOnce().ok()) << "no file";
    fs::create_directories(dir_.File("later"));
    {
      SQLite::Database empty(options.db_path,
                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    }
    EXPECT_FALSE(worker.RunOnce().ok()) << "no tables";
    testing::FixtureDb created(options.db_path);
    auto ran = worker.RunOnce();
    EXPECT_TRUE(ran.ok()) << ran.status().message();
  });
  EXPECT_EQ(logs.find("level=warn"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("opened the state database"), std::string::npos)
      << "nothing was wrong: " << logs;
}

TEST_F(CompletionWorkerTest, AFileThatIsNoDatabaseIsWarnedOnce) {
  CompletionWorkerOptions options = Options();
  options.db_path = dir_.File("junk.db");
  std::ofstream(options.db_path) << std::string(8192, 'x');
  CompletionWorker worker(options, std::make_shared<WorkerMetrics>());
  const std::string logs = LogsOf([&] {
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(worker.RunOnce().ok());
  });
  const std::string warning =
      "level=warn msg=\"completion worker cannot open the state database\"";
  const auto first = logs.find(warning);
  EXPECT_NE(first, std::string::npos) << logs;
  EXPECT_EQ(logs.find(warning, first + 1), std::string::npos) << logs;
}

}  // namespace
}  // namespace pe
