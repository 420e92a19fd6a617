#ifndef PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_
#define PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/backfill.h"
#include "exporter/worker/completion_marker.h"
#include "exporter/worker/job_queue.h"
#include "exporter/worker/worker_metrics.h"
#include "exporter/worker/worker_options.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// The embedded completion worker (design.md, "Completion worker"). Start()
// runs, each with its own WorkerStore connection:
//
// - a maintenance thread, every interval: marks finished runs complete (if
//   enabled), enqueues terminal runs, publishes the backlog, and every
//   housekeeping_interval applies the retention limits and publishes the
//   retained-archive metrics;
// - `concurrency` archiving threads, each claiming one job at a time and
//   taking it to a final stage (JobRunner, job_runner.h);
// - with a scrub interval, a scrub thread re-verifying retained archives
//   whose last check is older than it (ArchiveScrubber).
//
// Maintenance acts on what the poller read (options.feed, a RunFeed): a
// pass looks up only the runs the poller read since the last one, by key,
// and scans (running runs whose steps all finished, terminal runs without a
// job) at its first pass and when the poller read the whole table (start-up,
// state.resync-interval, a replaced file), until the scans come back short;
// that catches runs changed without an event. The full housekeeping (removes
// partial files nobody is writing, forgets jobs of pruned runs, applies
// retention, publishes the retained-archive metrics) runs at the same
// times; in between, housekeeping applies retention only when an archive
// was recorded or passed the age limit, and publishes the retained-archive
// metrics only after a change.
//
// The housekeeping interval and the scrub's timing are read from
// options.clock (MonotonicSeconds); the threads' waits (Wait(), the
// shutdown grace) are condition-variable waits on real time, which a
// ManualClock does not shorten.
//
// History (backfill.h): each lane reads the worker's first start when it
// opens the database (recording it the first time) and takes fresh runs
// only; after the fresh work of a pass, maintenance queues history runs
// within options.backfill, paced by options.backfill_rate, while no job is
// claimable, and counts the history at each completed scan.
//
// Jobs are shared with other exporter processes on the same database
// through leases (JobQueue), so a run is processed by one thread of one
// process at a time.
class CompletionWorker {
 public:
  CompletionWorker(CompletionWorkerOptions options,
                   std::shared_ptr<WorkerMetrics> metrics);
  ~CompletionWorker();
  CompletionWorker(const CompletionWorker&) = delete;
  CompletionWorker& operator=(const CompletionWorker&) = delete;

  // One maintenance pass (housekeeping on the first call and when due) and
  // one job, on the caller's thread. Returns whether a job was processed
  // and recorded.
  Result<bool> RunOnce();
  // Housekeeping now, on the caller's thread.
  Status Housekeep();
  // One scrub batch now, on the caller's thread; how many archives it
  // checked. Does nothing (0) when the scrub interval is 0.
  Result<std::size_t> ScrubOnce();

  // Starts the threads. Stop() stops taking new work, waits up to
  // options.shutdown_grace for the archives being written to finish, then
  // cancels what is left (a cancelled archive leaves no file and is redone
  // later) and joins.
  void Start();
  void Stop();

  const std::string& owner() const { return options_.owner; }

 private:
  // A thread's connection and identity.
  struct Lane {
    std::string owner;
    int slot = 0;
    std::unique_ptr<WorkerStore> store;
    std::unique_ptr<JobQueue> queue;
    std::string last_open_error;
  };

  double Now() const { return options_.clock->WallSeconds(); }
  Status Open(Lane& lane);
  // Mark, enqueue, backlog; housekeeping when due. Returns jobs enqueued.
  Result<int64_t> Maintain(Lane& lane);
  // Mark and enqueue by scanning the runs table (limited batches); sets
  // *complete when both found fewer than their limit.
  Result<int64_t> ScanRuns(Lane& lane, bool* complete);
  // Mark and enqueue among the listed runs, by key.
  Result<int64_t> ListedRuns(Lane& lane, const std::vector<std::string>& runs);
  void CountMarked(const std::vector<CompletionMarker::Marked>& marked);
  // Queues history runs within the window while no job is claimable, as
  // fast as the pacer allows; recount: count the history first (pending,
  // skipped). Returns the jobs added.
  Result<int64_t> Backfill(Lane& lane, bool recount);
  // The periodic progress line instead of one per run (finished: now).
  void LogBackfillProgress(bool finished);
  // Publishes the free and total bytes of the archive volume (one statvfs,
  // cheap enough for every pass), so the gauges are true from the first
  // iteration on and follow a volume that fills up while nothing is archived.
  void MeasureArchiveVolume();
  // full: everything; else (between scans) only what changed.
  Status HousekeepOn(Lane& lane, bool full);
  Result<bool> WorkOne(Lane& lane);
  Result<std::size_t> ScrubOn(Lane& lane);
  void PublishRetained(Lane& lane);

  void MaintenanceLoop();
  void ArchiveLoop(Lane* lane);
  void ScrubLoop();
  // Waits up to `timeout` or until Stop() (true) or Wake().
  bool Wait(std::chrono::milliseconds timeout);
  bool Stopping();
  void Wake();

  CompletionWorkerOptions options_;
  std::shared_ptr<WorkerMetrics> metrics_;
  Lane maintenance_;
  Lane scrub_;
  std::vector<std::unique_ptr<Lane>> archivers_;
  // When housekeeping is due next (options_.clock->MonotonicSeconds()); the
  // first pass runs it anyway.
  double next_housekeeping_ = 0;
  // Scan at the first pass, and again until the scans are complete.
  bool scan_pending_ = true;
  bool first_pass_ = true;
  // An archive was recorded (or its job finished) since retention last ran.
  std::atomic<bool> archives_changed_{true};
  std::optional<double> last_retention_;  // time of the last retention pass
  // Some lane has opened the state database (Open).
  std::atomic<bool> opened_once_{false};
  // Backfill state, used by the maintenance lane only. pending: history
  // runs in the window without a job, -1 until counted.
  BackfillPacer pacer_;
  int64_t backfill_pending_ = -1;
  int64_t backfill_taken_ = 0;  // since the last progress line
  double next_backfill_log_ = 0;

  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t wakeups_ = 0;
  int running_ = 0;  // threads still in their loop
  std::vector<std::thread> threads_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_COMPLETION_WORKER_H_
