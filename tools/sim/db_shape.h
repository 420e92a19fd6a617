#ifndef PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_H_

#include <cstdint>
#include <string>

#include "exporter/common/status.h"

namespace pe::sim {

// Counts and mean byte lengths of one text column.
struct TextShape {
  int64_t distinct = 0;
  double mean_bytes = 0;
};

// What a state database holds, in the terms of `simulate --bulk`'s flags, so
// that a benchmark can be run at the shape of a user's own file: sizes, the
// share of active runs, how many runs ended recently (they are exposed like
// active ones), label cardinalities and lengths, error-message sizes.
struct DbShape {
  int64_t runs = 0;
  int64_t active_runs = 0;      // pending + running
  int64_t terminal_runs = 0;    // the five terminal states
  int64_t ended_last_hour = 0;  // terminal runs whose ended_at is < 1 h old
  double history_seconds = 0;   // now - the oldest created_at
  int64_t steps = 0;
  int64_t events = 0;
  int64_t events_without_run = 0;  // run_id NULL
  double run_id_bytes = 0;         // mean length
  TextShape projects;
  TextShape phases;
  TextShape workstreams;        // NULLs excluded
  double workstream_share = 0;  // runs with a workstream
  double metadata_bytes = 0;    // mean length of runs.metadata
  double event_data_bytes = 0;  // mean length of events.data
  double step_name_bytes = 0;   // mean length
  int64_t error_messages = 0;   // steps with an error_message
  double error_mean_bytes = 0;
  int64_t error_max_bytes = 0;
  int64_t failed_steps = 0;

  double active_share() const {
    return runs > 0 ? static_cast<double>(active_runs) / runs : 0;
  }
  double steps_per_run() const {
    return runs > 0 ? static_cast<double>(steps) / runs : 0;
  }
  double events_per_run() const {
    return runs > 0 ? static_cast<double>(events - events_without_run) / runs
                    : 0;
  }
};

// Reads the shape of the state database at `path` (read-only; a few full
// scans: seconds at millions of rows). `now_unix` is the reference for
// "ended in the last hour" and the history span. An unreadable file, or one
// without the contract's tables, is an error naming the file.
Result<DbShape> MeasureDbShape(const std::string& path, double now_unix);

// The shape as a report: one line per parameter, then the `simulate`
// command line that bulk-loads a database of that shape.
std::string FormatDbShape(const DbShape& shape);

// The `pipeline_exporter simulate --bulk ...` flags that reproduce the shape
// (the terminal runs spread so that as many end in the last hour).
std::string SimulateFlagsFor(const DbShape& shape);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_H_
