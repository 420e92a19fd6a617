#include "exporter/worker/job_runner.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_verify.h"
#include "exporter/common/clock.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr const char* kRun = "run-1";
constexpr double kLeaseSeconds = 300;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// One ended run with a worktree, its job queued, and a runner per
// "process": a restart is a new runner with a new owner, claiming the job
// once the old lease has expired on the manual clock.
class JobRunnerTest : public ::testing::Test {
 protected:
  JobRunnerTest()
      : db_(dir_.File("state.db")),
        clock_(std::make_shared<ManualClock>(1764929472)) {
    options_.db_path = dir_.File("state.db");
    options_.worktrees_dir = dir_.File("worktrees");
    options_.archive_dir = dir_.File("archive");
    options_.reports_dir = dir_.File("reports");
    options_.retry_backoff = milliseconds(60000);
    options_.lease = milliseconds(static_cast<int>(kLeaseSeconds * 1000));
    options_.busy = {.busy_timeout = milliseconds(200),
                     .max_attempts = 5,
                     .initial_backoff = milliseconds(10),
                     .max_backoff = milliseconds(100)};
    options_.clock = clock_;
    db_.AddRun({.run_id = kRun,
                .state = "succeeded",
                .ended_at = "2025-12-05T10:05:00"});
    db_.AddStep(kRun, "build", "completed", "2025-12-05T10:00:10",
                "2025-12-05T10:01:00");
    WriteFile(Worktree() / "logs" / "build.log", std::string(100000, 'x'));
    WriteFile(Worktree() / "README.txt", "hello\n");
    auto store = WorkerStore::Open(options_.db_path, options_.busy);
    EXPECT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    queue_ = std::make_unique<JobQueue>(store_.get());
    EXPECT_EQ(*queue_->Enqueue(clock_->WallSeconds(), 10), 1);
  }

  fs::path Worktree() const { return dir_.path() / "worktrees" / kRun; }
  std::string FinalArchive() const {
    return ArchivePathFor(options_.archive_dir, kRun);
  }
  std::string PartialArchive() const {
    return PartialArchivePath(options_.archive_dir, kRun);
  }

  // A process's pass over the job: claims it as a new owner (after the
  // previous lease expired) and processes it, stopping as a crash would
  // after stop_after transitions (-1: never).
  JobRunner::Outcome Pass(int stop_after = -1) {
    clock_->Advance(kLeaseSeconds + 1);
    const std::string owner = "process-" + std::to_string(++processes_);
    auto claimed =
        queue_->Claim(owner, kLeaseSeconds, clock_->WallSeconds(), 1);
    EXPECT_TRUE(claimed.ok() && claimed->size() == 1) << "nothing to claim";
    if (!claimed.ok() || claimed->empty()) return JobRunner::Outcome::kLost;
    JobRunner runner(options_, &metrics_, store_.get(), queue_.get(), owner,
                     /*slot=*/0, &cancel_);
    runner.set_stop_after_transitions(stop_after);
    return runner.Process(claimed->front());
  }

  Job Recorded() {
    auto job = queue_->Get(kRun);
    EXPECT_TRUE(job.ok() && job->has_value());
    return job.ok() && job->has_value() ? **job : Job{};
  }

  std::vector<std::string> EventTypes() {
    SQLite::Statement q(db_.db(),
                        "SELECT event_type FROM events WHERE run_id = ? "
                        "ORDER BY id");
    q.bind(1, kRun);
    std::vector<std::string> types;
    while (q.executeStep()) types.push_back(q.getColumn(0).getString());
    return types;
  }

  int64_t Count(const std::string& sql) {
    return db_.db().execAndGet(sql).getInt64();
  }

  testing::TempDir dir_;
  testing::FixtureDb db_;
  std::shared_ptr<ManualClock> clock_;
  CompletionWorkerOptions options_;
  WorkerMetrics metrics_;
  std::unique_ptr<WorkerStore> store_;
  std::unique_ptr<JobQueue> queue_;
  std::atomic<bool> cancel_{false};
  int processes_ = 0;
};

