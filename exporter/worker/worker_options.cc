#include "exporter/worker/worker_options.h"

namespace pe {

CompletionWorkerOptions CompletionWorkerOptions::FromConfig(
    const Config& config) {
  CompletionWorkerOptions options;
  options.db_path = config.state_db;
  options.worktrees_dir = config.worker_worktrees_dir;
  options.archive_dir = config.worker_archive_dir;
  options.reports_dir = config.worker_reports_dir;
  options.mark_complete = config.worker_mark_complete;
  options.interval = config.worker_interval;
  options.lease = config.worker_lease;
  options.deflate_level = config.worker_deflate_level;
  options.free_space_factor = config.worker_free_space_factor;
  options.retry_backoff = config.worker_retry_backoff;
  options.concurrency = config.worker_concurrency;
  options.delete_worktrees = config.worker_delete_worktrees;
  options.scrub_interval = config.worker_scrub_interval;
  options.retention_max_count = config.worker_retention_max_count;
  options.retention_max_bytes = config.worker_retention_max_bytes;
  options.retention_max_age = config.worker_retention_max_age;
  options.shutdown_grace = config.worker_shutdown_grace;
  options.backfill = config.worker_backfill;
  options.backfill_rate = config.worker_backfill_rate;
  options.busy.busy_timeout = config.busy_timeout;
  return options;
}

}  // namespace pe
