#include "tools/sim/contract_writer.h"

#include <cstdint>

namespace pe::sim {
namespace {

void BindText(SQLite::Statement& stmt, int index,
              const std::optional<std::string>& value) {
  if (value) {
    stmt.bind(index, *value);
  } else {
    stmt.bind(index);  // NULL
  }
}

// Steps a write statement to completion and resets it, even when it throws.
void Run(SQLite::Statement& stmt) {
  struct ResetOnExit {
    SQLite::Statement& s;
    ~ResetOnExit() { s.tryReset(); }
  } reset{stmt};
  stmt.exec();
}

const char* InsertRunSql(bool has_updated_at) {
  return has_updated_at
             ? "INSERT INTO runs (run_id, project_id, phase_id, workstream_id, "
               "state, created_at, started_at, ended_at, metadata, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
             : "INSERT INTO runs (run_id, project_id, phase_id, workstream_id, "
               "state, created_at, started_at, ended_at, metadata) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

const char* UpdateRunSql(bool has_updated_at) {
  return has_updated_at
             ? "UPDATE runs SET state = ?1, started_at = COALESCE(?2, "
               "started_at), ended_at = COALESCE(?3, ended_at), updated_at = "
               "?4 WHERE run_id = ?5"
             : "UPDATE runs SET state = ?1, started_at = COALESCE(?2, "
               "started_at), ended_at = COALESCE(?3, ended_at) WHERE run_id = "
               "?5 AND ?4 IS NOT NULL";
}

}  // namespace

std::vector<StepRow> PendingStepRows(const std::string& run_id,
                                     const std::vector<std::string>& step_ids,
                                     const std::vector<std::string>& names) {
  std::vector<StepRow> steps(step_ids.size());
  for (std::size_t k = 0; k < steps.size(); ++k) {
    steps[k].run_id = run_id;
    steps[k].step_id = step_ids[k];
    steps[k].name = names[k];
    steps[k].state = "pending";
  }
  return steps;
}

bool RunsHaveUpdatedAt(SQLite::Database& db) {
  SQLite::Statement q(db,
                      "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE "
                      "name = 'updated_at'");
  return q.executeStep() && q.getColumn(0).getInt() > 0;
}

ContractWriter::ContractWriter(SQLite::Database& db)
    : has_updated_at_(RunsHaveUpdatedAt(db)),
      insert_run_(db, InsertRunSql(has_updated_at_)),
      insert_step_(db,
                   "INSERT INTO steps (run_id, step_id, name, state, attempt, "
                   "started_at, ended_at, error_message) VALUES (?, ?, ?, ?, "
                   "?, ?, ?, ?)"),
      insert_event_(db,
                    "INSERT INTO events (run_id, event_type, severity, "
                    "timestamp, data) VALUES (?, ?, ?, ?, ?)"),
      update_run_(db, UpdateRunSql(has_updated_at_)),
      update_step_(db,
                   "UPDATE steps SET state = ?1, attempt = ?2, started_at = "
                   "COALESCE(?3, started_at), ended_at = COALESCE(?4, "
                   "ended_at), error_message = COALESCE(?5, error_message) "
                   "WHERE run_id = ?6 AND step_id = ?7"),
      skip_open_steps_(db,
                       "UPDATE steps SET state = 'skipped', ended_at = ?1 "
                       "WHERE run_id = ?2 AND state IN ('pending', "
                       "'running')") {}

void ContractWriter::InsertRun(const RunRow& run) {
  SQLite::Statement& s = insert_run_;
  s.bind(1, run.run_id);
  s.bind(2, run.project_id);
  s.bind(3, run.phase_id);
  BindText(s, 4, run.workstream_id);
  s.bind(5, run.state);
  s.bind(6, run.created_at);
  BindText(s, 7, run.started_at);
  BindText(s, 8, run.ended_at);
  BindText(s, 9, run.metadata);
  if (has_updated_at_) BindText(s, 10, run.updated_at);
  Run(s);
}

void ContractWriter::InsertStep(const StepRow& step) {
  SQLite::Statement& s = insert_step_;
  s.bind(1, step.run_id);
  s.bind(2, step.step_id);
  s.bind(3, step.name);
  s.bind(4, step.state);
  s.bind(5, static_cast<int64_t>(step.attempt));
  BindText(s, 6, step.started_at);
  BindText(s, 7, step.ended_at);
  BindText(s, 8, step.error_message);
  Run(s);
}

void ContractWriter::InsertEvent(const EventRow& event) {
  SQLite::Statement& s = insert_event_;
  BindText(s, 1, event.run_id);
  s.bind(2, event.event_type);
  s.bind(3, event.severity);
  s.bind(4, event.timestamp);
  BindText(s, 5, event.data);
  Run(s);
}

void ContractWriter::UpdateRun(const std::string& run_id,
                               const std::string& state,
                               const std::optional<std::string>& started_at,
                               const std::optional<std::string>& ended_at,
                               const std::string& updated_at) {
  SQLite::Statement& s = update_run_;
  s.bind(1, state);
  BindText(s, 2, started_at);
  BindText(s, 3, ended_at);
  s.bind(4, updated_at);
  s.bind(5, run_id);
  Run(s);
}

void ContractWriter::UpdateStep(const std::string& run_id,
                                const std::string& step_id,
                                const std::string& state, int attempt,
                                const std::optional<std::string>& started_at,
                                const std::optional<std::string>& ended_at,
                                const std::optional<std::string>& error) {
  SQLite::Statement& s = update_step_;
  s.bind(1, state);
  s.bind(2, static_cast<int64_t>(attempt));
  BindText(s, 3, started_at);
  BindText(s, 4, ended_at);
  BindText(s, 5, error);
  s.bind(6, run_id);
  s.bind(7, step_id);
  Run(s);
}

void ContractWriter::SkipOpenSteps(const std::string& run_id,
                                   const std::string& ended_at) {
  SQLite::Statement& s = skip_open_steps_;
  s.bind(1, ended_at);
  s.bind(2, run_id);
  Run(s);
}

}  // namespace pe::sim
