#ifndef PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_
#define PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "exporter/common/status.h"
#include "exporter/config/config.h"
#include "exporter/worker/busy_retry.h"
#include "exporter/worker/job_queue.h"
#include "exporter/worker/worker_metrics.h"
#include "exporter/worker/worker_store.h"

namespace pe {

struct CompletionWorkerOptions {
  std::string db_path;
  std::string worktrees_dir = ".worktrees";
  std::string archive_dir = ".archive";
  std::string reports_dir = "reports";
  bool mark_complete = true;
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds lease{300000};
  int deflate_level = 6;
  double free_space_factor = 1.5;
  std::chrono::milliseconds retry_backoff{60000};  // doubles, up to 1h
  BusyRetryPolicy busy;
  std::string owner;              // empty: hostname:pid:random
  std::function<double()> clock;  // Unix seconds; empty: the wall clock

  static CompletionWorkerOptions FromConfig(const Config& config);
};

// The embedded completion worker (design.md, "Completion worker"). Each
// iteration, on its own WorkerStore connection: marks finished runs
// complete (if enabled), enqueues terminal runs, claims one job and takes it
// from its recorded stage to a final one:
//
//   queued --archive written + verified--> verified --reports--> done
//   queued --invalid run id--> skipped (no file touched)
//   queued --no worktree folder--> skipped, reports still written
//   any failure (preflight, archive, reports) --> same stage, retried after
//   retry_backoff * 2^attempts (at most 1h)
//
// Each stage change is recorded with its archival_log row and its event in
// one transaction (JobQueue::Advance), so no record or event is written
// twice, across restarts too. No transaction is held during file I/O; the
// lease is renewed while a long archive is written.
class CompletionWorker {
 public:
  CompletionWorker(CompletionWorkerOptions options,
                   std::shared_ptr<WorkerMetrics> metrics);
  ~CompletionWorker();
  CompletionWorker(const CompletionWorker&) = delete;
  CompletionWorker& operator=(const CompletionWorker&) = delete;

  // One iteration on the caller's thread. Returns whether a job was
  // processed and recorded (the loop then goes on at once instead of
  // waiting; after a lost lease or a database error it waits).
  Result<bool> RunOnce();

  // Runs iterations on an own thread every interval until Stop(), which
  // cancels an archive being written and joins.
  void Start();
  void Stop();

  const std::string& owner() const { return options_.owner; }

 private:
  enum class Outcome { kProgress, kRetry, kLost };

  Status OpenStore();
  double Now() const;
  void MarkAndEnqueue(double now);
  Outcome ProcessJob(const Job& job);
  Outcome ArchiveStage(const Job& job);
  Outcome ReportStage(const Job& job, const std::string& skip_reason);
  Outcome Skip(const Job& job, const std::string& reason,
               const std::string& detail);
  Outcome Retry(const Job& job, const std::string& error,
                const std::string& event_type, const std::string& data_json);
  Outcome CheckLease(const Result<LeaseStatus>& status, const Job& job,
                     const char* what);
  void Loop();

  CompletionWorkerOptions options_;
  std::shared_ptr<WorkerMetrics> metrics_;
  std::unique_ptr<WorkerStore> store_;
  std::unique_ptr<JobQueue> queue_;
  bool cleaned_ = false;
  std::string last_open_error_;

  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_
