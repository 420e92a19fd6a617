#ifndef PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_

// The tables the exporter's completion worker owns in the orchestrator's
// database (state contract, "What the exporter may write"). Created with
// IF NOT EXISTS, so running it again changes nothing; the orchestrator's
// own tables (runs, steps, events) are never created, altered or indexed.
//
// exporter_meta   key/value; 'schema_version' = kWorkerSchemaVersion;
//                 'worker_first_start_unix' = when a worker first ran on
//                 this database (Unix seconds, kFirstStartKey): runs that
//                 ended before it are history, taken only as far back as
//                 worker.backfill says (backfill.h).
// archival_log    one row per archived run: where the archive is, its size,
//                 SHA-256, the result of its last integrity check
//                 (integrity: verified | failed | missing; checked_at,
//                 check_problem; verified_at = last check that passed),
//                 its removal by retention (removed_at, removed_reason),
//                 the deletion of its worktree (worktree_deleted_at) and
//                 the report files. Times are ISO-8601 UTC (iso_time.h);
//                 archived_unix and last_check_unix repeat archived_at and
//                 the last check (checked_at, else archived_at; -1e300 if
//                 neither parses) in Unix seconds, so that the scrub (due at
//                 last_check_unix + scrub interval) and retention (oldest
//                 first, due by age at archived_unix + max age) find their
//                 work through the partial indexes archival_log_check_due
//                 and archival_log_archived on the retained rows instead of
//                 sorting every row.
// exporter_jobs   one row per terminal run the worker has taken on, with its
//                 stage, retry state and lease (see job_queue.h for the
//                 state machine). end_sort_key is the run's end time in Unix
//                 seconds (ended_at, else created_at), parsed by the
//                 exporter, so mixed timestamp formats order correctly.
//                 stage_data: what the stage that ended last produced for
//                 the next one (JSON; e.g. the written archive's figures in
//                 stage archived), NULL if nothing. Indexes: exporter_jobs_open
//                 (claimable jobs in queue order) and exporter_jobs_stage
//                 (backlog and stage counts).
namespace pe {

inline constexpr const char* kWorkerSchemaVersion = "5";

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
  worktree_deleted_at TEXT,
  archived_unix REAL,
  last_check_unix REAL
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
  enqueued_at TEXT,
  stage_data TEXT
);
INSERT OR IGNORE INTO exporter_meta (key, value)
  VALUES ('schema_version', '5');
)sql";

// Where an archival_log row is retained: it has an archive that retention
// has not removed. The partial indexes below use it word for word, and so
// must every query that wants them.
#define PE_ARCHIVAL_RETAINED                                          \
  "run_id IS NOT NULL AND archive_path IS NOT NULL AND archive_path " \
  "<> '' AND removed_at IS NULL"
inline constexpr const char* kArchivalRetained = PE_ARCHIVAL_RETAINED;

// Created once the tables have every column (after an upgrade).
inline constexpr const char* kWorkerIndexSql =
    "CREATE INDEX IF NOT EXISTS exporter_jobs_open "
    "ON exporter_jobs (end_sort_key, run_id) "
    "WHERE stage NOT IN ('done', 'skipped', 'failed');"
    "CREATE INDEX IF NOT EXISTS exporter_jobs_stage ON exporter_jobs (stage);"
    "CREATE INDEX IF NOT EXISTS archival_log_check_due "
    "ON archival_log (last_check_unix, run_id) WHERE " PE_ARCHIVAL_RETAINED
    ";"
    "CREATE INDEX IF NOT EXISTS archival_log_archived "
    "ON archival_log (archived_unix, run_id) WHERE " PE_ARCHIVAL_RETAINED ";";

// The numeric time of the last check of a row, as written with every
// check; `-1e300` (sorts first: due at once) when no time parses.
inline constexpr const char* kLastCheckUnixSql =
    "COALESCE(pe_unix_time(checked_at), pe_unix_time(archived_at), -1e300)";

// Columns added to archival_log by schema version 2; a version 1 table
// gets them with ALTER TABLE ADD COLUMN (WorkerStore::Open) and its rows
// keep NULL there.
inline constexpr const char* kArchivalLogV2Columns[] = {
    "verified_at", "checked_at",     "check_problem",
    "removed_at",  "removed_reason", "worktree_deleted_at"};

// Columns added by schema version 3 (REAL), filled from the text times of
// the rows already there.
inline constexpr const char* kArchivalLogV3Columns[] = {"archived_unix",
                                                        "last_check_unix"};

// Column added to exporter_jobs by schema version 4 (TEXT); the jobs
// already there keep NULL (no stage of theirs left data behind).
inline constexpr const char* kJobsV4Column = "stage_data";

// exporter_meta key of the worker's first start (schema version 5). A new
// database gets it at the first pass of the first worker; a database
// upgraded from an older version gets the time its old worker first
// enqueued or archived a run (that worker took every run it found, so
// what ended before is done already), or none if it took nothing.
inline constexpr const char* kFirstStartKey = "worker_first_start_unix";

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_SCHEMA_H_
