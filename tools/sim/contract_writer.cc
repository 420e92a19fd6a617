#include "tools/sim/contract_writer.h"

#include <cstdint>

namespace pe::sim {
namespace {

void Bind(SQLite::Statement& stmt, int index, const std::string& value) {
  stmt.bind(index, value);
}
void Bind(SQLite::Statement& stmt, int index, int value) {
  stmt.bind(index, static_cast<int64_t>(value));
}
template <typename T>
void Bind(SQLite::Statement& stmt, int index, const std::optional<T>& value) {
  if (value) {
    Bind(stmt, index, *value);
  } else {
    stmt.bind(index);  // NULL
  }
}

// Binds the values to parameters 1, 2, ... in order.
template <typename... Values>
void BindAll(SQLite::Statement& stmt, const Values&... values) {
  int index = 0;
  (Bind(stmt, ++index, values), ...);
}

// Steps a write statement to completion and resets it, even when it throws.
void Run(SQLite::Statement& stmt) {
  struct ResetOnExit {
    SQLite::Statement& s;
    ~ResetOnExit() { s.tryReset(); }
  } reset{stmt};
  stmt.exec();
}

// Binds the values in order, then runs the statement.
template <typename... Values>
void Write(SQLite::Statement& stmt, const Values&... values) {
  BindAll(stmt, values...);
  Run(stmt);
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
                   "UPDATE steps SET state = ?1, attempt = COALESCE(?2, "
                   "attempt), started_at = COALESCE(?3, started_at), ended_at "
                   "= COALESCE(?4, ended_at), error_message = COALESCE(?5, "
                   "error_message) WHERE run_id = ?6 AND step_id = ?7"),
      skip_open_steps_(db,
                       "UPDATE steps SET state = 'skipped', ended_at = ?1 "
                       "WHERE run_id = ?2 AND state IN ('pending', "
                       "'running')"),
      delete_events_(db, "DELETE FROM events WHERE run_id = ?"),
      delete_steps_(db, "DELETE FROM steps WHERE run_id = ?"),
      delete_run_(db, "DELETE FROM runs WHERE run_id = ?") {}

void ContractWriter::InsertRun(const RunRow& run) {
  BindAll(insert_run_, run.run_id, run.project_id, run.phase_id,
          run.workstream_id, run.state, run.created_at, run.started_at,
          run.ended_at, run.metadata);
  if (has_updated_at_) Bind(insert_run_, 10, run.updated_at);
  Run(insert_run_);
}

void ContractWriter::InsertStep(const StepRow& step) {
  Write(insert_step_, step.run_id, step.step_id, step.name, step.state,
        step.attempt, step.started_at, step.ended_at, step.error_message);
}

void ContractWriter::InsertEvent(const EventRow& event) {
  Write(insert_event_, event.run_id, event.event_type, event.severity,
        event.timestamp, event.data);
}

void ContractWriter::UpdateRun(const std::string& run_id,
                               const std::string& state,
                               const std::optional<std::string>& started_at,
                               const std::optional<std::string>& ended_at,
                               const std::string& updated_at) {
  Write(update_run_, state, started_at, ended_at, updated_at, run_id);
}

void ContractWriter::UpdateStep(const std::string& run_id,
                                const std::string& step_id,
                                const std::string& state,
                                std::optional<int> attempt,
                                const std::optional<std::string>& started_at,
                                const std::optional<std::string>& ended_at,
                                const std::optional<std::string>& error) {
  Write(update_step_, state, attempt, started_at, ended_at, error, run_id,
        step_id);
}

void ContractWriter::SkipOpenSteps(const std::string& run_id,
                                   const std::string& ended_at) {
  Write(skip_open_steps_, ended_at, run_id);
}

void ContractWriter::DeleteRun(const std::string& run_id) {
  for (SQLite::Statement* s : {&delete_events_, &delete_steps_, &delete_run_}) {
    Write(*s, run_id);
  }
}

}  // namespace pe::sim
