#include "tests/support/fixture_db.h"

#include "exporter/state/contract_schema.h"

namespace pe::testing {
namespace {

void BindOptional(SQLite::Statement& q, int index,
                  const std::optional<std::string>& value) {
  if (value) {
    q.bind(index, *value);
  } else {
    q.bind(index);
  }
}

}  // namespace

FixtureDb::FixtureDb(const std::string& path, bool legacy, bool wal)
    : path_(path),
      db_(std::make_unique<SQLite::Database>(
          path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000)) {
  if (wal) db_->exec("PRAGMA journal_mode=WAL");
  if (legacy) {
    db_->exec(kLegacyRunsSchemaSql);
  }
  db_->exec(kContractSchemaSql);
}

void FixtureDb::AddRun(const Run& run) {
  SQLite::Statement q(*db_,
                      "INSERT INTO runs (run_id, project_id, phase_id, "
                      "workstream_id, state, created_at, started_at, ended_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, run.run_id);
  q.bind(2, run.project);
  q.bind(3, run.phase);
  BindOptional(q, 4, run.workstream);
  q.bind(5, run.state);
  q.bind(6, run.created_at);
  BindOptional(q, 7, run.started_at);
  BindOptional(q, 8, run.ended_at);
  q.exec();
}

void FixtureDb::SetRunState(const std::string& run_id, const std::string& state,
                            std::optional<std::string> ended_at) {
  SQLite::Statement q(
      *db_, "UPDATE runs SET state = ?, ended_at = ? WHERE run_id = ?");
  q.bind(1, state);
  BindOptional(q, 2, ended_at);
  q.bind(3, run_id);
  q.exec();
}

void FixtureDb::AddStep(const std::string& run_id, const std::string& step_id,
                        const std::string& state,
                        std::optional<std::string> started_at,
                        std::optional<std::string> ended_at,
                        std::optional<std::string> error) {
  SQLite::Statement q(*db_,
                      "INSERT INTO steps (run_id, step_id, name, state, "
                      "started_at, ended_at, error_message) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, run_id);
  q.bind(2, step_id);
  q.bind(3, "step " + step_id);
  q.bind(4, state);
  BindOptional(q, 5, started_at);
  BindOptional(q, 6, ended_at);
  BindOptional(q, 7, error);
  q.exec();
}

void FixtureDb::SetStepState(const std::string& run_id,
                             const std::string& step_id,
                             const std::string& state,
                             std::optional<std::string> ended_at,
                             std::optional<std::string> error) {
  SQLite::Statement q(*db_,
                      "UPDATE steps SET state = ?, ended_at = ?, "
                      "error_message = ? WHERE run_id = ? AND step_id = ?");
  q.bind(1, state);
  BindOptional(q, 2, ended_at);
  BindOptional(q, 3, error);
  q.bind(4, run_id);
  q.bind(5, step_id);
  q.exec();
}

void FixtureDb::AddEvent(const std::string& run_id, const std::string& type,
                         const std::string& severity,
                         const std::string& timestamp) {
  SQLite::Statement q(*db_,
                      "INSERT INTO events (run_id, event_type, severity, "
                      "timestamp) VALUES (?, ?, ?, ?)");
  BindOptional(
      q, 1, run_id.empty() ? std::nullopt : std::optional<std::string>(run_id));
  q.bind(2, type);
  q.bind(3, severity);
  q.bind(4, timestamp);
  q.exec();
}

void FixtureDb::DeleteRun(const std::string& run_id) {
  SQLite::Transaction tx(*db_);
  for (const char* table : {"events", "steps", "runs"}) {
    SQLite::Statement q(
        *db_, std::string("DELETE FROM ") + table + " WHERE run_id = ?");
    q.bind(1, run_id);
    q.exec();
  }
  tx.commit();
}

void FixtureDb::Exec(const std::string& sql) { db_->exec(sql); }

}  // namespace pe::testing
