#ifndef PIPELINE_EXPORTER_WORKER_JOB_QUEUE_H_
#define PIPELINE_EXPORTER_WORKER_JOB_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/archival_log.h"
#include "exporter/worker/job_stage.h"
#include "exporter/worker/worker_event.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// One row of exporter_jobs.
struct Job {
  std::string run_id;
  JobStage stage = JobStage::kQueued;
  int64_t attempts = 0;
  std::optional<double> next_attempt_at;  // Unix seconds; backoff
  std::string last_error;
  std::string lease_owner;  // empty: no lease
  std::optional<double> lease_expires_at;
  std::string run_ended_at;  // the run's ended_at as the orchestrator wrote it
  double end_sort_key = 0;   // Unix seconds used to order the queue
  // What the stage that ended last left for the next one (JSON), e.g. the
  // figures of the archive written in stage archived; empty if nothing.
  std::string stage_data;
  // The run ended before the worker first ran (end_sort_key before the
  // queue's fresh_since): backfill, logged per run at debug level only.
  bool backfill = false;
};

// History the worker has not taken on (terminal runs without a job that
// ended before its first start), split by a backfill window's start.
struct HistoryCounts {
  int64_t pending = 0;  // ended within the window: still to be taken
  int64_t skipped = 0;  // ended before it: left untouched
};

// Whether a lease-guarded call found the caller still holding the lease.
// kLost: the lease expired, or another owner claimed the job, or the job is
// gone; nothing was written.
enum class LeaseStatus { kHeld, kLost };

// Results recorded in the same transaction as a stage change, so a crash
// can never leave the stage advanced without its record, or the record
// (and its event) written twice.
struct AdvanceEffects {
  std::optional<ArchiveRecord> archive;
  std::optional<ReportRecord> report;
  std::optional<double> worktree_deleted_at;  // Unix seconds
  std::vector<WorkerEvent> events;
  // The new stage's exporter_jobs.stage_data (empty: NULL).
  std::string stage_data;
};

// The completion worker's durable work queue in exporter_jobs: one job per
// run that reached a terminal state, processed oldest end first, shared
// safely by several workers and several exporter processes through leases.
//
// State machine of exporter_jobs.stage:
//
// clang-format off
//  terminal run --Enqueue--> queued -> archived -> verified -> reported -> done
//  any non-final stage --Advance--> any stage but failed (done, skipped final)
//  any non-final stage --Fail(retry_at)--> same stage, attempts + 1, backoff
//  any non-final stage --Fail(retry_at, retry_from)--> retry_from, the same
//  any non-final stage --Fail(no retry)--> failed (final)
// clang-format on
//
// - queued: nothing done yet. archived: the archive is written, not yet
//   checked (a temporary file; stage_data holds its figures). verified: it
//   was checked, moved to its final name and recorded (archival_log).
//   reported: the reports are written. done: nothing left. skipped: nothing to
//   archive (e.g. no worktree); final. failed: given up after too many
//   attempts; final, kept for operators (it counts in the backlog).
// - Advance moves to any stage (a failed verification may go back to
//   queued); the worker resumes a job from its recorded stage, so a restart
//   never repeats a finished step.
// - A job is claimable when its stage is not final, next_attempt_at is NULL
//   or <= now, and it has no lease or an expired one. Backoffs and leases
//   are wall-clock times (shared by processes); if the clock went back,
//   a job last written more than 5 minutes in the future has its backoff
//   and lease ignored (a live holder then loses a job it keeps working on:
//   its records are refused, so nothing is written twice). Claim sets
//   lease_owner and lease_expires_at; Renew extends the lease; Advance, Fail
//   and Release need the caller to hold an unexpired lease and report
//   kLost otherwise. Reaching done/skipped/failed, Fail and Release clear
//   the lease. Fail with a retry time keeps the stage, counts the attempt
//   and sets next_attempt_at (backoff).
//
// Ordering: end_sort_key is the run's ended_at in Unix seconds, parsed with
// pe::ParseTimestamp (SQL function pe_unix_time) so mixed timestamp formats
// order correctly; a missing or unparsable ended_at falls back to
// created_at, and if that fails too the run sorts last. Ties by run_id.
//
// Fresh and history (backfill.h): with set_window(fresh_since, since),
// runs whose sort key is before fresh_since are history, and those of them
// before since are outside the backfill window (never taken). Enqueue (the
// scan) takes only fresh runs; the history within the window is taken by
// EnqueueBackfill, newest first, a batch at a time; EnqueueListed takes
// the listed runs of either (the poller names few history runs between
// resyncs). Claim takes fresh jobs first (oldest end first), then history
// jobs (newest end first). Without set_window every run is fresh.
//
// Every method is one short transaction (IMMEDIATE for writes) with busy
// retry; no file I/O happens inside. REQUIRES: store outlives this object
// and is used from one thread; run two workers with two stores.
class JobQueue {
 public:
  explicit JobQueue(WorkerStore* store) : store_(store) {}

