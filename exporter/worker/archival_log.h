#ifndef PIPELINE_EXPORTER_WORKER_ARCHIVAL_LOG_H_
#define PIPELINE_EXPORTER_WORKER_ARCHIVAL_LOG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "exporter/common/status.h"

namespace SQLite {
class Database;
}  // namespace SQLite

namespace pe {

// A verified archive of one run, as recorded in archival_log.
struct ArchiveRecord {
  std::string archive_path;
  int64_t size_bytes = 0;
  std::string sha256;      // hex digest of the archive file
  std::string integrity;   // result of the integrity check, e.g. "ok"
  double archived_at = 0;  // Unix seconds; written as ISO-8601 UTC
};

// The report files written for one run.
struct ReportRecord {
  std::string json_path;
  std::string html_path;
};

// One archival_log row; fields never written are empty / nullopt.
struct ArchivalLogRow {
  std::string run_id;
  std::string archive_path;
  std::string archived_at;
  std::optional<int64_t> size_bytes;
  std::string sha256;
  std::string integrity;
  std::string report_json;
  std::string report_html;
  std::string verified_at;    // last integrity check that passed
  std::string checked_at;     // last integrity check, whatever its result
  std::string check_problem;  // why the last check failed
  std::string removed_at;     // set when retention removed the archive
  std::string removed_reason;
  std::string worktree_deleted_at;
};

// Upserts into archival_log: a second call for the same run replaces the
// archive columns (or the report columns) and keeps the others. A new
// archive counts as checked and verified at archived_at and clears the
// check problem, removal and worktree-deletion columns.
// REQUIRES: inside the caller's write transaction. Throw SQLite::Exception.
void UpsertArchive(SQLite::Database& db, const std::string& run_id,
                   const ArchiveRecord& record);
void UpsertReport(SQLite::Database& db, const std::string& run_id,
                  const ReportRecord& record);

// Records that the run's worktree was deleted at `now` (Unix seconds).
void MarkWorktreeDeleted(SQLite::Database& db, const std::string& run_id,
                         double now);

// nullopt if the run has no row.
std::optional<ArchivalLogRow> ReadArchivalLog(SQLite::Database& db,
                                              const std::string& run_id);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_ARCHIVAL_LOG_H_
