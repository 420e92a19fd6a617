// Poll cost on a large state database: start-up full read, a poll with
// nothing changed, and a poll after 1% of the active runs moved one step on.
//
//   build/bench/bench_poll --db /tmp/bench.db [--terminal 190000]
//       [--active 10000] [--rounds 30] [--max-tracked-runs 20000]
//
// --max-tracked-runs is the exporter's metrics.max-tracked-runs (default
// 20000): above it, more active runs than that are not all tracked.
//
// Builds the database with the simulator's bulk loader if it does not exist.
// Prints one markdown table row per measurement.
#include <malloc.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_db.h"
#include "exporter/common/log.h"
#include "exporter/poll/poller.h"
#include "tools/sim/active_runs.h"

namespace {

using bench::Clock;
using bench::Millis;
using bench::Stats;
using bench::Summarize;

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const auto flags = bench::ParseDbFlags(argc, argv, "bench_poll", 30);
  if (!flags) return 2;
  const std::string& db = flags->db;
  const std::size_t active = flags->active;
  const int rounds = flags->rounds;
  pe::log::Init("warn", pe::LogFormat::kLogfmt);
  if (!bench::EnsureBulkDatabase(*flags)) return 1;

  pe::Config config;
  config.state_db = db;
  config.resync_interval = std::chrono::hours(24);  // measure polls only
  if (flags->max_tracked_runs != 0) {
    config.max_tracked_runs = flags->max_tracked_runs;
  }
  auto store = std::make_shared<pe::SnapshotStore>();
  pe::Poller poller(config, std::make_shared<pe::Composer>(store));

  auto t0 = Clock::now();
  poller.PollOnce();
  const double startup = Millis(Clock::now() - t0);
  if (poller.condition() != pe::StateCondition::kOk) {
    std::fprintf(stderr, "poll failed\n");
    return 1;
  }
  const auto first = store->Latest();
  // Where the poller's heap goes after start-up (design.md, "Memory"),
  // before the bench joins the body into one string (the server never does).
  const struct mallinfo2 heap = mallinfo2();
  const double heap_mib = (heap.uordblks + heap.hblkhd) / 1048576.0;
  const double sqlite_mib = sqlite3_memory_used() / 1048576.0;
  const double known_mib = poller.tracker().known_bytes() / 1048576.0;
  const double body_mib = first->size() / 1048576.0;
  const std::string& body = first->body();
  const long series = std::count(body.begin(), body.end(), '\n');

  std::vector<double> unchanged, changed;
  for (int i = 0; i < rounds; ++i) {
    t0 = Clock::now();
    poller.PollOnce();
    unchanged.push_back(Millis(Clock::now() - t0));
  }
  const std::size_t k = std::max<std::size_t>(1, active / 100);
  for (int i = 0; i < rounds; ++i) {
    auto advanced = pe::sim::AdvanceActiveRuns(db, 1000 + i, k);
    if (!advanced.ok()) {
      std::fprintf(stderr, "advance failed: %s\n",
                   advanced.status().ToString().c_str());
      return 1;
    }
    t0 = Clock::now();
    poller.PollOnce();
    changed.push_back(Millis(Clock::now() - t0));
  }

  const Stats u = Summarize(unchanged), c = Summarize(changed);
  std::printf(
      "database: %s (%zu tracked runs, %ld exposition lines, %.1f MiB)\n",
      db.c_str(), poller.tracker().tracked_count(), series,
      body.size() / 1048576.0);
  std::printf("| measurement | median ms | p95 ms | max ms |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| start-up (full read) | %.1f | | |\n", startup);
  std::printf("| poll, nothing changed | %.2f | %.2f | %.2f |\n", u.median,
              u.p95, u.max);
  std::printf("| poll, %zu active runs changed (1%%) | %.2f | %.2f | %.2f |\n",
              k, c.median, c.p95, c.max);
  std::printf("peak RSS of this process: %.1f MiB\n", PeakRssKiB() / 1024.0);
  std::printf(
      "heap in use after start-up: %.1f MiB = known runs %.1f + /metrics "
      "text %.1f + SQLite %.1f + the rest (tracked runs, steps, exposition "
      "buckets, registry) %.1f\n",
      heap_mib, known_mib, body_mib, sqlite_mib,
      heap_mib - known_mib - body_mib - sqlite_mib);
  return 0;
}
