#ifndef PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_

// The tables the exporter's completion worker owns in the orchestrator's
// database (state contract, "What the exporter may write"). Created with
// IF NOT EXISTS, so running it again changes nothing; the orchestrator's
// own tables (runs, steps, events) are never created, altered or indexed.
//
// exporter_meta   key/value; 'schema_version' = kWorkerSchemaVersion.
// archival_log    one row per archived run: where the archive is, its size,
//                 SHA-256, the result of its last integrity check
//                 (integrity: verified | failed | missing; checked_at,
//                 check_problem; verified_at = last check that passed),
//                 its removal by retention (removed_at, removed_reason),
//                 the deletion of its worktree (worktree_deleted_at) and
//                 the report files. Times are ISO-8601 UTC (iso_time.h).
// exporter_jobs   one row per terminal run the worker has taken on, with its
//                 stage, retry state and lease (see job_queue.h for the
//                 state machine). end_sort_key is the run's end time in Unix
//                 seconds (ended_at, else created_at), parsed by the
//                 exporter, so mixed timestamp formats order correctly.
//                 Indexes: exporter_jobs_open (claimable jobs in queue
//                 order) and exporter_jobs_stage (backlog and stage counts).
namespace pe {

inline constexpr const char* kWorkerSchemaVersion = "2";

inline constexpr const char* kWorkerSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS exporter_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archival_log (
  run_id TEXT PRIMARY KEY,
  archive_path TEXT,
  archived_at TEXT,
  size_bytes INTEGER,
  sha256 TEXT,
  integrity TEXT,
  report_json TEXT,
  report_html TEXT,
  verified_at TEXT,
  checked_at TEXT,
  check_problem TEXT,
  removed_at TEXT,
  removed_reason TEXT,
  worktree_deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS exporter_jobs (
  run_id TEXT PRIMARY KEY,
  stage TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at REAL,
  last_error TEXT,
  lease_owner TEXT,
  lease_expires_at REAL,
  updated_at TEXT,
  run_ended_at TEXT,
  end_sort_key REAL,
  enqueued_at TEXT
);
CREATE INDEX IF NOT EXISTS exporter_jobs_open
  ON exporter_jobs (end_sort_key, run_id)
  WHERE stage NOT IN ('done', 'skipped', 'failed');
CREATE INDEX IF NOT EXISTS exporter_jobs_stage ON exporter_jobs (stage);
INSERT OR IGNORE INTO exporter_meta (key, value)
  VALUES ('schema_version', '2');
)sql";

// Columns added to archival_log by schema version 2; a version 1 table
// gets them with ALTER TABLE ADD COLUMN (WorkerStore::Open), its rows keep
// NULL there and its version becomes 2.
inline constexpr const char* kArchivalLogV2Columns[] = {
    "verified_at", "checked_at",     "check_problem",
    "removed_at",  "removed_reason", "worktree_deleted_at"};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
