#ifndef PIPELINE_EXPORTER_WORKER_RETENTION_H_
#define PIPELINE_EXPORTER_WORKER_RETENTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Archive retention: removes the oldest run archives so that the ones left
// fit the configured limits.
//
// Rules:
// - Retained archives are the archival_log rows with a non-empty
//   archive_path, removed_at IS NULL and either no exporter_jobs row or a
//   job in stage 'done'. An archive whose run is queued, being processed,
//   skipped or failed is never touched.
// - Order: oldest archived_at first (parsed like every contract timestamp,
//   SQL function pe_unix_time), ties by run_id.
// - Age: every archive archived more than max_age_seconds before now goes.
//   Count: then the oldest go while more than max_count are left. Bytes:
//   then the oldest go while the sum of size_bytes left exceeds max_bytes
//   (a total exactly at the limit fits). A removal's reason is the first
//   limit that selected it: "age", then "count", then "bytes". A limit of 0
//   is no limit; all 0 keeps everything (the default).
// - Never the only copy of an unverified run: an archive whose integrity is
//   not 'verified' and whose worktree (<worktrees_dir>/<run_id>, by lstat: a
//   real directory, not a symlink) no longer exists is never removed. It
//   still counts toward the count and bytes totals, the next oldest
//   removable archive goes instead. kept_unverified counts these archives
//   that the same limits would remove without this protection (each once;
//   three protected archives and max_count 1 count 2, not 3).
// - Paths: a row is acted on only if its run id passes ValidateRunIdForPath
//   and its archive_path is exactly <archive_dir>/<run_id>.zip, compared
//   component by component ignoring "." components and repeated or
//   trailing '/'. ".." is compared literally, never collapsed (it could
//   cross a symlink), so "<archive_dir>/../x/<run_id>.zip" does not match.
//   The file unlinked is always the expected path, never the text read
//   from the database. Other rows, and rows whose archived_at is
//   missing or unparsable, are left alone, reported in errors and take no
//   part in the plan (they do not count toward the totals).
// - Enforce reads the rows (one read, no write lock), checks worktrees,
//   plans, unlinks each selected file (already missing is fine: a crash
//   between the unlink and its record is repaired by the next pass),
//   fsyncs the archive directory once, then records each removal in its own
//   short write transaction: removed_at = FormatIsoUtc(now), removed_reason
//   = reason, only if the row still has the same archive_path and
//   archived_at, removed_at IS NULL and its job is still 'done' or absent.
//   No file I/O happens inside a transaction. No event is written (the
//   state contract has no removal event type): the caller logs and counts.
// - Residual race: a run whose job row is absent could be enqueued and
//   re-archived to the same path between the read and the unlink; its new
//   archive would then be unlinked and the record skipped (reported in
//   errors), and the next integrity check finds it missing.

struct RetentionLimits {
  int64_t max_count = 0;       // keep at most this many archives
  uint64_t max_bytes = 0;      // keep at most this many bytes (size_bytes)
  double max_age_seconds = 0;  // remove archives older than this
  bool any() const;
};

// One archive the planner may consider.
struct RetainedArchive {
  std::string run_id, archive_path;
  uint64_t size_bytes = 0;
  double archived_at = 0;  // Unix seconds
  std::string integrity;   // 'verified' | 'failed' | 'missing' | ...
  bool worktree_exists = false;
};

struct Removal {
  std::string run_id, archive_path;
  uint64_t size_bytes = 0;
  const char* reason = "";       // "age", "count" or "bytes"
  double archived_at = 0;        // Unix seconds
  bool already_missing = false;  // Enforce found no file to unlink
};

// Pure planning: which archives to remove, oldest first, so that the rest
// fits limits at time now (rules above). If kept_unverified is not null it
// receives the number of archives that would have been removed but are
// the only copy of an unverified run (computed by planning again without
// the protection).
std::vector<Removal> PlanRetention(std::vector<RetainedArchive> archives,
                                   const RetentionLimits& limits, double now,
                                   int64_t* kept_unverified = nullptr);

struct RetentionOutcome {
  // Archives unlinked (or already gone) and recorded, oldest first.
  std::vector<Removal> removed;
  // Archives that would have been removed but are the only copy of an
  // unverified run.
  int64_t kept_unverified = 0;
  // Rows left alone (bad path or time), failed unlinks or records; each
  // names the run. Nothing in errors was recorded as removed.
  std::vector<std::string> errors;
};

// Applies the retention rules to one database and archive directory.
// REQUIRES: store outlives this object and is used from one thread.
class RetentionEnforcer {
 public:
  RetentionEnforcer(WorkerStore* store, std::string archive_dir,
                    std::string worktrees_dir, RetentionLimits limits);

  // One pass at time now (Unix seconds). Fails only if the rows cannot be
  // read; per-archive problems go to the outcome's errors and are retried
  // by the next pass.
  Result<RetentionOutcome> Enforce(double now);

  // Whether an archive passed the age limit between two passes: a retained
  // row with archived_unix in (last_pass - max_age, now - max_age], found
  // through the index archival_log_archived (a lookup, not a read of every
  // row). With no age limit, false. What else makes a pass necessary (an
  // archive added, or its job done) the caller knows.
  Result<bool> AgeDue(double last_pass, double now);

 private:
  WorkerStore* store_;
  std::string archive_dir_;
  std::string worktrees_dir_;
  RetentionLimits limits_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_RETENTION_H_