TEST_F(JobRunnerTest, StagesFollowInOrderEachRecordedAsItEnds) {
  options_.delete_worktrees = true;
  std::vector<std::string> stages;
  for (int transitions = 1; transitions <= 4; ++transitions) {
    // Each pass resumes where the last stopped and records one more stage.
    EXPECT_EQ(Pass(/*stop_after=*/1), JobRunner::Outcome::kLost);
    stages.push_back(JobStageName(Recorded().stage));
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"archived", "verified",
                                              "reported", "done"}));
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
  EXPECT_FALSE(fs::exists(Worktree()));
  EXPECT_TRUE(VerifyArchive(FinalArchive(), kRun).ok);
}

TEST_F(JobRunnerTest, OnePassTakesTheJobThroughEveryStage) {
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  const Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kDone);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_TRUE(job.stage_data.empty());
  EXPECT_TRUE(job.lease_owner.empty());
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
  EXPECT_TRUE(fs::exists(Worktree())) << "kept without delete_worktrees";
  EXPECT_FALSE(fs::exists(PartialArchive()));
}

TEST_F(JobRunnerTest, ArchivedLeavesTheWrittenArchiveUncheckedWithItsFigures) {
  Pass(/*stop_after=*/1);
  const Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kArchived);
  EXPECT_NE(job.stage_data.find("\"entries\":"), std::string::npos)
      << job.stage_data;
  EXPECT_NE(job.stage_data.find("\"input_bytes\":100006"), std::string::npos)
      << job.stage_data;
  EXPECT_TRUE(fs::exists(PartialArchive()));
  EXPECT_FALSE(fs::exists(FinalArchive())) << "nothing unchecked there";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM archival_log"), 0);
  EXPECT_TRUE(EventTypes().empty());
}

TEST_F(JobRunnerTest,
       ResumedAfterArchivedChecksTheWrittenArchiveWithoutWriting) {
  Pass(/*stop_after=*/1);
  // Written again, the archive would hold this file.
  WriteFile(Worktree() / "late.txt", "written after the archive\n");
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  const VerifyResult verified = VerifyArchive(FinalArchive(), kRun);
  ASSERT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.entries, 5u)  // run-1/, logs/, build.log, README, manifest
      << "an entry was added: the archive was written again";
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
}

TEST_F(JobRunnerTest, ResumedAfterVerifiedOnlyReports) {
  Pass(/*stop_after=*/2);
  ASSERT_EQ(Recorded().stage, JobStage::kVerified);
  const auto written = fs::last_write_time(FinalArchive());
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_EQ(fs::last_write_time(FinalArchive()), written);
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM archival_log WHERE report_json "
                  "IS NOT NULL AND integrity = 'verified'"),
            1);
}

TEST_F(JobRunnerTest, ResumedAfterReportedChecksTheArchiveAgainThenDeletes) {
  options_.delete_worktrees = true;
  Pass(/*stop_after=*/3);
  ASSERT_EQ(Recorded().stage, JobStage::kReported);
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_FALSE(fs::exists(Worktree()));
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM archival_log "
                  "WHERE worktree_deleted_at IS NOT NULL"),
            1);
}

TEST_F(JobRunnerTest, ResumedAfterReportedFinishesWhenDeletionWasTurnedOff) {
  options_.delete_worktrees = true;
  Pass(/*stop_after=*/3);
  options_.delete_worktrees = false;
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_TRUE(fs::exists(Worktree()));
}

TEST_F(JobRunnerTest, AFailedArchiveIsRetriedFromQueuedAfterTheBackoff) {
  options_.free_space_factor = 1e12;  // no volume is that free
  EXPECT_EQ(Pass(), JobRunner::Outcome::kRetry);
  const Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kQueued);
  EXPECT_EQ(job.attempts, 1);
  ASSERT_TRUE(job.next_attempt_at);
  EXPECT_EQ(*job.next_attempt_at, clock_->WallSeconds() + 60);
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"archival_preflight_failed"}));
  EXPECT_FALSE(fs::exists(PartialArchive()));
}

