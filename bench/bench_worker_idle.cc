// What the completion worker costs when there is nothing to do, on a large
// state database whose terminal runs have all been archived, measured side
// by side in one run:
//  - the scrub's old due query, which sorted every retained row by its
//    parsed last check (the code before #10, whose worker also scanned the
//    runs table every pass, is measured by its own binary:
//    bench/run_before_after.sh runs both);
//  - the worker fed by the poller (the daemon's): an idle pass with
//    housekeeping included, the pass after a resync (the scans and the full
//    housekeeping, once per state.resync-interval), the scrub pass through
//    the archival_log_check_due index;
//  - the poller's unchanged poll (the exporter's own idle cost).
//
//   build/bench/bench_worker_idle --db /tmp/bench-idle.db [--terminal 190000]
//       [--active 10000] [--rounds 20]
//
// Builds the database with the simulator's bulk loader if it does not exist,
// then records every terminal run as done with a retained, recently checked
// archive (exporter_jobs, archival_log), as a worker that has caught up
// leaves it. Prints one markdown table row per measurement.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_db.h"
#include "exporter/common/log.h"
#include "exporter/poll/poller.h"
#include "exporter/worker/completion_worker.h"
#include "exporter/worker/iso_time.h"
#include "exporter/worker/run_feed.h"
#include "exporter/worker/worker_store.h"

namespace {

using bench::Clock;
using bench::Millis;
using bench::Stats;

Stats Measure(int rounds, const std::function<void()>& step) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    step();
    v.push_back(Millis(Clock::now() - t0));
  }
  return bench::Summarize(std::move(v));
}

void Row(const char* what, const Stats& s) {
  std::printf("| %s | %.2f | %.2f | %.2f |\n", what, s.median, s.p95, s.max);
}

// Every terminal run done, with a retained archive checked just now.
void RecordAllDone(const std::string& db_path, const std::string& archive_dir) {
  SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
  const double now_unix =
      std::chrono::duration<double>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  const std::string now = pe::FormatIsoUtc(now_unix);
  SQLite::Transaction tx(db);
  db.exec(
      "INSERT OR IGNORE INTO exporter_jobs (run_id, stage, attempts, "
      "updated_at, run_ended_at, end_sort_key) SELECT run_id, 'done', 0, '" +
      now +
      "', ended_at, (julianday(COALESCE(ended_at, created_at)) - 2440587.5) "
      "* 86400.0 FROM runs "
      "WHERE state IN ('succeeded', 'partial', 'failed', 'quarantined', "
      "'canceled')");
  db.exec(
      "INSERT OR IGNORE INTO archival_log (run_id, archive_path, archived_at, "
      "size_bytes, sha256, integrity, verified_at, checked_at, "
      "archived_unix, last_check_unix) SELECT run_id, '" +
      archive_dir + "/' || run_id || '.zip', '" + now +
      "', 1000, 'x', 'verified', '" + now + "', '" + now + "', " +
      std::to_string(now_unix) + ", " + std::to_string(now_unix) +
      " FROM exporter_jobs");
  tx.commit();
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = bench::ParseDbFlags(argc, argv, "bench_worker_idle", 20);
  if (!flags) return 2;
  const std::string& db = flags->db;
  const std::size_t terminal = flags->terminal;
  const int rounds = flags->rounds;
  pe::log::Init("warn", pe::LogFormat::kLogfmt);
  if (!bench::EnsureBulkDatabase(*flags)) return 1;
  {
    // Creates the worker's tables.
    auto store = pe::WorkerStore::Open(db, {});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
  }
  const std::string archive_dir =
      (std::filesystem::temp_directory_path() / "bench-worker-idle-archive")
          .string();
  RecordAllDone(db, archive_dir);

  pe::Config config;
  config.state_db = db;
  config.resync_interval = std::chrono::hours(24);
  if (flags->max_tracked_runs != 0) {
    config.max_tracked_runs = flags->max_tracked_runs;
  }
  auto snapshots = std::make_shared<pe::SnapshotStore>();
  pe::Poller poller(config, std::make_shared<pe::Composer>(snapshots));
  poller.PollOnce();

  pe::CompletionWorkerOptions options;
  options.db_path = db;
  options.archive_dir = archive_dir;
  options.worktrees_dir = "/nonexistent";
  options.scrub_interval = std::chrono::hours(24);
  options.retention_max_count = terminal * 2;  // limits never reached
  options.retention_max_age = std::chrono::hours(24 * 3650);
  auto feed = std::make_shared<pe::RunFeed>();
  options.feed = feed;
  options.housekeeping_interval = std::chrono::milliseconds(0);  // each pass
  pe::CompletionWorker fed(options, nullptr);
  (void)fed.RunOnce();  // the first pass scans, as after start-up

  // The scrub's due query before archival_log_check_due: every retained row
  // with its last check parsed, sorted.
  auto store = pe::WorkerStore::Open(db, {});
  if (!store.ok()) return 1;
  auto old_scrub_query = [&] {
    (void)(*store)->Read("old scrub due query", [&](SQLite::Database& d) {
      SQLite::Statement q(
          d,
          "SELECT run_id, archive_path, archived_at, sha256, size_bytes FROM "
          "(SELECT *, COALESCE(pe_unix_time(checked_at), "
          "pe_unix_time(archived_at), -1e300) AS last_check FROM archival_log "
          "WHERE run_id IS NOT NULL AND archive_path IS NOT NULL AND "
          "archive_path <> '' AND removed_at IS NULL) WHERE last_check <= ?1 "
          "ORDER BY last_check, run_id LIMIT 16");
      q.bind(1, std::chrono::duration<double>(
                    std::chrono::system_clock::now().time_since_epoch())
                        .count() -
                    86400.0);
      while (q.executeStep()) {
      }
      return pe::Status::Ok();
    });
  };

  std::printf(
      "| measurement (%zu runs, %d rounds) | median ms | p95 ms | "
      "max ms |\n|---|---:|---:|---:|\n",
      terminal + flags->active, rounds);
  Row("poller: poll, nothing changed (reference)",
      Measure(rounds, [&] { poller.PollOnce(); }));
  Row("old scrub due query (sort of every retained row)",
      Measure(rounds, old_scrub_query));
  Row("fed: idle pass incl. housekeeping + empty claim, every "
      "`worker.interval`",
      Measure(rounds, [&] { (void)fed.RunOnce(); }));
  Row("fed: scrub pass with nothing due (`archival_log_check_due`), every "
      "`worker.interval`",
      Measure(rounds, [&] { (void)fed.ScrubOnce(); }));
  Row("fed: pass after a resync (scans + full housekeeping), every "
      "`state.resync-interval`",
      Measure(rounds, [&] {
        feed->RequestScan();
        (void)fed.RunOnce();
      }));
  return 0;
}
