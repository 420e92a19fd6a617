#include "exporter/worker/run_report_loader.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <cmath>
#include <cstdint>
#include <utility>

#include "exporter/common/timestamp.h"

namespace pe {
namespace {

std::optional<int64_t> WholeSeconds(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  std::optional<double> t = ParseTimestamp(column.getString());
  if (!t) return std::nullopt;
  return static_cast<int64_t>(std::floor(*t));
}

std::optional<std::string> OptionalText(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

}  // namespace

Result<std::optional<RunReport>> LoadRunReport(WorkerStore& store,
                                               const std::string& run_id) {
  std::optional<RunReport> loaded;
  Status status = store.Read("read run for report", [&](SQLite::Database& db) {
    loaded.reset();
    SQLite::Statement run(db,
                          "SELECT project_id, phase_id, workstream_id, state, "
                          "created_at, started_at, ended_at FROM runs "
                          "WHERE run_id = ?");
    run.bind(1, run_id);
    if (!run.executeStep()) return Status::Ok();
    RunReport report;
    report.run_id = run_id;
    report.project = run.getColumn(0).getString();
    report.phase = run.getColumn(1).getString();
    report.workstream = OptionalText(run.getColumn(2));
    report.status = run.getColumn(3).getString();
    report.created = WholeSeconds(run.getColumn(4));
    report.started = WholeSeconds(run.getColumn(5));
    report.ended = WholeSeconds(run.getColumn(6));
    const std::optional<int64_t> from =
        report.started ? report.started : report.created;
    if (from && report.ended) {
      report.duration_seconds = static_cast<double>(*report.ended - *from);
    }

    SQLite::Statement steps(
        db,
        "SELECT step_id, name, state, attempt, started_at, ended_at, "
        "error_message FROM steps WHERE run_id = ? "
        "ORDER BY COALESCE(started_at, ''), step_id");
    steps.bind(1, run_id);
    while (steps.executeStep()) {
      ++report.steps_total;
      const std::string state = steps.getColumn(2).getString();
      if (state == "completed") ++report.steps_completed;
      if (state == "skipped") ++report.steps_skipped;
      if (state != "failed") continue;
      ++report.steps_failed;
      FailedStepReport failed;
      failed.step_id = steps.getColumn(0).getString();
      failed.name = steps.getColumn(1).getString();
      failed.attempt = steps.getColumn(3).getInt64();
      failed.started = WholeSeconds(steps.getColumn(4));
      failed.ended = WholeSeconds(steps.getColumn(5));
      failed.error_message = OptionalText(steps.getColumn(6));
      report.failed_steps.push_back(std::move(failed));
    }

    SQLite::Statement events(
        db,
        "SELECT COUNT(*), COALESCE(SUM(severity IN ('error', 'critical')), 0) "
        "FROM events WHERE run_id = ?");
    events.bind(1, run_id);
    if (events.executeStep()) {
      report.events_total = events.getColumn(0).getInt64();
      report.events_errors = events.getColumn(1).getInt64();
    }
    loaded = std::move(report);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return loaded;
}

Result<std::optional<ArchivalLogRow>> LoadArchivalLog(
    WorkerStore& store, const std::string& run_id) {
  std::optional<ArchivalLogRow> row;
  Status status = store.Read("read archival_log", [&](SQLite::Database& db) {
    row = ReadArchivalLog(db, run_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return row;
}

}  // namespace pe
