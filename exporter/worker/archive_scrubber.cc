#include "exporter/worker/archive_scrubber.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_verify.h"
#include "exporter/common/json.h"
#include "exporter/common/log.h"
#include "exporter/common/run_id_path.h"
#include "exporter/worker/iso_time.h"
#include "exporter/worker/worker_event.h"
#include "exporter/worker/worker_schema.h"

namespace pe {
namespace {

std::optional<std::string> OptionalText(SQLite::Statement& q, int col) {
  if (q.isColumnNull(col)) return std::nullopt;
  return q.getColumn(col).getString();
}

void BindOptional(SQLite::Statement& q, int index,
                  const std::optional<std::string>& value) {
  if (value) {
    q.bind(index, *value);
  } else {
    q.bind(index);
  }
}

bool IsMissing(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
}

std::string EventData(const ScrubCheck& check, const char* action) {
  return JsonObject()
      .Str("check", "scrub")
      .Str("result", ScrubResultName(check.result))
      .Str("archive_path", check.archive_path)
      .Str("problem", check.problem)
      .Str("action", action)
      .Build();
}

// The least recent check among retained rows whose times parse (-1e300
// marks those that do not), through archival_log_check_due.
const std::string kOldestCheckSql =
    std::string("SELECT MIN(last_check_unix) FROM archival_log WHERE ") +
    kArchivalRetained + " AND last_check_unix > -1e300";

}  // namespace

// One due row as read, kept to guard the recording against changes.
struct ArchiveScrubber::DueRow {
  std::string run_id;
  std::string archive_path;
  std::optional<std::string> archived_at;
  std::optional<std::string> sha256;
  std::optional<int64_t> size_bytes;
  std::optional<std::string> integrity;
};

const char* ScrubResultName(ScrubResult result) {
  switch (result) {
    case ScrubResult::kOk:
      return "ok";
    case ScrubResult::kFailed:
      return "failed";
    case ScrubResult::kMissing:
      return "missing";
  }
  return "failed";
}

ArchiveScrubber::ArchiveScrubber(WorkerStore* store, ScrubOptions options)
    : store_(store), options_(std::move(options)) {}

Result<std::vector<ArchiveScrubber::DueRow>> ArchiveScrubber::ReadDue(
    double now) {
  std::vector<DueRow> rows;
  Status status =
      store_->Read("read archives due for scrub", [&](SQLite::Database& db) {
        rows.clear();
        // Due rows in order through archival_log_check_due: reads the
        // batch, not every retained row.
        SQLite::Statement q(
            db, std::string("SELECT run_id, archive_path, archived_at, sha256, "
                            "size_bytes, integrity FROM archival_log WHERE ") +
                    kArchivalRetained +
                    " AND last_check_unix <= ?1 "
                    "ORDER BY last_check_unix, run_id LIMIT ?2");
        q.bind(1, now - options_.interval_seconds);
        q.bind(2, static_cast<int64_t>(options_.batch));
        while (q.executeStep()) {
          DueRow row;
          row.run_id = q.getColumn(0).getString();
          row.archive_path = q.getColumn(1).getString();
          row.archived_at = OptionalText(q, 2);
          row.sha256 = OptionalText(q, 3);
          if (!q.isColumnNull(4)) row.size_bytes = q.getColumn(4).getInt64();
          row.integrity = OptionalText(q, 5);
          rows.push_back(std::move(row));
        }
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return rows;
}

ScrubCheck ArchiveScrubber::Check(const DueRow& row) const {
  ScrubCheck check;
  check.run_id = row.run_id;
  check.archive_path = row.archive_path;
  check.result = ScrubResult::kFailed;

  if (Status allowed = CheckRecordedArchivePath(options_.archive_dir,
                                                row.run_id, row.archive_path);
      !allowed.ok()) {
    check.problem = allowed.message();
    return check;
  }
  const std::optional<std::string> path =
      ArchivePathFor(options_.archive_dir, row.run_id);
  struct stat st;
  if (::lstat(path->c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      check.result = ScrubResult::kMissing;
      check.problem = "archive '" + *path + "' is missing";
    } else {
      check.problem = "stat '" + *path + "': " + std::strerror(err);
    }
    return check;
  }
  if (!S_ISREG(st.st_mode)) {
    check.problem = "archive '" + *path + "' is not a regular file";
    return check;
  }

  const VerifyResult verified = VerifyArchive(*path, row.run_id);
  check.bytes = verified.archive_bytes;
  if (!verified.ok) {
    // Deleted while it was read: missing, not corrupt.
    if (IsMissing(*path)) {
      check.result = ScrubResult::kMissing;
      check.problem = "archive '" + *path + "' is missing";
    } else {
      check.problem = verified.problem;
    }
    return check;
  }
  if (row.sha256 && !row.sha256->empty() &&
      *row.sha256 != verified.archive_sha256) {
    check.problem = "SHA-256 of '" + *path + "' is " + verified.archive_sha256 +
                    ", archival_log records " + *row.sha256;
    return check;
  }
  if (row.size_bytes &&
      static_cast<uint64_t>(*row.size_bytes) != verified.archive_bytes) {
    check.problem =
        "'" + *path + "' is " + std::to_string(verified.archive_bytes) +
        " bytes, archival_log records " + std::to_string(*row.size_bytes);
    return check;
  }
  check.result = ScrubResult::kOk;
  return check;
}

Status ArchiveScrubber::Record(const DueRow& row, double now,
                               bool worktree_exists, ScrubCheck* check,
                               bool* recorded) {
  const bool ok = check->result == ScrubResult::kOk;
  const std::string integrity = ok ? "verified"
                                : check->result == ScrubResult::kMissing
                                    ? "missing"
                                    : "failed";
  check->integrity_changed = row.integrity != integrity;
  return store_->Write(
      "record scrub of '" + row.run_id + "'", [&](SQLite::Database& db) {
        *recorded = false;
        check->requeued = false;
        SQLite::Statement update(
            db,
            "UPDATE archival_log SET integrity = ?1, checked_at = ?2, "
            "verified_at = CASE WHEN ?1 = 'verified' THEN ?2 "
            "ELSE verified_at END, check_problem = ?3, last_check_unix = ?8 "
            "WHERE run_id = ?4 AND archive_path IS ?5 AND archived_at IS ?6 "
            "AND sha256 IS ?7 AND removed_at IS NULL");
        update.bind(1, integrity);
        update.bind(2, FormatIsoUtc(now));
        if (ok) {
          update.bind(3);
        } else {
          update.bind(3, check->problem);
        }
        update.bind(4, row.run_id);
        update.bind(5, row.archive_path);
        BindOptional(update, 6, row.archived_at);
        BindOptional(update, 7, row.sha256);
        update.bind(8, now);
        if (update.exec() != 1) return Status::Ok();  // changed meanwhile
        *recorded = true;
        if (ok) return Status::Ok();

        if (worktree_exists) {
          SQLite::Statement requeue(
              db,
              "UPDATE exporter_jobs SET stage = 'queued', attempts = 0, "
              "next_attempt_at = NULL, lease_owner = NULL, "
              "lease_expires_at = NULL, last_error = ?1, updated_at = ?2 "
              "WHERE run_id = ?3 AND stage = 'done'");
          requeue.bind(1, check->problem);
          requeue.bind(2, FormatIsoUtc(now));
          requeue.bind(3, row.run_id);
          check->requeued = requeue.exec() == 1;
        }
        return InsertWorkerEvent(
            db,
            {row.run_id, "archival_validation_failed", "error",
             EventData(*check, check->requeued ? "requeued" : "kept")},
            now);
      });
}

Result<std::vector<ScrubCheck>> ArchiveScrubber::RunDue(
    double now, const std::atomic<bool>* cancel) {
  Result<std::vector<DueRow>> due = ReadDue(now);
  if (!due.ok()) return due.status();
  std::vector<ScrubCheck> checks;
  for (const DueRow& row : *due) {
    if (cancel != nullptr && cancel->load()) break;
    ScrubCheck check = Check(row);
    // Only a run id that may become a path names a worktree.
    const bool worktree_exists =
        check.result != ScrubResult::kOk &&
        ValidateRunIdForPath(row.run_id).ok() &&
        !options_.worktrees_dir.empty() &&
        IsRealDirectory(options_.worktrees_dir + "/" + row.run_id);
    if (before_record_) before_record_(check);
    bool recorded = false;
    Status status = Record(row, now, worktree_exists, &check, &recorded);
    if (!status.ok()) return status.WithContext("archive scrub");
    if (!recorded) {
      log::Debug("scrub result dropped: archive changed while checked",
                 {{"run_id", row.run_id}, {"archive", row.archive_path}});
      continue;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

Result<std::optional<double>> ArchiveScrubber::OldestCheck() {
  std::optional<double> oldest;
  Status status =
      store_->Read("read the oldest archive check", [&](SQLite::Database& db) {
        SQLite::Statement q(db, kOldestCheckSql);
        oldest.reset();
        if (q.executeStep() && !q.isColumnNull(0)) {
          oldest = q.getColumn(0).getDouble();
        }
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return oldest;
}

Result<ScrubSummary> ArchiveScrubber::Summary() {
  ScrubSummary summary;
  Status status =
      store_->Read("summarise retained archives", [&](SQLite::Database& db) {
        summary = ScrubSummary();
        SQLite::Statement q(
            db,
            std::string("SELECT COUNT(*), "
                        "COALESCE(SUM(MAX(COALESCE(size_bytes, 0), 0)), 0), "
                        "COALESCE(SUM(integrity = 'verified'), 0), "
                        "COALESCE(SUM(integrity = 'failed'), 0), "
                        "COALESCE(SUM(integrity = 'missing'), 0), (") +
                kOldestCheckSql + ") FROM archival_log WHERE " +
                kArchivalRetained);
        if (!q.executeStep()) return Status::Internal("no summary row");
        summary.retained = q.getColumn(0).getInt64();
        summary.retained_bytes =
            static_cast<uint64_t>(q.getColumn(1).getInt64());
        summary.verified = q.getColumn(2).getInt64();
        summary.failed = q.getColumn(3).getInt64();
        summary.missing = q.getColumn(4).getInt64();
        if (!q.isColumnNull(5))
          summary.oldest_check = q.getColumn(5).getDouble();
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return summary;
}

}  // namespace pe
