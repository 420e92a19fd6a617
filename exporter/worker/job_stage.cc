#include "exporter/worker/job_stage.h"

namespace pe {

const char* JobStageName(JobStage stage) {
  switch (stage) {
    case JobStage::kQueued:
      return "queued";
    case JobStage::kArchived:
      return "archived";
    case JobStage::kVerified:
      return "verified";
    case JobStage::kReported:
      return "reported";
    case JobStage::kDone:
      return "done";
    case JobStage::kSkipped:
      return "skipped";
    case JobStage::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<JobStage> ParseJobStage(std::string_view name) {
  for (JobStage stage : kAllJobStages) {
    if (name == JobStageName(stage)) return stage;
  }
  return std::nullopt;
}

bool IsFinalJobStage(JobStage stage) {
  return stage == JobStage::kDone || stage == JobStage::kSkipped ||
         stage == JobStage::kFailed;
}

}  // namespace pe
