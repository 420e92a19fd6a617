#ifndef PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_

// The tables the exporter's completion worker owns in the orchestrator's
// database (state contract, "What the exporter may write"). Created with
// IF NOT EXISTS, so running it again changes nothing; the orchestrator's
// own tables (runs, steps, events) are never created, altered or indexed.
//
// exporter_meta   key/value; 'schema_version' = kWorkerSchemaVersion.
// archival_log    one row per archived run: where the archive is, its size,
//                 SHA-256 and integrity result, and the report files.
// exporter_jobs   one row per terminal run the worker has taken on, with its
//                 stage, retry state and lease (see job_queue.h for the
//                 state machine). end_sort_key is the run's end time in Unix
//                 seconds (ended_at, else created_at), parsed by the
//                 exporter, so mixed timestamp formats order correctly.
//                 Indexes: exporter_jobs_open (claimable jobs in queue
//                 order) and exporter_jobs_stage (backlog and stage counts).
namespace pe {

inline constexpr const char* kWorkerSchemaVersion = "1";

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
  report_html TEXT
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
  VALUES ('schema_version', '1');
)sql";

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
