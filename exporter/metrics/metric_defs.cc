#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {

// clang-format off
const Def kRuns{"pipeline_runs", Type::kGauge,
    "Runs in the state database per project and state; every one of the seven "
    "contract states is present for each project.",
    {"project", "state"}, "Runs"};
const Def kRunInfo{"pipeline_run_info", Type::kGauge,
    "Always 1 for each tracked run (active, or ended within the recent window); "
    "the only per-run family with project, phase and workstream: join on "
    "run_id to add them (* on (job, instance, run_id) group_left (project, "
    "phase) pipeline_run_info).",
    {"run_id", "project", "phase", "workstream"}, "Runs"};
const Def kRunStatus{"pipeline_run_status", Type::kGauge,
    "1 for the current state of each tracked run (one series per run).",
    {"run_id", "state"}, "Runs"};
const Def kRunSteps{"pipeline_run_steps", Type::kGauge,
    "Steps of each active run per step state (pending, running, completed, "
    "failed, skipped); a state with no step has no series. An ended run's "
    "steps count in pipeline_tracked_steps.",
    {"run_id", "state"}, "Runs"};
const Def kTrackedSteps{"pipeline_tracked_steps", Type::kGauge,
    "Steps of the tracked runs (active, or ended within the recent window) per "
    "project and step state; all five states are present for each project "
    "with tracked steps.",
    {"project", "state"}, "Runs"};
const Def kRunCreated{"pipeline_run_created_timestamp_seconds", Type::kGauge,
    "Unix time an active run was created (for runs that never start).",
    {"run_id"}, "Runs"};
const Def kRunStart{"pipeline_run_start_timestamp_seconds", Type::kGauge,
    "Unix time a tracked run started; absent until it starts.",
    {"run_id"}, "Runs"};
const Def kRunEnd{"pipeline_run_end_timestamp_seconds", Type::kGauge,
    "Unix time a tracked run ended; absent until it ends.",
    {"run_id"}, "Runs"};
const Def kRunLastProgress{"pipeline_run_last_progress_timestamp_seconds",
    Type::kGauge,
    "Unix time of an active run's latest progress: the latest of its "
    "creation, its start, its steps' starts and ends, and its events.",
    {"run_id"}, "Runs"};
const Def kRunFailureInfo{"pipeline_run_failure_info", Type::kGauge,
    "1 for each tracked failed, partial or quarantined run, naming its first "
    "failed step and a one-line reason (bounded, sanitized error message); "
    "empty labels when no step failed.",
    {"run_id", "project", "phase", "state", "step", "reason"}, "Runs"};
const Def kRunsFinished{"pipeline_runs_finished_total", Type::kCounter,
    "Runs seen reaching a terminal state since the exporter started, per "
    "project and final state; each run counted once, runs that had ended "
    "before start-up not counted.",
    {"project", "state"}, "Runs"};
const Def kRunDuration{"pipeline_run_duration_seconds", Type::kHistogram,
    "Duration (end minus start, or minus creation if it never started) of the "
    "runs counted in pipeline_runs_finished_total.",
    {"project"}, "Runs"};
const Def kLastSuccess{"pipeline_last_success_timestamp_seconds", Type::kGauge,
    "Unix time the latest succeeded run of a project and phase ended.",
    {"project", "phase"}, "Runs"};
const Def kEvents{"pipeline_events_total", Type::kCounter,
    "Events appended to the state database since the exporter started, per "
    "type and severity. Distinct types are capped (metrics.max-event-types); "
    "the overflow counts as event_type=\"other\".",
    {"event_type", "severity"}, "Events"};

const Def kBuildInfo{"pipeline_exporter_build_info", Type::kGauge,
    "Always 1; the exporter's version and source revision.",
    {"version", "revision"}, "Exporter health"};
const Def kStateUp{"pipeline_exporter_state_up", Type::kGauge,
    "1 if the latest poll of the state database succeeded, 0 otherwise (the "
    "last good data keeps being served).",
    {}, "Exporter health"};
const Def kStateCondition{"pipeline_exporter_state_condition", Type::kGauge,
    "1 for the current condition of the state database: ok, missing, locked, "
    "corrupt, schema (a table or column is missing) or error.",
    {"condition"}, "Exporter health"};
const Def kLastPollSuccess{
    "pipeline_exporter_last_poll_success_timestamp_seconds", Type::kGauge,
    "Unix time of the latest successful poll of the state database.",
    {}, "Exporter health"};
const Def kPollDuration{"pipeline_exporter_poll_duration_seconds",
    Type::kHistogram, "Time taken by each poll of the state database.",
    {}, "Exporter health"};
