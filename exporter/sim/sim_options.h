#ifndef PIPELINE_EXPORTER_SIM_SIM_OPTIONS_H_
#define PIPELINE_EXPORTER_SIM_SIM_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pe::sim {

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

#endif  // PIPELINE_EXPORTER_SIM_SIM_OPTIONS_H_
