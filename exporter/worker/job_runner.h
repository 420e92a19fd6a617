#ifndef PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_
#define PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_

#include <atomic>
#include <string>

#include "exporter/worker/job_queue.h"
#include "exporter/worker/job_stages.h"
#include "exporter/worker/worker_metrics.h"
#include "exporter/worker/worker_options.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Takes one claimed job from its recorded stage to a final one, or to a
// recorded failure, by driving the steps of job_stages.h in one loop:
//
//   step = FirstStep(recorded stage)
//   while step: outcome = step(job)
//     advance: record the new stage with its effects (one transaction),
//              then outcome.next
//     continue: outcome.next, nothing recorded
//     fail: count the attempt; retried after retry_backoff * 2^attempts
//           (at most 1h), from the stage the step names; failed after 20
//
// Each transition is recorded as its step ends, so a restart resumes after
// the last finished step and never repeats one. No transaction is held
// during file I/O; while a step blocks in it (archive, verify), a
// LeaseKeeper renews the lease on its own thread.
//
// One JobRunner per archiving thread: it uses that thread's store and queue
// and reports its progress under its own metrics slot.
class JobRunner {
 public:
  enum class Outcome {
    kProgress,  // the job moved on (possibly to a final stage)
    kRetry,     // a failure was recorded; retried after the backoff
    kLost,      // the lease was lost or the database failed: nothing recorded
  };

  JobRunner(const CompletionWorkerOptions& options, WorkerMetrics* metrics,
            WorkerStore* store, JobQueue* queue, std::string owner, int slot,
            const std::atomic<bool>* cancel);

  Outcome Process(const Job& job);

  // For tests: after recording this many transitions, stop as a crash
  // would (kLost, the lease left to expire, nothing more recorded).
  void set_stop_after_transitions(int transitions) {
    stop_after_transitions_ = transitions;
  }

 private:
  double Now() const { return options_.clock->WallSeconds(); }
  // Runs step, with the lease kept meanwhile if the step needs it.
  StepOutcome Run(JobStep step, const JobWork& work);
  Outcome Retry(const Job& job, const StepOutcome& failure);
  Outcome CheckLease(const Result<LeaseStatus>& status, const Job& job,
                     const char* what);

  const CompletionWorkerOptions& options_;
  WorkerMetrics* metrics_;
  JobQueue* queue_;
  std::string owner_;
  StepContext context_;
  int stop_after_transitions_ = -1;  // -1: never
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_
