// What the completion worker costs when there is nothing to do, on a large
// state database whose terminal runs have all been archived: one
// maintenance pass (mark finished runs, enqueue, backlog), one claim that
// finds nothing, housekeeping (leftovers, pruned jobs, retention, retained
// metrics) and a scrub pass that finds nothing due. Side by side, in the same
// run, the poller's unchanged poll (the exporter's own idle cost).
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
#include "exporter/collector/poller.h"
#include "exporter/common/log.h"
#include "exporter/worker/completion_worker.h"
#include "exporter/worker/iso_time.h"
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
  const std::string now =
      pe::FormatIsoUtc(std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
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
      "size_bytes, sha256, integrity, verified_at, checked_at) SELECT run_id, "
      "'" +
      archive_dir + "/' || run_id || '.zip', '" + now +
      "', 1000, 'x', 'verified', '" + now + "', '" + now +
      "' FROM exporter_jobs");
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
  auto snapshots = std::make_shared<pe::SnapshotStore>();
  pe::Poller poller(config, snapshots);
  poller.PollOnce();

  pe::CompletionWorkerOptions options;
  options.db_path = db;
  options.archive_dir =
      std::filesystem::temp_directory_path() / "bench-worker-idle-archive";
  options.worktrees_dir = "/nonexistent";
  options.scrub_interval = std::chrono::hours(24);
  options.retention_max_count = terminal * 2;  // a limit, never reached
  pe::CompletionWorker worker(options, nullptr);
  (void)worker.RunOnce();  // opens, first housekeeping

  std::printf(
      "| measurement (%zu runs, %d rounds) | median ms | p95 ms | "
      "max ms |\n|---|---:|---:|---:|\n",
      terminal + flags->active, rounds);
  Row("poller: poll, nothing changed (reference)",
      Measure(rounds, [&] { poller.PollOnce(); }));
  Row("worker: maintenance + empty claim (RunOnce), every worker.interval",
      Measure(rounds, [&] { (void)worker.RunOnce(); }));
  Row("worker: housekeeping incl. retention, every minute",
      Measure(rounds, [&] { (void)worker.Housekeep(); }));
  Row("worker: scrub pass with nothing due, every worker.interval",
      Measure(rounds, [&] { (void)worker.ScrubOnce(); }));
  return 0;
}