TEST_F(JobRunnerTest, AFailedCheckGoesBackToQueuedAndArchivesAgain) {
  Pass(/*stop_after=*/1);
  {
    std::fstream f(PartialArchive(),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x42').put('\x42').put('\x42');
  }
  EXPECT_EQ(Pass(), JobRunner::Outcome::kRetry);
  Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kQueued);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_TRUE(job.stage_data.empty());
  EXPECT_FALSE(fs::exists(PartialArchive())) << "the bad archive is removed";
  EXPECT_FALSE(fs::exists(FinalArchive()));
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"archival_validation_failed"}));

  clock_->Advance(60);
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_TRUE(VerifyArchive(FinalArchive(), kRun).ok);
}

TEST_F(JobRunnerTest, AWrittenArchiveThatVanishedIsWrittenAgain) {
  Pass(/*stop_after=*/1);
  fs::remove(PartialArchive());
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  const Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kDone);
  EXPECT_EQ(job.attempts, 0) << "not a failed attempt";
  EXPECT_TRUE(VerifyArchive(FinalArchive(), kRun).ok);
}

TEST_F(JobRunnerTest, ARenamedArchiveWhoseRecordWasLostIsRecordedNotWritten) {
  Pass(/*stop_after=*/1);
  // The crash came after the rename, before the verified record.
  fs::rename(PartialArchive(), FinalArchive());
  const auto written = fs::last_write_time(FinalArchive());
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_EQ(fs::last_write_time(FinalArchive()), written) << "written again";
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
}

TEST_F(JobRunnerTest, AFailedReportIsRetriedFromVerified) {
  WriteFile(options_.reports_dir, "a file where the folder should be");
  EXPECT_EQ(Pass(), JobRunner::Outcome::kRetry);
  const Job job = Recorded();
  EXPECT_EQ(job.stage, JobStage::kVerified);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(EventTypes(), (std::vector<std::string>{"run_archived"}));

  fs::remove(options_.reports_dir);
  clock_->Advance(60);
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated"}));
}

TEST_F(JobRunnerTest, AnArchiveFailingItsCheckBeforeDeletionIsArchivedAgain) {
  options_.delete_worktrees = true;
  Pass(/*stop_after=*/3);
  {
    std::fstream f(FinalArchive(),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x42').put('\x42').put('\x42');
  }
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kDone);
  EXPECT_FALSE(fs::exists(Worktree()));
  EXPECT_TRUE(VerifyArchive(FinalArchive(), kRun).ok);
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"run_archived", "report_generated",
                                      "archival_validation_failed",
                                      "run_archived", "report_generated"}));
}

TEST_F(JobRunnerTest, NoWorktreeReportsAndSkipsWithoutAnArchive) {
  fs::remove_all(Worktree());
  EXPECT_EQ(Pass(), JobRunner::Outcome::kProgress);
  EXPECT_EQ(Recorded().stage, JobStage::kSkipped);
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"archival_skipped", "report_generated"}));
  EXPECT_FALSE(fs::exists(options_.archive_dir + "/run-1.zip"));
}

TEST_F(JobRunnerTest, ALostLeaseRecordsNothing) {
  clock_->Advance(kLeaseSeconds + 1);
  auto claimed = queue_->Claim("slow", kLeaseSeconds, clock_->WallSeconds(), 1);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1);
  // Another process takes the job over once the lease expired.
  clock_->Advance(kLeaseSeconds + 1);
  ASSERT_EQ(
      queue_->Claim("fast", kLeaseSeconds, clock_->WallSeconds(), 1)->size(),
      1u);
  JobRunner runner(options_, &metrics_, store_.get(), queue_.get(), "slow", 0,
                   &cancel_);
  EXPECT_EQ(runner.Process(claimed->front()), JobRunner::Outcome::kLost);
  EXPECT_EQ(Recorded().stage, JobStage::kQueued);
  EXPECT_EQ(Recorded().lease_owner, "fast");
  EXPECT_TRUE(EventTypes().empty());
}

}  // namespace
}  // namespace pe
