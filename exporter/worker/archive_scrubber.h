#ifndef PIPELINE_EXPORTER_WORKER_ARCHIVE_SCRUBBER_H_
#define PIPELINE_EXPORTER_WORKER_ARCHIVE_SCRUBBER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/worker_store.h"

namespace pe {

struct ScrubOptions {
  std::string archive_dir;    // where archives must live: <dir>/<run_id>.zip
  std::string worktrees_dir;  // <worktrees_dir>/<run_id>/ is the source tree
  double interval_seconds = 86400;  // due when the last check is this old
  std::size_t batch = 8;            // at most this many archives per RunDue
};

enum class ScrubResult { kOk, kFailed, kMissing };

// "ok", "failed", "missing": stable, usable as a metric label value.
const char* ScrubResultName(ScrubResult result);

// The recorded outcome of one archive's check.
struct ScrubCheck {
  std::string run_id, archive_path;
  ScrubResult result = ScrubResult::kFailed;
  std::string problem;    // empty when kOk
  bool requeued = false;  // the run's job went back to 'queued'
  // The row's integrity column changed (e.g. verified -> failed): the
  // retained-archive counts changed.
  bool integrity_changed = false;
  std::uint64_t bytes = 0;  // size of the archive file as read
};

// Over the retained archives: archival_log rows with a non-empty
// archive_path and no removed_at.
struct ScrubSummary {
  int64_t retained = 0;
  uint64_t retained_bytes = 0;                    // sum of size_bytes
  int64_t verified = 0, failed = 0, missing = 0;  // by integrity column
  // Unix seconds of the least recent COALESCE(checked_at, archived_at);
  // nullopt when nothing is retained or no time parses.
  std::optional<double> oldest_check;
};

// The completion worker's periodic integrity check of the archives it
// wrote: each retained archive is verified again (VerifyArchive plus the
// SHA-256 and size recorded in archival_log) once its last check is
// interval_seconds old, least recently checked first.
//
// Per RunDue call: one Read picks the due rows (no write lock); each
// archive is then verified outside any transaction, and its result is
// recorded in its own short Write:
// - ok: integrity = 'verified', checked_at = verified_at = now,
//   check_problem = NULL.
// - missing (no file: ENOENT) / failed (anything else: bad CRC, manifest
//   mismatch, another SHA-256 or size, not a regular file, unreadable):
//   integrity = 'missing' / 'failed', checked_at = now, check_problem set,
//   and in the same transaction an archival_validation_failed event
//   (severity error, data {"check":"scrub","archive_path","problem",
//   "action"}). If the run's worktree <worktrees_dir>/<run_id> is still a
//   real directory and its job is 'done', the job goes back to 'queued'
//   (attempts and lease cleared, last_error = problem; action "requeued"):
//   the worker archives the run again and its rename replaces the bad file.
//   Otherwise the bad file is kept, it may be the only copy (action "kept").
//   The scrub never deletes or modifies an archive.
//
// Paths: the archive_path read from the database is opened only if it is
// exactly <archive_dir>/<run_id>.zip (both lexically normalised, no ".."
// component in the recorded one) for a run id that passes
// ValidateRunIdForPath, and lstat finds a regular file there (no symlink).
// Any other path is reported failed without being opened, and a run id
// that fails validation never becomes a worktree path (no requeue).
//
// Races: a result is recorded only if the row still has the archive_path,
// sha256 and archived_at it was read with and is not removed; if another
// worker re-archived the run (or retention removed it) meanwhile, the
// result is dropped: not recorded and left out of RunDue's return value.
// Two exporter processes scrubbing the same archive at once is harmless:
// both read the same file, the later Write overwrites the same columns
// with the same verdict, and only one of them can requeue the job (the
// UPDATE matches stage 'done' once); a failed archive may then get two
// events.
//
// REQUIRES: store outlives this object; both are used from one thread.
class ArchiveScrubber {
 public:
  ArchiveScrubber(WorkerStore* store, ScrubOptions options);

  // Verifies up to options.batch retained archives whose last check
  // (checked_at, else archived_at; parsed with pe_unix_time; unparsable
  // counts as never checked) is at or before now - interval_seconds, least
  // recently checked first (ties by run_id). cancel (may be null) is
  // checked before each archive. Returns the recorded checks in order; on a
  // database error returns it, and the checks recorded before stay recorded.
  Result<std::vector<ScrubCheck>> RunDue(
      double now, const std::atomic<bool>* cancel = nullptr);

  // One Read over the retained archives.
  Result<ScrubSummary> Summary();
  // Only ScrubSummary::oldest_check, through the index archival_log_check_due
  // (a lookup): what a scrub that changed no integrity changes.
  Result<std::optional<double>> OldestCheck();

  // Test hook: called after each archive is checked, before its result is
  // recorded (no transaction is open then), so a test can change the row.
  using Hook = std::function<void(const ScrubCheck&)>;
  void SetBeforeRecordHookForTesting(Hook hook) {
    before_record_ = std::move(hook);
  }

 private:
  struct DueRow;

  Result<std::vector<DueRow>> ReadDue(double now);
  ScrubCheck Check(const DueRow& row) const;
  // Records check; sets *recorded to false if the row changed since read.
  Status Record(const DueRow& row, double now, bool worktree_exists,
                ScrubCheck* check, bool* recorded);

  WorkerStore* store_;
  ScrubOptions options_;
  Hook before_record_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_ARCHIVE_SCRUBBER_H_
