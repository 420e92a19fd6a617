#include "exporter/worker/job_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "exporter/common/log.h"
#include "exporter/worker/lease_keeper.h"

namespace pe {
namespace {

constexpr int64_t kMaxAttempts = 20;  // then the job becomes failed
constexpr double kMaxBackoffSeconds = 3600;

}  // namespace

JobRunner::JobRunner(const CompletionWorkerOptions& options,
                     WorkerMetrics* metrics, WorkerStore* store,
                     JobQueue* queue, std::string owner, int slot,
                     const std::atomic<bool>* cancel)
    : options_(options),
      metrics_(metrics),
      queue_(queue),
      owner_(std::move(owner)),
      context_{&options_, metrics, store, slot, cancel} {}

JobRunner::Outcome JobRunner::Process(const Job& job) {
  JobWork work{.job = job, .claimed_at = job.stage, .skip_reason = {}};
  std::optional<JobStep> step = FirstStep(job.stage, options_.delete_worktrees);
  int transitions = 0;
  while (step) {
    const StepOutcome outcome = Run(*step, work);
    switch (outcome.kind) {
      case StepOutcome::Kind::kAdvance: {
        const Outcome recorded =
            CheckLease(queue_->Advance(owner_, job.run_id, outcome.stage, Now(),
                                       outcome.effects),
                       job, JobStepName(*step));
        if (recorded != Outcome::kProgress) return recorded;
        work.job.stage = outcome.stage;
        work.job.stage_data = outcome.effects.stage_data;
        if (++transitions == stop_after_transitions_) return Outcome::kLost;
        break;
      }
      case StepOutcome::Kind::kContinue:
        work.skip_reason = outcome.skip_reason;
        break;
      case StepOutcome::Kind::kFail:
        return Retry(work.job, outcome);
      case StepOutcome::Kind::kCancelled:
        (void)queue_->Release(owner_, job.run_id, Now());
        return Outcome::kLost;
    }
    step = outcome.next;
  }
  metrics_->Succeeded(Now());
  return Outcome::kProgress;
}

StepOutcome JobRunner::Run(JobStep step, const JobWork& work) {
  if (!StepKeepsLease(step)) return RunStep(step, context_, work);
  // The step blocks in file I/O and does not use the store meanwhile: the
  // keeper has it to itself.
  const double lease_seconds =
      std::chrono::duration<double>(options_.lease).count();
  LeaseKeeper keeper(options_.lease / 3, [&] {
    auto renewed = queue_->Renew(owner_, work.job.run_id, lease_seconds, Now());
    if (!renewed.ok() || *renewed == LeaseStatus::kLost) {
      log::Warn("cannot renew the lease",
                {{"run_id", work.job.run_id}, {"step", JobStepName(step)}});
    }
  });
  return RunStep(step, context_, work);
}

JobRunner::Outcome JobRunner::CheckLease(const Result<LeaseStatus>& status,
                                         const Job& job, const char* what) {
  if (!status.ok()) {
    log::Warn("completion worker cannot record progress",
              {{"run_id", job.run_id},
               {"step", what},
               {"err", status.status().message()}});
    (void)queue_->Release(owner_, job.run_id, Now());
    return Outcome::kLost;
  }
  if (*status == LeaseStatus::kLost) {
    log::Warn("lease lost; another worker took the job over",
              {{"run_id", job.run_id}, {"step", what}});
    return Outcome::kLost;
  }
  return Outcome::kProgress;
}

JobRunner::Outcome JobRunner::Retry(const Job& job,
                                    const StepOutcome& failure) {
  const double now = Now();
  std::optional<double> retry_at;
  if (job.attempts + 1 < kMaxAttempts) {
    const double base =
        std::chrono::duration<double>(options_.retry_backoff).count();
    const double backoff =
        std::min(kMaxBackoffSeconds,
                 base * std::pow(2.0, static_cast<double>(std::min<int64_t>(
                                          job.attempts, 30))));
    retry_at = now + backoff;
  }
  log::Warn("completion job failed; will retry",
            {{"run_id", job.run_id},
             {"err", failure.error},
             {"attempt", std::to_string(job.attempts + 1)},
             {"retry_in", retry_at ? std::to_string(*retry_at - now) + "s"
                                   : std::string("never")}});
  std::vector<WorkerEvent> events;
  if (!failure.event.type.empty()) events.push_back(failure.event);
  const Outcome outcome =
      CheckLease(queue_->Fail(owner_, job.run_id, failure.error, retry_at, now,
                              events, failure.retry_from),
                 job, "record failure");
  return outcome == Outcome::kProgress ? Outcome::kRetry : outcome;
}

}  // namespace pe
