#include "exporter/worker/job_stage.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace pe {
namespace {

TEST(WorkerJobStageTest, NamesRoundTrip) {
  for (JobStage stage : kAllJobStages) {
    EXPECT_EQ(ParseJobStage(JobStageName(stage)), stage);
  }
  EXPECT_FALSE(ParseJobStage("archiving").has_value());
}

TEST(WorkerJobStageTest, NamesAreTheTextsStoredInTheDatabase) {
  // exporter_jobs.stage holds these: renaming one orphans existing rows.
  EXPECT_STREQ(JobStageName(JobStage::kQueued), "queued");
  EXPECT_STREQ(JobStageName(JobStage::kArchived), "archived");
  EXPECT_STREQ(JobStageName(JobStage::kVerified), "verified");
  EXPECT_STREQ(JobStageName(JobStage::kReported), "reported");
  EXPECT_STREQ(JobStageName(JobStage::kDone), "done");
  EXPECT_STREQ(JobStageName(JobStage::kSkipped), "skipped");
  EXPECT_STREQ(JobStageName(JobStage::kFailed), "failed");
}

TEST(WorkerJobStageTest, AllJobStagesListsEachStageOnce) {
  std::set<std::string> names;
  for (JobStage stage : kAllJobStages) names.insert(JobStageName(stage));
  EXPECT_EQ(names.size(), kAllJobStages.size());
  EXPECT_EQ(kAllJobStages.size(),
            static_cast<std::size_t>(JobStage::kFailed) + 1);
}

TEST(WorkerJobStageTest, ParsingIsExact) {
  for (const char* text : {"", "Queued", "DONE", " done", "done ", "fail"}) {
    EXPECT_FALSE(ParseJobStage(text).has_value()) << text;
  }
}

TEST(WorkerJobStageTest, OnlyDoneSkippedAndFailedAreFinal) {
  for (JobStage stage : kAllJobStages) {
    const bool final = stage == JobStage::kDone ||
                       stage == JobStage::kSkipped ||
                       stage == JobStage::kFailed;
    EXPECT_EQ(IsFinalJobStage(stage), final) << JobStageName(stage);
  }
}

}  // namespace
}  // namespace pe
