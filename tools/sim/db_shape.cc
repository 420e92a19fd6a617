#include "tools/sim/db_shape.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

#include "exporter/common/duration.h"
#include "exporter/common/sqlite_status.h"
#include "exporter/common/timestamp.h"

namespace pe::sim {
namespace {

constexpr std::string_view kActive[] = {"pending", "running"};
constexpr std::string_view kTerminal[] = {"succeeded", "partial", "failed",
                                          "quarantined", "canceled"};

bool OneOf(std::string_view state, const auto& states) {
  return std::find(std::begin(states), std::end(states), state) !=
         std::end(states);
}

double Double(SQLite::Statement& q, int column) {
  return q.getColumn(column).isNull() ? 0 : q.getColumn(column).getDouble();
}

int64_t Int(SQLite::Statement& q, int column) {
  return q.getColumn(column).isNull() ? 0 : q.getColumn(column).getInt64();
}

// The label columns of runs in one scan: distinct values and mean byte
// length of each, the workstream and metadata totals.
void ReadLabels(SQLite::Database& db, DbShape& shape) {
  std::string sql =
      "SELECT COUNT(workstream_id), "
      "TOTAL(LENGTH(CAST(metadata AS BLOB)))";
  for (const char* c : {"project_id", "phase_id", "workstream_id"}) {
    sql += std::string(", COUNT(DISTINCT ") + c + "), AVG(LENGTH(CAST(" + c +
           " AS BLOB)))";
  }
  SQLite::Statement q(db, sql + " FROM runs");
  q.executeStep();
  if (shape.runs > 0) {
    const auto runs = static_cast<double>(shape.runs);
    shape.workstream_share = static_cast<double>(Int(q, 0)) / runs;
    shape.metadata_bytes = Double(q, 1) / runs;
  }
  shape.projects = TextShape{Int(q, 2), Double(q, 3)};
  shape.phases = TextShape{Int(q, 4), Double(q, 5)};
  shape.workstreams = TextShape{Int(q, 6), Double(q, 7)};
}

void ReadRuns(SQLite::Database& db, double now, DbShape& shape) {
  SQLite::Statement q(db,
                      "SELECT state, created_at, ended_at, "
                      "LENGTH(CAST(run_id AS BLOB)) FROM runs");
  std::optional<double> oldest;
  double id_bytes = 0;
  while (q.executeStep()) {
    ++shape.runs;
    const char* state = q.getColumn(0).getText();
    if (OneOf(state, kActive)) ++shape.active_runs;
    if (OneOf(state, kTerminal)) {
      ++shape.terminal_runs;
      const std::optional<double> ended =
          ParseTimestamp(q.getColumn(2).getText());
      if (ended && *ended > now - 3600 && *ended <= now) {
        ++shape.ended_last_hour;
      }
    }
    if (auto created = ParseTimestamp(q.getColumn(1).getText())) {
      oldest = std::min(oldest.value_or(*created), *created);
    }
    id_bytes += Double(q, 3);
  }
  if (shape.runs > 0) shape.run_id_bytes = id_bytes / shape.runs;
  if (oldest) shape.history_seconds = std::max(0.0, now - *oldest);
}

void ReadSteps(SQLite::Database& db, DbShape& shape) {
  SQLite::Statement q(
      db,
      "SELECT COUNT(*), AVG(LENGTH(CAST(name AS BLOB))), "
      "COUNT(error_message), AVG(LENGTH(CAST(error_message AS BLOB))), "
      "MAX(LENGTH(CAST(error_message AS BLOB))), "
      "TOTAL(state = 'failed') FROM steps");
  q.executeStep();
  shape.steps = Int(q, 0);
  shape.step_name_bytes = Double(q, 1);
  shape.error_messages = Int(q, 2);
  shape.error_mean_bytes = Double(q, 3);
  shape.error_max_bytes = Int(q, 4);
  shape.failed_steps = static_cast<int64_t>(Double(q, 5));
}

void ReadEvents(SQLite::Database& db, DbShape& shape) {
  SQLite::Statement q(db,
                      "SELECT COUNT(*), COUNT(run_id), "
                      "AVG(COALESCE(LENGTH(CAST(data AS BLOB)), 0)) "
                      "FROM events");
  q.executeStep();
  shape.events = Int(q, 0);
  shape.events_without_run = shape.events - Int(q, 1);
  shape.event_data_bytes = Double(q, 2);
}

std::string Format(const char* format, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string Percent(double share) { return Format("%.1f%%", share * 100); }

// The bulk loader spreads terminal runs evenly over its span but for the
// last 10 minutes (bulk_load.h): this span ends as many of them in the last
// hour as the database did.
std::chrono::seconds BulkSpanFor(const DbShape& shape) {
  double seconds = shape.history_seconds;
  if (shape.ended_last_hour > 0) {
    seconds = 3000.0 * static_cast<double>(shape.terminal_runs) /
                  static_cast<double>(shape.ended_last_hour) +
              600;
  }
  // At least two hours (the loader keeps a margin before now), at most a
  // few years; a whole number of minutes.
  seconds = std::clamp(seconds, 7200.0, 3.0 * 365 * 86400);
  return std::chrono::seconds(static_cast<int64_t>(seconds / 60) * 60);
}

int64_t Round(double x) { return static_cast<int64_t>(std::llround(x)); }

}  // namespace

Result<DbShape> MeasureDbShape(const std::string& path, double now_unix) {
  DbShape shape;
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    ReadRuns(db, now_unix, shape);
    ReadLabels(db, shape);
    ReadSteps(db, shape);
    ReadEvents(db, shape);
  } catch (const SQLite::Exception& e) {
    return SqliteErrorToStatus(e.getErrorCode(),
                               "read the shape of '" + path + "'", e.what());
  }
  return shape;
}

std::string SimulateFlagsFor(const DbShape& shape) {
  std::string out;
  out += "--bulk " + std::to_string(shape.terminal_runs);
  out += " --bulk-active " + std::to_string(shape.active_runs);
  out += " --bulk-span " +
         FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(
             BulkSpanFor(shape)));
  out += " --steps-per-run " +
         std::to_string(std::max<int64_t>(1, Round(shape.steps_per_run())));
  out += Format(" --events-per-run %.1f", shape.events_per_run());
  out += " --run-id-bytes " + std::to_string(Round(shape.run_id_bytes));
  out += " --projects " +
         std::to_string(std::max<int64_t>(1, shape.projects.distinct));
  out += " --project-bytes " + std::to_string(Round(shape.projects.mean_bytes));
  out += " --phases " +
         std::to_string(std::max<int64_t>(1, shape.phases.distinct));
  out += " --phase-bytes " + std::to_string(Round(shape.phases.mean_bytes));
  out += " --workstreams " + std::to_string(shape.workstreams.distinct);
  out += " --workstream-bytes " +
         std::to_string(Round(shape.workstreams.mean_bytes));
  out += Format(" --workstream-share %.2f", shape.workstream_share);
  out += " --error-bytes " + std::to_string(Round(shape.error_mean_bytes));
  out += " --metadata-bytes " + std::to_string(Round(shape.metadata_bytes));
  return out;
}

