#ifndef PIPELINE_EXPORTER_STATE_CONTRACT_SCHEMA_H_
#define PIPELINE_EXPORTER_STATE_CONTRACT_SCHEMA_H_

// The orchestrator's tables exactly as docs/state-contract.md describes them
// (tests/docs/state_contract_test.cc compares the two). The exporter never
// creates these in a real deployment; the simulator, tests and benchmarks use
// them to build contract databases. tests/integration/contract_schema.py reads
// the SQL of both constants from this file: keep each a raw string literal,
// as below.
namespace pe {

inline constexpr const char* kContractSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  phase_id TEXT NOT NULL,
  workstream_id TEXT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT NULL,
  ended_at TEXT NULL,
  updated_at TEXT NULL,
  metadata TEXT NULL
);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL,
  step_id TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  started_at TEXT NULL,
  ended_at TEXT NULL,
  error_message TEXT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NULL,
  event_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  data TEXT NULL
);
)sql";

// An older orchestrator's runs table: no updated_at column.
inline constexpr const char* kLegacyRunsSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  phase_id TEXT NOT NULL,
  workstream_id TEXT NULL,
  state TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT NULL,
  ended_at TEXT NULL,
  metadata TEXT NULL
);
)sql";

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_CONTRACT_SCHEMA_H_
