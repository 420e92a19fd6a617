#ifndef PIPELINE_EXPORTER_CONFIG_CONFIG_H_
#define PIPELINE_EXPORTER_CONFIG_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/common/log.h"

namespace pe {

// The exporter's whole configuration. Every field has a dotted key
// ("state.poll-interval") that is both a YAML path in --config.file and a
// command-line flag; flags win over the file. The table of keys, defaults and
// help texts lives in config/options.cc, the only place they are declared.
struct Config {
  std::string config_file;  // --config.file; empty: none

  // state.*: the orchestrator's database.
  std::string state_db = ".state/orchestration.db";
  std::chrono::milliseconds poll_interval{10000};
  std::chrono::milliseconds busy_timeout{2000};
  // Full re-read of active runs and aggregate recount, the safety net for
  // writers that change rows without appending events.
  std::chrono::milliseconds resync_interval{300000};
  std::size_t event_batch = 50000;  // events read per poll at most

  // metrics.*: what is exposed and its cardinality bounds.
  std::chrono::milliseconds recent_window{3600000};
  std::size_t max_tracked_runs = 20000;
  std::size_t max_event_types = 64;
  std::size_t failure_reason_max_length = 120;
  // What is selected (options.cc says what each key means). Regular
  // expressions over the whole project name; "" is no condition.
  std::string metrics_project_include;
  std::string metrics_project_exclude;
  // Comma-separated family names or regular expressions; "" is no list.
  std::string metrics_family_allow;
  std::string metrics_family_deny;

  // web.*
  std::string listen_address = ":9879";
  std::string telemetry_path = "/metrics";
  // Above the scrapers a fleet points at one exporter plus the connections
  // that stall in their headers for kHeaderTimeoutMs (issue #23).
  int web_threads = 32;
  // exporter-toolkit style web config (basic auth, TLS); empty: neither.
  std::string web_config_file;

  // worker.*: the embedded completion worker (opt-in: it writes to the
  // orchestrator's database).
  bool worker_enabled = false;
  bool worker_mark_complete = true;
  std::string worker_worktrees_dir = ".worktrees";
  std::string worker_archive_dir = ".archive";
  std::string worker_reports_dir = "reports";
  std::chrono::milliseconds worker_interval{10000};
  std::chrono::milliseconds worker_lease{300000};
  int worker_deflate_level = 3;  // see ArchiveOptions::deflate_level
  double worker_free_space_factor = 1.5;
  std::chrono::milliseconds worker_retry_backoff{60000};
  int worker_concurrency = 1;
  bool worker_delete_worktrees = false;
  std::chrono::milliseconds worker_scrub_interval{24 * 3600 * 1000};  // 0: off
  // worker.retention.*: 0 means no limit; all 0 keeps every archive.
  std::size_t worker_retention_max_count = 0;
  std::uint64_t worker_retention_max_bytes = 0;
  std::chrono::milliseconds worker_retention_max_age{0};
  std::chrono::milliseconds worker_shutdown_grace{30000};
  // worker.backfill: how far back before the worker's first start on the
  // database it takes runs (worker/backfill.h); 0 (none) takes no history,
  // milliseconds::max() (all) every run. worker.backfill-rate: history runs
  // a second at most, 0 for no limit.
  std::chrono::milliseconds worker_backfill{0};
  double worker_backfill_rate = 5;

  // log.*
  std::string log_level = "info";  // debug, info, warn, error
  LogFormat log_format = LogFormat::kLogfmt;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_CONFIG_CONFIG_H_
