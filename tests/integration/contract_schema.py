"""The orchestrator's tables (docs/state-contract.md), for Python.

The one Python copy of the contract's schema: the integration tests and
bench/contract_db.py import it rather than write the tables out again.
test_contract_schema.py checks that it creates what the C++ copy
(exporter/state/contract_schema.h, itself checked against the contract by
tests/docs/state_contract_test.cc) creates. Standard library only.

    import contract_schema
    contract_schema.create_tables(conn)               # runs, steps, events
    contract_schema.create_tables(conn, legacy=True)  # runs without updated_at
"""

# The same statements as kContractSchemaSql.
SCHEMA = """
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
"""

# An older orchestrator's runs table: no updated_at column
# (kLegacyRunsSchemaSql). Created before SCHEMA, whose runs it then keeps.
LEGACY_RUNS_SCHEMA = """
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
"""

TABLES = ("runs", "steps", "events")


def create_tables(conn, legacy=False):
    """Creates the contract's tables that conn's database lacks; legacy: an
    older orchestrator's file, whose runs table has no updated_at."""
    if legacy:
        conn.executescript(LEGACY_RUNS_SCHEMA)
    conn.executescript(SCHEMA)
