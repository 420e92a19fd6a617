#include "exporter/worker/retention.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "exporter/archive/archive_files.h"
#include "exporter/common/run_id_path.h"
#include "exporter/worker/iso_time.h"
#include "exporter/worker/worker_schema.h"

namespace pe {
namespace {

bool OnlyCopyOfUnverifiedRun(const RetainedArchive& archive) {
  return archive.integrity != "verified" && !archive.worktree_exists;
}

// One retained archival_log row as read from the database.
struct Row {
  std::string run_id, archive_path, archived_at_text, integrity;
  std::optional<double> archived_at;
  int64_t size_bytes = 0;
};

// Oldest first through the index archival_log_archived (no sort).
constexpr const char* kSelectRetained =
    "SELECT run_id, archive_path, archived_at, archived_unix, size_bytes, "
    "integrity FROM archival_log WHERE " PE_ARCHIVAL_RETAINED
    " AND NOT EXISTS (SELECT 1 FROM exporter_jobs j "
    "WHERE j.run_id = archival_log.run_id AND j.stage <> 'done') "
    "ORDER BY archived_unix, run_id";

constexpr const char* kRecordRemoval =
    "UPDATE archival_log SET removed_at = ?1, removed_reason = ?2 "
    "WHERE run_id = ?3 AND archive_path = ?4 AND archived_at = ?5 "
    "AND removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM exporter_jobs j "
    "WHERE j.run_id = ?3 AND j.stage <> 'done')";

std::string Text(SQLite::Statement& q, int col) {
  return q.isColumnNull(col) ? std::string() : q.getColumn(col).getString();
}

// The reason each archive (sorted oldest first) is removed for, nullptr if
// kept. With protect_unverified, the only copy of an unverified run is
// never selected but still counts toward the totals.
std::vector<const char*> SelectRemovals(
    const std::vector<RetainedArchive>& archives, const RetentionLimits& limits,
    double now, bool protect_unverified) {
  const std::size_t n = archives.size();
  std::vector<const char*> reason(n, nullptr);
  int64_t count = static_cast<int64_t>(n);
  uint64_t bytes = 0;
  for (const RetainedArchive& a : archives) bytes += a.size_bytes;

  auto select = [&](std::size_t i, const char* why) {
    if (reason[i] != nullptr) return;
    if (protect_unverified && OnlyCopyOfUnverifiedRun(archives[i])) return;
    reason[i] = why;
    count -= 1;
    bytes -= archives[i].size_bytes;
  };
  if (limits.max_age_seconds > 0) {
    for (std::size_t i = 0; i < n; ++i) {
      if (now - archives[i].archived_at > limits.max_age_seconds) {
        select(i, "age");
      }
    }
  }
  if (limits.max_count > 0) {
    for (std::size_t i = 0; i < n && count > limits.max_count; ++i) {
      select(i, "count");
    }
  }
  if (limits.max_bytes > 0) {
    for (std::size_t i = 0; i < n && bytes > limits.max_bytes; ++i) {
      select(i, "bytes");
    }
  }
  return reason;
}

}  // namespace

bool RetentionLimits::any() const {
  return max_count > 0 || max_bytes > 0 || max_age_seconds > 0;
}

std::vector<Removal> PlanRetention(std::vector<RetainedArchive> archives,
                                   const RetentionLimits& limits, double now,
                                   int64_t* kept_unverified) {
  std::sort(archives.begin(), archives.end(),
            [](const RetainedArchive& a, const RetainedArchive& b) {
              return std::tie(a.archived_at, a.run_id) <
                     std::tie(b.archived_at, b.run_id);
            });
  const std::vector<const char*> reason =
      SelectRemovals(archives, limits, now, /*protect_unverified=*/true);

  std::vector<Removal> removals;
  for (std::size_t i = 0; i < archives.size(); ++i) {
    if (reason[i] == nullptr) continue;
    removals.push_back({.run_id = archives[i].run_id,
                        .archive_path = archives[i].archive_path,
                        .size_bytes = archives[i].size_bytes,
                        .reason = reason[i],
                        .archived_at = archives[i].archived_at});
  }
  if (kept_unverified != nullptr) {
    // The protected archives the same limits would remove without the
    // protection.
    const std::vector<const char*> unprotected =
        SelectRemovals(archives, limits, now, /*protect_unverified=*/false);
    *kept_unverified = 0;
    for (std::size_t i = 0; i < archives.size(); ++i) {
      if (unprotected[i] != nullptr && OnlyCopyOfUnverifiedRun(archives[i])) {
        *kept_unverified += 1;
      }
    }
  }
  return removals;
}

RetentionEnforcer::RetentionEnforcer(WorkerStore* store,
                                     std::string archive_dir,
                                     std::string worktrees_dir,
                                     RetentionLimits limits)
    : store_(store),
      archive_dir_(std::move(archive_dir)),
      worktrees_dir_(std::move(worktrees_dir)),
      limits_(limits) {}

Result<bool> RetentionEnforcer::AgeDue(double last_pass, double now) {
  if (limits_.max_age_seconds <= 0) return false;
  bool due = false;
  Status status = store_->Read(
      "look for archives past the age limit", [&](SQLite::Database& db) {
        SQLite::Statement q(db,
                            std::string("SELECT 1 FROM archival_log WHERE ") +
                                kArchivalRetained +
                                " AND archived_unix > ?1 AND "
                                "archived_unix <= ?2 LIMIT 1");
        q.bind(1, last_pass - limits_.max_age_seconds);
        q.bind(2, now - limits_.max_age_seconds);
        due = q.executeStep();
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return due;
}

Result<RetentionOutcome> RetentionEnforcer::Enforce(double now) {
  RetentionOutcome outcome;
  if (!limits_.any()) return outcome;

  std::vector<Row> rows;
  Status read =
      store_->Read("read retained archives", [&](SQLite::Database& db) {
        rows.clear();
        SQLite::Statement q(db, kSelectRetained);
        while (q.executeStep()) {
          Row row;
          row.run_id = Text(q, 0);
          row.archive_path = Text(q, 1);
          row.archived_at_text = Text(q, 2);
          if (!q.isColumnNull(3)) row.archived_at = q.getColumn(3).getDouble();
          if (!q.isColumnNull(4)) row.size_bytes = q.getColumn(4).getInt64();
          row.integrity = Text(q, 5);
          rows.push_back(std::move(row));
        }
        return Status::Ok();
      });
  if (!read.ok()) return read.WithContext("retention");

  // Checks paths and worktrees outside any transaction.
  std::vector<RetainedArchive> archives;
  for (const Row& row : rows) {
    if (Status path = CheckRecordedArchivePath(archive_dir_, row.run_id,
                                               row.archive_path);
        !path.ok()) {
      outcome.errors.push_back("run '" + row.run_id +
                               "': left alone: " + path.message());
      continue;
    }
    if (!row.archived_at) {
      outcome.errors.push_back(
          "run '" + row.run_id + "': left alone: archived_at '" +
          row.archived_at_text + "' is missing or unparsable");
      continue;
    }
    RetainedArchive archive{.run_id = row.run_id,
                            .archive_path = row.archive_path,
                            .size_bytes = static_cast<uint64_t>(
                                std::max<int64_t>(row.size_bytes, 0)),
                            .archived_at = *row.archived_at,
                            .integrity = row.integrity};
    if (archive.integrity != "verified") {
      archive.worktree_exists =
          IsRealDirectory(worktrees_dir_ + "/" + archive.run_id);
    }
    archives.push_back(std::move(archive));
  }

  std::vector<Removal> plan = PlanRetention(std::move(archives), limits_, now,
                                            &outcome.kept_unverified);
  if (plan.empty()) return outcome;

  std::vector<Removal> unlinked;
  bool any_unlinked = false;
  for (Removal& removal : plan) {
    const std::string path = ArchivePathFor(archive_dir_, removal.run_id);
    if (unlink(path.c_str()) == 0) {
      any_unlinked = true;
    } else if (errno == ENOENT) {
      removal.already_missing = true;
    } else {
      outcome.errors.push_back("run '" + removal.run_id + "': unlink '" + path +
                               "': " + std::strerror(errno));
      continue;
    }
    unlinked.push_back(std::move(removal));
  }
  if (any_unlinked) {
    // Not durable, so not recorded: the next pass finds the files gone and
    // records them.
    if (Status synced = FsyncDirectory(archive_dir_); !synced.ok()) {
      outcome.errors.push_back("retention: " + synced.message() +
                               ": removals not recorded");
      return outcome;
    }
  }

  std::map<std::string, const Row*> by_run;
  for (const Row& row : rows) by_run[row.run_id] = &row;
  const std::string removed_at = FormatIsoUtc(now);
  for (Removal& removal : unlinked) {
    const Row& row = *by_run.at(removal.run_id);
    bool recorded = false;
    Status write =
        store_->Write("record archive removal of '" + removal.run_id + "'",
                      [&](SQLite::Database& db) {
                        SQLite::Statement q(db, kRecordRemoval);
                        q.bind(1, removed_at);
                        q.bind(2, removal.reason);
                        q.bind(3, row.run_id);
                        q.bind(4, row.archive_path);
                        q.bind(5, row.archived_at_text);
                        recorded = q.exec() == 1;
                        return Status::Ok();
                      });
    if (!write.ok()) {
      outcome.errors.push_back(
          "run '" + removal.run_id +
          "': archive removed but not recorded: " + write.message());
    } else if (!recorded) {
      outcome.errors.push_back(
          "run '" + removal.run_id +
          "': archive removed but not recorded: its row or job changed "
          "since it was read");
    } else {
      outcome.removed.push_back(std::move(removal));
    }
  }
  return outcome;
}

}  // namespace pe
