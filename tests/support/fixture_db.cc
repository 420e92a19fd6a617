#include "tests/support/fixture_db.h"

#include <chrono>
#include <utility>

#include "exporter/state/contract_schema.h"
#include "tools/sim/sim_time.h"

namespace pe::testing {

FixtureDb::FixtureDb(const std::string& path, bool legacy, bool wal)
    : path_(path),
      db_(std::make_unique<SQLite::Database>(
          path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000)) {
  if (wal) db_->exec("PRAGMA journal_mode=WAL");
  if (legacy) {
    db_->exec(kLegacyRunsSchemaSql);
  }
  db_->exec(kContractSchemaSql);
  writer_ = std::make_unique<sim::ContractWriter>(*db_);
}

void FixtureDb::AddRun(const Run& run) {
  writer_->InsertRun({.run_id = run.run_id,
                      .project_id = run.project,
                      .phase_id = run.phase,
                      .workstream_id = run.workstream,
                      .state = run.state,
                      .created_at = run.created_at,
                      .started_at = run.started_at,
                      .ended_at = run.ended_at});
}

void FixtureDb::SetRunState(const std::string& run_id, const std::string& state,
                            std::optional<std::string> ended_at) {
  const std::string updated_at = ended_at.value_or(
      sim::FormatTimestamp(sim::ToMicros(std::chrono::system_clock::now()),
                           sim::TimestampForm::kIsoMicros));
  writer_->UpdateRun(run_id, state, std::nullopt, ended_at, updated_at);
}

void FixtureDb::AddStep(const std::string& run_id, const std::string& step_id,
                        const std::string& state,
                        std::optional<std::string> started_at,
                        std::optional<std::string> ended_at,
                        std::optional<std::string> error) {
  writer_->InsertStep({.run_id = run_id,
                       .step_id = step_id,
                       .name = "step " + step_id,
                       .state = state,
                       .started_at = std::move(started_at),
                       .ended_at = std::move(ended_at),
                       .error_message = std::move(error)});
}

void FixtureDb::SetStepState(const std::string& run_id,
                             const std::string& step_id,
                             const std::string& state,
                             std::optional<std::string> ended_at,
                             std::optional<std::string> error) {
  writer_->UpdateStep(run_id, step_id, state, std::nullopt, std::nullopt,
                      ended_at, error);
}

void FixtureDb::AddEvent(const std::string& run_id, const std::string& type,
                         const std::string& severity,
                         const std::string& timestamp) {
  writer_->InsertEvent({.run_id = run_id.empty()
                                      ? std::nullopt
                                      : std::optional<std::string>(run_id),
                        .event_type = type,
                        .severity = severity,
                        .timestamp = timestamp});
}

void FixtureDb::DeleteRun(const std::string& run_id) {
  SQLite::Transaction tx(*db_);
  writer_->DeleteRun(run_id);
  tx.commit();
}

void FixtureDb::Exec(const std::string& sql) { db_->exec(sql); }

}  // namespace pe::testing
