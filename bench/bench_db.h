#ifndef PIPELINE_EXPORTER_BENCH_BENCH_DB_H_
#define PIPELINE_EXPORTER_BENCH_BENCH_DB_H_

// What the database benchmarks share: their flags, the bulk-loaded state
// database they run on, and the summary of a series of timings.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tools/sim/bulk_load.h"

namespace bench {

using Clock = std::chrono::steady_clock;

inline double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
  double median, p95, max;
};

inline Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))];
  };
  return {at(0.5), at(0.95), v.back()};
}

// --db PATH [--terminal N] [--active N] [--rounds N] [--max-tracked-runs N]
struct DbFlags {
  std::string db;
  std::size_t terminal = 190000, active = 10000;
  int rounds = 20;
  // metrics.max-tracked-runs of the poller; 0: the exporter's default.
  std::size_t max_tracked_runs = 0;
};

// nullopt (after printing the usage of `program`) when the flags are wrong.
inline std::optional<DbFlags> ParseDbFlags(int argc, char** argv,
                                           const char* program,
                                           int default_rounds) {
  DbFlags flags;
  flags.rounds = default_rounds;
  bool ok = true;
  for (int i = 1; ok && i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--db") {
      flags.db = value;
    } else if (flag == "--terminal") {
      flags.terminal = std::stoul(value);
    } else if (flag == "--active") {
      flags.active = std::stoul(value);
    } else if (flag == "--rounds") {
      flags.rounds = std::stoi(value);
    } else if (flag == "--max-tracked-runs") {
      flags.max_tracked_runs = std::stoul(value);
      ok = flags.max_tracked_runs >= 1;
    } else {
      ok = false;
    }
  }
  if (ok && !flags.db.empty() && flags.rounds >= 1) return flags;
  std::fprintf(stderr,
               "usage: %s --db PATH [--terminal N] [--active N] "
               "[--rounds N] [--max-tracked-runs N]\n",
               program);
  return std::nullopt;
}

// Builds flags.db with the simulator's bulk loader (seed 42, no artifact
// folders) unless it exists. Prints how long it took; false on failure.
inline bool EnsureBulkDatabase(const DbFlags& flags) {
  if (std::filesystem::exists(flags.db)) return true;
  pe::sim::SimOptions options;
  options.seed = 42;
  options.artifacts = false;
  const auto t0 = Clock::now();
  pe::Status s =
      pe::sim::BulkLoad(flags.db, options, flags.terminal, flags.active);
  if (!s.ok()) {
    std::fprintf(stderr, "bulk load failed: %s\n", s.ToString().c_str());
    return false;
  }
  std::printf("bulk load of %zu runs: %.1f s\n", flags.terminal + flags.active,
              Millis(Clock::now() - t0) / 1000);
  return true;
}

}  // namespace bench

#endif  // PIPELINE_EXPORTER_BENCH_BENCH_DB_H_