const Def kPollErrors{"pipeline_exporter_poll_errors_total", Type::kCounter,
    "Failed polls of the state database by condition (missing, locked, "
    "corrupt, schema, error).",
    {"condition"}, "Exporter health"};
const Def kPolls{"pipeline_exporter_polls_total", Type::kCounter,
    "Polls by result: changed (the database had new commits), unchanged "
    "(skipped through PRAGMA data_version) or error.",
    {"result"}, "Exporter health"};
const Def kResyncs{"pipeline_exporter_resyncs_total", Type::kCounter,
    "Full re-reads of the runs table by reason: startup, interval "
    "(state.resync-interval), mismatch (rows pruned or renumbered), reopen "
    "(the file was replaced) or reload (a reload changed the project "
    "selection).",
    {"reason"}, "Exporter health"};
const Def kTrackedRuns{"pipeline_exporter_tracked_runs", Type::kGauge,
    "Runs with per-run series (active plus recently ended, at most "
    "metrics.max-tracked-runs).",
    {}, "Exporter health"};
const Def kTrackedRunsDropped{"pipeline_exporter_tracked_runs_dropped_total",
    Type::kCounter,
    "Runs dropped from tracking because metrics.max-tracked-runs was reached "
    "(oldest ended runs first).",
    {}, "Exporter health"};
const Def kParseErrors{"pipeline_exporter_parse_errors_total", Type::kCounter,
    "Unparsable values read from the state database (treated as missing) by "
    "field, e.g. runs.ended_at; each row's field counted once. Of a run that "
    "ended before the recent window and is not tracked only the end is read.",
    {"field"}, "Exporter health"};
const Def kKnownRuns{"pipeline_exporter_known_runs", Type::kGauge,
    "Runs in the state database as last read (the sum of pipeline_runs).",
    {}, "Exporter health"};

const Def kExcludedRuns{"pipeline_exporter_excluded_runs", Type::kGauge,
    "Runs in the state database of each project that metrics.project-include "
    "and metrics.project-exclude leave out: they have no per-run series (the "
    "project's aggregates, such as pipeline_runs, still count them). Absent "
    "for selected projects.",
    {"project"}, "Exporter health"};
const Def kFamilyHidden{"pipeline_exporter_family_hidden", Type::kGauge,
    "1 for each of the exporter's metric families that metrics.family-allow "
    "and metrics.family-deny leave out (not rendered, not served).",
    {"family"}, "Exporter health"};

const Def kConfigReloads{"pipeline_exporter_config_reloads_total",
    Type::kCounter,
    "Configuration reloads (SIGHUP or POST /-/reload) by result: success, or "
    "failure (invalid file, or a key that needs a restart; the running "
    "configuration is kept).",
    {"result"}, "Exporter health"};
const Def kConfigLastReloadSuccessful{
    "pipeline_exporter_config_last_reload_successful", Type::kGauge,
    "1 if the latest configuration reload succeeded (or none was tried), 0 if "
    "it failed.",
    {}, "Exporter health"};
const Def kConfigLastReloadSuccess{
    "pipeline_exporter_config_last_reload_success_timestamp_seconds",
    Type::kGauge,
    "Unix time the running configuration was loaded (start-up or the latest "
    "successful reload).",
    {}, "Exporter health"};

const Def kWorkerBacklog{"pipeline_worker_backlog_runs", Type::kGauge,
    "Terminal runs whose archive and reports are not done yet (failed jobs "
    "included), as of the worker's latest iteration.",
    {}, "Completion worker"};
const Def kWorkerMarkedComplete{"pipeline_worker_runs_marked_complete_total",
    Type::kCounter,
    "Running runs with all steps terminal that the worker marked complete, by "
    "new state (succeeded or partial).",
    {"state"}, "Completion worker"};
const Def kWorkerArchivesCreated{"pipeline_worker_archives_created_total",
    Type::kCounter, "Run archives written, verified and recorded.",
    {}, "Completion worker"};
const Def kWorkerArchiveFailures{"pipeline_worker_archive_failures_total",
    Type::kCounter,
    "Failed archival attempts by reason: preflight (not enough free space), "
    "io (archive directory not usable), no_space, io_error, bad_input "
    "(worktree unreadable), verify_failed, internal; each is retried with "
    "backoff.",
    {"reason"}, "Completion worker"};
const Def kWorkerArchivesSkipped{"pipeline_worker_archives_skipped_total",
    Type::kCounter,
    "Runs not archived, by reason: no_worktree or invalid_run_id.",
    {"reason"}, "Completion worker"};