  // History before fresh_since, backfill window from since (above; Unix
  // seconds, since <= fresh_since).
  void set_window(double fresh_since, double since) {
    fresh_since_ = fresh_since;
    since_ = since;
  }
  double fresh_since() const { return fresh_since_; }

  // Adds a queued job for up to limit (keep it to hundreds: the insert
  // transaction grows with it) terminal runs that have none yet,
  // oldest end first. The runs are found by a read (no write lock; returns
  // 0 at once if there are none) and inserted in one short IMMEDIATE
  // transaction that checks each is still terminal. Returns how many were
  // added.
  Result<int64_t> Enqueue(double now, std::size_t limit);
  // The same for the listed runs only (those the poller read, RunFeed),
  // each looked up by key: terminal ones without a job get one. Costs what
  // the list holds, not what the runs table holds.
  Result<int64_t> EnqueueListed(const std::vector<std::string>& run_ids,
                                double now);

  // Adds a queued job for up to limit history runs within the window
  // (terminal, without a job, sort key in [since, fresh_since)), newest
  // end first. Returns how many were added; fewer than limit means none is
  // left in the window.
  Result<int64_t> EnqueueBackfill(std::size_t limit, double now);
  // History runs without a job, in and before the window. A scan of the
  // runs table: call it when one is made anyway.
  Result<HistoryCounts> CountHistory();
  // Whether some job is claimable at now (what backfill waits for).
  Result<bool> AnyClaimable(double now);

  // Atomically leases up to max claimable jobs to owner until
  // now + lease_seconds, oldest end first. Never returns a job another
  // owner holds an unexpired lease on.
  Result<std::vector<Job>> Claim(const std::string& owner, double lease_seconds,
                                 double now, std::size_t max);

  Result<LeaseStatus> Renew(const std::string& owner, const std::string& run_id,
                            double lease_seconds, double now);
  Result<LeaseStatus> Advance(const std::string& owner,
                              const std::string& run_id, JobStage new_stage,
                              double now, const AdvanceEffects& effects = {});
  // Counts a failed attempt with its error. retry_at set: retried once
  // now >= retry_at, from retry_from (a stage that is not final; its
  // stage_data cleared) or else from the same stage; nullopt: the job
  // becomes failed.
  Result<LeaseStatus> Fail(const std::string& owner, const std::string& run_id,
                           const std::string& error,
                           std::optional<double> retry_at, double now,
                           const std::vector<WorkerEvent>& events = {},
                           std::optional<JobStage> retry_from = std::nullopt);
  // Gives the lease back without changing anything else.
  Result<LeaseStatus> Release(const std::string& owner,
                              const std::string& run_id, double now);

  Result<std::optional<Job>> Get(const std::string& run_id);
  // Jobs not done or skipped (failed ones included: they need attention).
  Result<int64_t> Backlog();
  // Deletes up to limit jobs in a final stage whose run is no longer in
  // runs (pruned by the orchestrator), found by a read and deleted by id in
  // one short write. archival_log rows stay: their archives may still be
  // on disk. Returns how many were deleted.
  Result<int64_t> ForgetPrunedRuns(std::size_t limit);
  // Run ids whose temporary archive files are in use at now: their job
  // holds an unexpired lease (some worker may be writing the archive) or is
  // in stage archived (the written archive waits for its check).
  Result<std::vector<std::string>> RunsWritingArchives(double now);
  // Number of jobs in each stage; every stage is present, 0 if none.
  Result<std::map<JobStage, int64_t>> StageCounts();

 private:
  // Inserts a queued job for each of ids still terminal and without one, in
  // one IMMEDIATE transaction.
  Result<int64_t> Insert(const std::vector<std::string>& ids, double now);
  // Runs work in a write transaction if owner holds run_id's unexpired
  // lease; kLost (nothing written) otherwise.
  template <typename Fn>
  Result<LeaseStatus> WithLease(const std::string& what,
                                const std::string& owner,
                                const std::string& run_id, double now,
                                Fn&& work);

  WorkerStore* store_;
  double fresh_since_ = -std::numeric_limits<double>::infinity();
  double since_ = -std::numeric_limits<double>::infinity();
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JOB_QUEUE_H_
