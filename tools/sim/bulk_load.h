#ifndef PIPELINE_EXPORTER_TOOLS_SIM_BULK_LOAD_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_BULK_LOAD_H_

#include <chrono>
#include <cstddef>
#include <string>

#include "exporter/common/status.h"
#include "tools/sim/sim_options.h"

namespace pe::sim {

// Fills the state database at `db_path` (created if missing) with history:
//  - `terminal_runs` finished runs spread over [now - bulk_span, now - 10m]:
//    about 80% succeeded, the rest failed, partial, quarantined, canceled;
//    options.steps_per_run steps each, about 5 events each;
//  - `active_runs` runs created within the last hour: mostly running with
//    some steps completed, one running and the rest pending; some pending.
// Events are appended in timestamp order. Runs go in with large transactions
// and prepared statements (200k runs load in seconds). Artifact folders are
// created only if options.bulk_artifacts, after the database work. The same
// options, counts, `now` and starting database give the same content.
Status BulkLoad(const std::string& db_path, const SimOptions& options,
                size_t terminal_runs, size_t active_runs,
                std::chrono::system_clock::time_point now =
                    std::chrono::system_clock::now());

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_BULK_LOAD_H_
