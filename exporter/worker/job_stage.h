#ifndef PIPELINE_EXPORTER_WORKER_JOB_STAGE_H_
#define PIPELINE_EXPORTER_WORKER_JOB_STAGE_H_

#include <array>
#include <optional>
#include <string_view>

namespace pe {

// Where a run's job stands in exporter_jobs.stage; the state machine is
// documented in job_queue.h.
enum class JobStage {
  kQueued,
  kArchived,
  kVerified,
  kReported,
  kDone,
  kSkipped,
  kFailed,
};

inline constexpr std::array<JobStage, 7> kAllJobStages = {
    JobStage::kQueued,   JobStage::kArchived, JobStage::kVerified,
    JobStage::kReported, JobStage::kDone,     JobStage::kSkipped,
    JobStage::kFailed};

// The text stored in the database: "queued", "archived", ...
const char* JobStageName(JobStage stage);
std::optional<JobStage> ParseJobStage(std::string_view name);
// done, skipped and failed: never claimed again.
bool IsFinalJobStage(JobStage stage);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JOB_STAGE_H_