std::string FormatDbShape(const DbShape& shape) {
  std::string out;
  auto line = [&](const char* name, const std::string& value) {
    out += Format("%-18s %s\n", name, value.c_str());
  };
  line("runs", Format("%lld (active %lld = %s, terminal %lld, %lld ended in "
                      "the last hour)",
                      static_cast<long long>(shape.runs),
                      static_cast<long long>(shape.active_runs),
                      Percent(shape.active_share()).c_str(),
                      static_cast<long long>(shape.terminal_runs),
                      static_cast<long long>(shape.ended_last_hour)));
  line("history", Format("%.1f days since the oldest run was created",
                         shape.history_seconds / 86400));
  line("steps per run", Format("%.2f (%lld steps)", shape.steps_per_run(),
                               static_cast<long long>(shape.steps)));
  line("events per run",
       Format("%.2f (%lld events, %lld not tied to a run)",
              shape.events_per_run(), static_cast<long long>(shape.events),
              static_cast<long long>(shape.events_without_run)));
  line("run id", Format("%.1f bytes", shape.run_id_bytes));
  line("projects", Format("%lld distinct, %.1f bytes",
                          static_cast<long long>(shape.projects.distinct),
                          shape.projects.mean_bytes));
  line("phases", Format("%lld distinct, %.1f bytes",
                        static_cast<long long>(shape.phases.distinct),
                        shape.phases.mean_bytes));
  line("workstreams", Format("%lld distinct, %.1f bytes, on %s of the runs",
                             static_cast<long long>(shape.workstreams.distinct),
                             shape.workstreams.mean_bytes,
                             Percent(shape.workstream_share).c_str()));
  line("run metadata", Format("%.0f bytes on average", shape.metadata_bytes));
  line("event data", Format("%.0f bytes on average", shape.event_data_bytes));
  line("step names", Format("%.1f bytes", shape.step_name_bytes));
  line(
      "error messages",
      Format("%lld (%lld failed steps), %.0f bytes on average, %lld at most",
             static_cast<long long>(shape.error_messages),
             static_cast<long long>(shape.failed_steps), shape.error_mean_bytes,
             static_cast<long long>(shape.error_max_bytes)));
  out += "\nA database of this shape (bench/README.md):\n";
  out += "  pipeline_exporter simulate --db bench.db --seed 42 " +
         SimulateFlagsFor(shape) + " --no-artifacts\n";
  return out;
}

}  // namespace pe::sim
