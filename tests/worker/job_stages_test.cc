#include "exporter/worker/job_stages.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include "exporter/common/clock.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

// The steps that touch only files (archive, verify), called directly; the
// others, and the loop that records what the steps return, are in
// job_runner_test.cc.
class JobStepTest : public ::testing::Test {
 protected:
  JobStepTest() {
    options_.worktrees_dir = dir_.File("worktrees");
    options_.archive_dir = dir_.File("archive");
    options_.reports_dir = dir_.File("reports");
    options_.clock = std::make_shared<ManualClock>(1764929472);
    ctx_ = {&options_, &metrics_, /*store=*/nullptr, /*slot=*/0, &cancel_};
  }

  JobWork Work(const std::string& run_id, JobStage stage,
               std::string stage_data = "") {
    JobWork work;
    work.job.run_id = run_id;
    work.job.stage = stage;
    work.job.stage_data = std::move(stage_data);
    work.claimed_at = stage;
    return work;
  }

  testing::TempDir dir_;
  CompletionWorkerOptions options_;
  WorkerMetrics metrics_;
  std::atomic<bool> cancel_{false};
  StepContext ctx_{};
};

TEST_F(JobStepTest, ArchiveSkipsARunIdThatMayNotBecomeAPath) {
  const StepOutcome out =
      ArchiveStep(ctx_, Work("../escape", JobStage::kQueued));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kAdvance);
  EXPECT_EQ(out.stage, JobStage::kSkipped);
  EXPECT_EQ(out.next, std::nullopt);
  ASSERT_EQ(out.effects.events.size(), 1u);
  EXPECT_EQ(out.effects.events[0].type, "archival_skipped");
  EXPECT_FALSE(std::filesystem::exists(options_.archive_dir));
}

TEST_F(JobStepTest, ArchiveWithoutAWorktreeGoesOnToReportRecordingNothing) {
  const StepOutcome out = ArchiveStep(ctx_, Work("run-1", JobStage::kQueued));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kContinue);
  EXPECT_EQ(out.next, JobStep::kReport);
  EXPECT_EQ(out.skip_reason, "no_worktree");
}

TEST_F(JobStepTest, ArchiveWritesTheArchiveUncheckedAndLeavesItsFigures) {
  std::filesystem::create_directories(dir_.path() / "worktrees" / "run-1" /
                                      "logs");
  const StepOutcome out = ArchiveStep(ctx_, Work("run-1", JobStage::kQueued));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kAdvance);
  EXPECT_EQ(out.stage, JobStage::kArchived);
  EXPECT_EQ(out.next, JobStep::kVerify);
  EXPECT_NE(out.effects.stage_data.find("\"entries\":3"), std::string::npos)
      << out.effects.stage_data;  // run-1/, run-1/logs/, the manifest
  EXPECT_FALSE(out.effects.archive) << "recorded before its check";
  EXPECT_TRUE(
      std::filesystem::exists(dir_.path() / "archive" / ".run-1.zip.partial"));
}

TEST_F(JobStepTest, VerifyWithoutUsableFiguresSendsTheJobBackToArchive) {
  const StepOutcome out =
      VerifyStep(ctx_, Work("run-1", JobStage::kArchived, "not json {"));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kAdvance);
  EXPECT_EQ(out.stage, JobStage::kQueued);
  EXPECT_EQ(out.next, JobStep::kArchive);
}

TEST_F(JobStepTest, VerifyOfAMissingArchiveSendsTheJobBackToArchive) {
  const StepOutcome out =
      VerifyStep(ctx_, Work("run-1", JobStage::kArchived, "{\"entries\":3}"));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kAdvance);
  EXPECT_EQ(out.stage, JobStage::kQueued);
  EXPECT_EQ(out.next, JobStep::kArchive);
}

TEST_F(JobStepTest, VerifyOfAnArchiveWithOtherEntriesFailsBackToQueued) {
  std::filesystem::create_directories(dir_.path() / "worktrees" / "run-1");
  ASSERT_EQ(ArchiveStep(ctx_, Work("run-1", JobStage::kQueued)).stage,
            JobStage::kArchived);
  const StepOutcome out =
      VerifyStep(ctx_, Work("run-1", JobStage::kArchived, "{\"entries\":7}"));
  EXPECT_EQ(out.kind, StepOutcome::Kind::kFail);
  EXPECT_EQ(out.retry_from, JobStage::kQueued);
  EXPECT_EQ(out.event.type, "archival_validation_failed");
  EXPECT_FALSE(
      std::filesystem::exists(dir_.path() / "archive" / ".run-1.zip.partial"));
}

TEST(JobStepsTest, EachRecordedStageResumesWithItsStep) {
  EXPECT_EQ(FirstStep(JobStage::kQueued, false), JobStep::kArchive);
  EXPECT_EQ(FirstStep(JobStage::kArchived, false), JobStep::kVerify);
  EXPECT_EQ(FirstStep(JobStage::kVerified, false), JobStep::kReport);
  EXPECT_EQ(FirstStep(JobStage::kReported, true), JobStep::kDelete);
  EXPECT_EQ(FirstStep(JobStage::kReported, false), JobStep::kFinish);
  for (JobStage final_stage :
       {JobStage::kDone, JobStage::kSkipped, JobStage::kFailed}) {
    EXPECT_EQ(FirstStep(final_stage, true), std::nullopt)
        << JobStageName(final_stage);
  }
}

}  // namespace
}  // namespace pe