const Def kWorkerArchiveInputBytes{
    "pipeline_worker_archive_input_bytes_total", Type::kCounter,
    "Worktree file bytes read into archives that were created.",
    {}, "Completion worker"};
const Def kWorkerArchiveOutputBytes{
    "pipeline_worker_archive_output_bytes_total", Type::kCounter,
    "Bytes of the archives created.", {}, "Completion worker"};
const Def kWorkerArchiveDuration{"pipeline_worker_archive_duration_seconds",
    Type::kHistogram,
    "Time taken to write and verify each archive that was created.",
    {}, "Completion worker"};
const Def kWorkerReportsGenerated{"pipeline_worker_reports_generated_total",
    Type::kCounter, "Runs whose JSON and HTML reports were written.",
    {}, "Completion worker"};
const Def kWorkerReportFailures{"pipeline_worker_report_failures_total",
    Type::kCounter, "Failed attempts to write a run's reports.",
    {}, "Completion worker"};
const Def kWorkerVolumeFree{"pipeline_worker_archive_volume_free_bytes",
    Type::kGauge,
    "Bytes available to the exporter on the archive directory's volume.",
    {}, "Completion worker"};
const Def kWorkerVolumeSize{"pipeline_worker_archive_volume_size_bytes",
    Type::kGauge, "Total bytes of the archive directory's volume.",
    {}, "Completion worker"};
const Def kWorkerHeartbeat{"pipeline_worker_heartbeat_timestamp_seconds",
    Type::kGauge,
    "Unix time the worker last finished an iteration (whatever its outcome); "
    "a stale value means the worker is stuck.",
    {}, "Completion worker"};
const Def kWorkerLastSuccess{
    "pipeline_worker_last_success_timestamp_seconds", Type::kGauge,
    "Unix time the worker last completed a run's job (archived or skipped, "
    "and reported).",
    {}, "Completion worker"};
const Def kWorkerArchiveProgress{"pipeline_worker_archive_progress_ratio",
    Type::kGauge,
    "Share (0 to 1) of the input bytes read, over the archives being written "
    "now; 0 when idle.",
    {}, "Completion worker"};
const Def kWorkerArchivesInProgress{
    "pipeline_worker_archives_in_progress", Type::kGauge,
    "Archives being written right now (at most worker.concurrency).",
    {}, "Completion worker"};
const Def kWorkerIntegrityChecks{"pipeline_worker_integrity_checks_total",
    Type::kCounter,
    "Integrity checks of archives by check (archive: right after writing; "
    "scrub: periodic re-verification) and result (ok, failed, missing).",
    {"check", "result"}, "Completion worker"};
const Def kWorkerArchivesByIntegrity{"pipeline_worker_retained_archives",
    Type::kGauge,
    "Archives on disk and not removed by retention, by the result of their "
    "latest integrity check (verified, failed, missing).",
    {"integrity"}, "Completion worker"};
const Def kWorkerRetainedBytes{"pipeline_worker_retained_archive_bytes",
    Type::kGauge, "Bytes of the archives on disk and not removed by retention.",
    {}, "Completion worker"};
const Def kWorkerScrubOldestCheck{
    "pipeline_worker_scrub_oldest_check_timestamp_seconds", Type::kGauge,
    "Unix time of the least recent integrity check among retained archives; "
    "older than now minus worker.scrub-interval means the scrub is behind.",
    {}, "Completion worker"};
const Def kWorkerRetentionRemoved{"pipeline_worker_retention_removed_total",
    Type::kCounter,
    "Archives removed by retention, by the limit that selected them (age, "
    "count, bytes).",
    {"reason"}, "Completion worker"};
const Def kWorkerRetentionKept{"pipeline_worker_retention_kept_unverified",
    Type::kGauge,
    "Archives over a retention limit kept because they are the only copy of "
    "a run whose integrity is not verified, as of the latest retention pass.",
    {}, "Completion worker"};
const Def kWorkerWorktreesDeleted{"pipeline_worker_worktrees_deleted_total",
    Type::kCounter,
    "Worktrees deleted after their run's archive was verified and reported "
    "(worker.delete-worktrees).",
    {}, "Completion worker"};
const Def kWorkerWorktreeDeleteFailures{
    "pipeline_worker_worktree_delete_failures_total", Type::kCounter,
    "Failed attempts to delete a worktree; retried with backoff.",
    {}, "Completion worker"};
const Def kWorkerFirstStart{
    "pipeline_worker_first_start_timestamp_seconds", Type::kGauge,
    "Unix time a worker first ran on this database; runs that ended before "
    "it are history, taken only as far back as worker.backfill.",
    {}, "Completion worker"};
