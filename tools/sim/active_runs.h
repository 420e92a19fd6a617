#ifndef PIPELINE_EXPORTER_TOOLS_SIM_ACTIVE_RUNS_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_ACTIVE_RUNS_H_

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/common/status.h"

namespace pe::sim {

struct AdvanceResult {
  size_t advanced = 0;   // runs whose step moved on
  size_t completed = 0;  // runs that finished their last step (succeeded or
                         // partial) ...
  size_t created = 0;    // ... each replaced by a new running run
};

// Churn for the poll benchmark: picks `k` running runs (seeded by `seed` and
// `now`) and moves each one step on, as the orchestrator would: the running
// step completes and the next pending one starts, with step_completed /
// step_started events and updated_at set. A run with no step left is
// completed and replaced by a fresh running run, so the number of active runs
// stays the same. All of it in one IMMEDIATE transaction (retried on
// SQLITE_BUSY).
Result<AdvanceResult> AdvanceActiveRuns(
    SQLite::Database& db, uint64_t seed, size_t k,
    std::chrono::system_clock::time_point now, int steps_per_run = 8);

// The same on a database opened (and closed again) by path.
Result<AdvanceResult> AdvanceActiveRuns(
    const std::string& db_path, uint64_t seed, size_t k,
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::now());

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_ACTIVE_RUNS_H_
