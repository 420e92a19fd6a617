#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SIM_OPTIONS_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SIM_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace pe::sim {

// The shape of bulk-loaded data, to match a user's database
// (`pipeline_exporter db-shape` reports these for an existing file). The
// defaults are the simulator's own: short names, 26-byte ULIDs, ~5 events
// and a few hundred bytes of error text per failed step.
struct BulkShape {
  int phases = 5;
  int workstreams = 40;
  double workstream_share = 2.0 / 3;  // runs with a workstream
  size_t run_id_bytes = 26;           // ULIDs, lengthened or cut to this
  // Names lengthened to this many bytes (0: as they are).
  size_t project_bytes = 0;
  size_t phase_bytes = 0;
  size_t workstream_bytes = 0;
  // Mean events per terminal run; more step events are written to reach it
  // (0: the natural ~5).
  double events_per_run = 0;
  // Mean bytes of an error message (0: the natural texts).
  size_t error_bytes = 0;
  // Bytes of a run's metadata JSON, lengthened with a "notes" member
  // (0: the natural ~90).
  size_t metadata_bytes = 0;
};

// How the simulated orchestrator behaves. The defaults are the flag defaults
// of `pipeline_exporter simulate` (see sim_flags.h).
struct SimOptions {
  // Every decision (ids, names, outcomes, durations, timestamp forms) is drawn
  // from generators seeded with this.
  uint64_t seed = 1;
  int steps_per_run = 8;
  int projects = 4;

  // Artifact folders <worktrees_dir>/<run_id>/ for live runs (when they
  // start) and, if bulk_artifacts, for bulk-loaded runs.
  std::string worktrees_dir = ".worktrees";
  bool artifacts = true;
  bool bulk_artifacts = false;

  // Bulk load: terminal runs are spread over the past bulk_span.
  std::chrono::seconds bulk_span{30 * 24 * 3600};
  BulkShape shape;

  // Live play.
  double runs_per_minute = 12;
  double pending_rate = 0.05;  // fraction of runs that never start
  double step_seconds = 5;     // mean step duration
  double fail_rate = 0.1;      // fraction of runs in which a step fails
  double stall_rate = 0.05;    // fraction of runs that stop progressing
  // When false, a run whose last step ends stays `running` (all steps
  // terminal) for the exporter's completion worker to finish.
  bool complete_runs = true;
  // When set, terminal runs that ended longer ago are deleted with their
  // steps and events, about once a minute.
  std::optional<std::chrono::milliseconds> prune_older_than;
};

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SIM_OPTIONS_H_