const Def kWorkerBackfillRuns{"pipeline_worker_backfill_runs", Type::kGauge,
    "History runs (ended before the first start) without a job, by state: "
    "pending (within worker.backfill, still to be taken) or skipped (older: "
    "left untouched), as counted at start-up and each resync, less those "
    "taken since.",
    {"state"}, "Completion worker"};
const Def kWorkerBackfillTaken{"pipeline_worker_backfill_taken_total",
    Type::kCounter,
    "History runs this process queued for archival (worker.backfill, at most "
    "worker.backfill-rate a second, only while no other job waits).",
    {}, "Completion worker"};
// clang-format on

const std::vector<const Def*>& AllDefs() {
  static const std::vector<const Def*> defs = {&kRuns,
                                               &kRunInfo,
                                               &kRunStatus,
                                               &kRunSteps,
                                               &kTrackedSteps,
                                               &kRunCreated,
                                               &kRunStart,
                                               &kRunEnd,
                                               &kRunLastProgress,
                                               &kRunFailureInfo,
                                               &kRunsFinished,
                                               &kRunDuration,
                                               &kLastSuccess,
                                               &kEvents,
                                               &kBuildInfo,
                                               &kStateUp,
                                               &kStateCondition,
                                               &kLastPollSuccess,
                                               &kPollDuration,
                                               &kPollErrors,
                                               &kPolls,
                                               &kResyncs,
                                               &kTrackedRuns,
                                               &kTrackedRunsDropped,
                                               &kParseErrors,
                                               &kKnownRuns,
                                               &kExcludedRuns,
                                               &kFamilyHidden,
                                               &kConfigReloads,
                                               &kConfigLastReloadSuccessful,
                                               &kConfigLastReloadSuccess,
                                               &kWorkerBacklog,
                                               &kWorkerMarkedComplete,
                                               &kWorkerArchivesCreated,
                                               &kWorkerArchiveFailures,
                                               &kWorkerArchivesSkipped,
                                               &kWorkerArchiveInputBytes,
                                               &kWorkerArchiveOutputBytes,
                                               &kWorkerArchiveDuration,
                                               &kWorkerReportsGenerated,
                                               &kWorkerReportFailures,
                                               &kWorkerVolumeFree,
                                               &kWorkerVolumeSize,
                                               &kWorkerHeartbeat,
                                               &kWorkerLastSuccess,
                                               &kWorkerArchiveProgress,
                                               &kWorkerArchivesInProgress,
                                               &kWorkerIntegrityChecks,
                                               &kWorkerArchivesByIntegrity,
                                               &kWorkerRetainedBytes,
                                               &kWorkerScrubOldestCheck,
                                               &kWorkerRetentionRemoved,
                                               &kWorkerRetentionKept,
                                               &kWorkerWorktreesDeleted,
                                               &kWorkerWorktreeDeleteFailures,
                                               &kWorkerFirstStart,
                                               &kWorkerBackfillRuns,
                                               &kWorkerBackfillTaken};
  return defs;
}

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kGauge:
      return "gauge";
    case Type::kCounter:
      return "counter";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string Header(const Def& def) {
  std::string out;
  out.append("# HELP ").append(def.name).append(" ");
  // HELP text escaping: backslash and newline.
  for (char c : def.help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  out.append("\n# TYPE ").append(def.name).append(" ");
  out.append(TypeName(def.type)).append("\n");
  return out;
}

std::string ReferenceMarkdown() {
  std::string out;
  std::string_view group;
  for (const Def* def : AllDefs()) {
    if (def->group != group) {
      group = def->group;
      if (!out.empty()) out.append("\n");
      out.append("#### ").append(group).append("\n\n");
      out.append("| Metric | Type | Labels | Description |\n");
      out.append("|---|---|---|---|\n");
    }
    out.append("| `").append(def->name).append("` | ");
    out.append(TypeName(def->type)).append(" | ");
    bool first = true;
    for (auto label : def->labels) {
      if (!first) out.append(", ");
      first = false;
      out.append("`").append(label).append("`");
    }
    out.append(" | ").append(def->help).append(" |\n");
  }
  return out;
}

const std::vector<double>& RunDurationBuckets() {
  static const std::vector<double> buckets = {
      10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400};
  return buckets;
}

const std::vector<double>& PollDurationBuckets() {
  static const std::vector<double> buckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

const std::vector<double>& ArchiveDurationBuckets() {
  static const std::vector<double> buckets = {
      0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
  return buckets;
}

}  // namespace pe::metrics
