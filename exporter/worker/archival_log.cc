#include "exporter/worker/archival_log.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "exporter/worker/iso_time.h"

namespace pe {
namespace {

std::string Text(SQLite::Statement& q, int col) {
  return q.isColumnNull(col) ? std::string() : q.getColumn(col).getString();
}

}  // namespace

void UpsertArchive(SQLite::Database& db, const std::string& run_id,
                   const ArchiveRecord& record) {
  SQLite::Statement q(
      db,
      "INSERT INTO archival_log (run_id, archive_path, archived_at, "
      "size_bytes, sha256, integrity, verified_at, checked_at, "
      "archived_unix, last_check_unix) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3, ?3, ?7, ?7) "
      "ON CONFLICT (run_id) DO UPDATE SET archive_path = "
      "excluded.archive_path, "
      "archived_at = excluded.archived_at, size_bytes = excluded.size_bytes, "
      "sha256 = excluded.sha256, integrity = excluded.integrity, "
      "verified_at = excluded.verified_at, checked_at = excluded.checked_at, "
      "archived_unix = excluded.archived_unix, "
      "last_check_unix = excluded.last_check_unix, "
      "check_problem = NULL, removed_at = NULL, removed_reason = NULL, "
      "worktree_deleted_at = NULL");
  q.bind(1, run_id);
  q.bind(2, record.archive_path);
  q.bind(3, FormatIsoUtc(record.archived_at));
  q.bind(4, static_cast<int64_t>(record.size_bytes));
  q.bind(5, record.sha256);
  q.bind(6, record.integrity);
  q.bind(7, record.archived_at);
  q.exec();
}

void UpsertReport(SQLite::Database& db, const std::string& run_id,
                  const ReportRecord& record) {
  SQLite::Statement q(
      db,
      "INSERT INTO archival_log (run_id, report_json, report_html) "
      "VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
      "report_json = excluded.report_json, report_html = excluded.report_html");
  q.bind(1, run_id);
  q.bind(2, record.json_path);
  q.bind(3, record.html_path);
  q.exec();
}

void MarkWorktreeDeleted(SQLite::Database& db, const std::string& run_id,
                         double now) {
  SQLite::Statement q(db,
                      "UPDATE archival_log SET worktree_deleted_at = ? "
                      "WHERE run_id = ?");
  q.bind(1, FormatIsoUtc(now));
  q.bind(2, run_id);
  q.exec();
}

std::optional<ArchivalLogRow> ReadArchivalLog(SQLite::Database& db,
                                              const std::string& run_id) {
  SQLite::Statement q(db,
                      "SELECT run_id, archive_path, archived_at, size_bytes, "
                      "sha256, integrity, report_json, report_html, "
                      "verified_at, checked_at, check_problem, removed_at, "
                      "removed_reason, worktree_deleted_at "
                      "FROM archival_log WHERE run_id = ?");
  q.bind(1, run_id);
  if (!q.executeStep()) return std::nullopt;
  ArchivalLogRow row;
  row.run_id = Text(q, 0);
  row.archive_path = Text(q, 1);
  row.archived_at = Text(q, 2);
  if (!q.isColumnNull(3)) row.size_bytes = q.getColumn(3).getInt64();
  row.sha256 = Text(q, 4);
  row.integrity = Text(q, 5);
  row.report_json = Text(q, 6);
  row.report_html = Text(q, 7);
  row.verified_at = Text(q, 8);
  row.checked_at = Text(q, 9);
  row.check_problem = Text(q, 10);
  row.removed_at = Text(q, 11);
  row.removed_reason = Text(q, 12);
  row.worktree_deleted_at = Text(q, 13);
  return row;
}

}  // namespace pe
