#ifndef PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_
#define PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_

#include <atomic>
#include <string>

#include "exporter/worker/job_queue.h"
#include "exporter/worker/worker_metrics.h"
#include "exporter/worker/worker_options.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Takes one claimed job from its recorded stage to a final one:
//
//   queued --archive written + verified--> verified --reports--> done
//   queued --invalid run id--> skipped (no file touched)
//   queued --no worktree folder--> skipped, reports still written
//   with delete_worktrees: ... --reports--> reported --worktree deleted--> done
//   any failure (preflight, archive, reports, deletion) --> same stage,
//   retried after retry_backoff * 2^attempts (at most 1h)
//
// Each stage change is recorded with its archival_log columns and its
// event in one transaction (JobQueue::Advance), so no record or event is
// written twice, across restarts too. No transaction is held during file
// I/O; the lease is renewed while a long archive is written.
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

 private:
  double Now() const { return options_.clock->WallSeconds(); }
  Outcome ArchiveStage(const Job& job);
  Outcome ReportStage(const Job& job, const std::string& skip_reason);
  Outcome DeleteWorktreeStage(const Job& job, bool resumed);
  Outcome Skip(const Job& job, const std::string& reason,
               const std::string& detail);
  Outcome Retry(const Job& job, const std::string& error,
                const std::string& event_type, const std::string& data_json);
  Outcome CheckLease(const Result<LeaseStatus>& status, const Job& job,
                     const char* what);

  const CompletionWorkerOptions& options_;
  WorkerMetrics* metrics_;
  WorkerStore* store_;
  JobQueue* queue_;
  std::string owner_;
  int slot_;
  const std::atomic<bool>* cancel_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JOB_RUNNER_H_
