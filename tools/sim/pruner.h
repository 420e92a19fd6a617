#ifndef PIPELINE_EXPORTER_TOOLS_SIM_PRUNER_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_PRUNER_H_

#include <SQLiteCpp/Database.h>

#include <cstdint>

#include "exporter/common/status.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {

// The orchestrator's pruning: deletes terminal runs that ended before
// `cutoff`, with their steps and events, in batches of a few thousand runs,
// each batch its own short write transaction (retried on SQLITE_BUSY).
// Stops after `max_batches` (the rest waits for the next call). Returns the
// number of runs deleted. Timestamps in any of the contract's forms compare
// by instant (SQLite's julianday, to the millisecond), not as text; a run
// whose ended_at does not parse is kept.
Result<uint64_t> PruneTerminalRuns(SQLite::Database& db, Micros cutoff,
                                   int max_batches = 50);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_PRUNER_H_
