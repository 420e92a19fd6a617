#ifndef PIPELINE_EXPORTER_WORKER_WORKER_OPTIONS_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "exporter/common/clock.h"
#include "exporter/config/config.h"
#include "exporter/worker/busy_retry.h"
#include "exporter/worker/run_feed.h"

namespace pe {

// Everything the completion worker is configured with (the worker.* keys,
// README "Configuration"), plus what tests inject.
struct CompletionWorkerOptions {
  std::string db_path;
  std::string worktrees_dir = ".worktrees";
  std::string archive_dir = ".archive";
  std::string reports_dir = "reports";
  bool mark_complete = true;
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds lease{300000};
  int deflate_level = 6;
  double free_space_factor = 1.5;
  std::chrono::milliseconds retry_backoff{60000};  // doubles, up to 1h
  int concurrency = 1;                             // archiving threads
  bool delete_worktrees = false;
  std::chrono::milliseconds scrub_interval{0};     // 0: no scrub
  std::size_t retention_max_count = 0;             // 0: no limit
  std::uint64_t retention_max_bytes = 0;           // 0: no limit
  std::chrono::milliseconds retention_max_age{0};  // 0: no limit
  // On Stop(), how long archives in progress may take to finish before
  // they are cancelled.
  std::chrono::milliseconds shutdown_grace{0};
  // How far back before the first start history runs are taken
  // (backfill.h) and at what rate (runs a second, 0: no limit). Tests start
  // from all, unpaced, so that runs they add before the first pass are
  // archived; the configured default (config.h) is none.
  std::chrono::milliseconds backfill = std::chrono::milliseconds::max();
  double backfill_rate = 0;
  // How often housekeeping runs between the full ones (retention if an
  // archive was recorded or passed the age limit, retained-archive metrics
  // after a change), on options.clock's monotonic time. The full one (also
  // leftover files, jobs of pruned runs) runs at the first pass and after
  // each whole-table read.
  std::chrono::milliseconds housekeeping_interval{60000};
  BusyRetryPolicy busy;
  // What the poller read (the daemon's): the worker acts on the runs it
  // names and scans the runs table at its first pass and when the poller
  // read all of it (start-up, state.resync-interval). Null: an empty feed of
  // its own, so only the first pass's scan finds work; tests hold the feed
  // and offer what they add, as the poller would.
  std::shared_ptr<RunFeed> feed;
  std::string owner;  // empty: hostname:pid:random
  // Wall time (leases, backoffs, database times) and monotonic time (the
  // housekeeping interval, a scrub's timing). Null: the system clock. Tests
  // inject a ManualClock.
  std::shared_ptr<const Clock> clock;

  static CompletionWorkerOptions FromConfig(const Config& config);
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_OPTIONS_H_
