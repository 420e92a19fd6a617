#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "exporter/common/status.h"

namespace pe::sim {

// A declarative day of orchestrator activity (`simulate --scenario FILE`):
// a clean background of runs that all succeed, and incidents injected at
// known simulated times. Times are simulated; the play runs `compression`
// times faster than the wall clock. Format: scenarios/README.md.
using SimDuration = std::chrono::milliseconds;

struct DurationRange {
  SimDuration min{0};
  SimDuration max{0};
};

enum class IncidentKind {
  kFailedRun,         // a run fails at a step, with an error message
  kPartialRun,        // a run ends partial: one step failed, the rest ran
  kStalledRun,        // a running step makes no progress for stall_for
  kNeverStarted,      // a run stays pending for pending_for
  kStepFailureBurst,  // `runs` partial runs in one project, close together
  kArchivalFailure,   // a run's worktree cannot be archived for `duration`
  kCorruptArchive,    // a retained archive is damaged on disk
  kDiskFill,          // the archive volume fills up over `ramp`
  kDbUnreadable,      // the state database is missing for `duration`
  kExporterRestart,   // the exporter is killed and started down_for later
};

// The scenario's name of a kind ("failed_run", ...).
const char* IncidentKindName(IncidentKind kind);

struct IncidentSpec {
  IncidentKind kind = IncidentKind::kFailedRun;
  SimDuration at{0};           // when it is injected (see scenarios/README)
  std::string project;         // per-run kinds: empty = drawn by seed
  SimDuration stall_for{0};    // stalled_run
  SimDuration pending_for{0};  // never_started
  int runs = 1;                // step_failure_burst
  int failed_steps = 1;        // step_failure_burst
  SimDuration duration{0};     // archival_failure, db_unreadable
  SimDuration ramp{0};         // disk_fill
  double fill_to = 0.93;       // disk_fill: used share of the volume
  SimDuration hold{0};         // disk_fill
  SimDuration down_for{0};     // exporter_restart
};

struct HistorySpec {
  int runs_per_pair = 0;       // succeeded runs per project/phase pair
  SimDuration span{0};         // spread over this long before the play
  int retired_runs = 0;        // runs of a retired phase that stopped long ago
  SimDuration retired_age{0};  // how long ago the retired phase last ran
};

struct Scenario {
  std::string name;
  uint64_t seed = 1;
  double compression = 1;  // simulated seconds per wall second
  SimDuration duration{0};
  SimDuration recent_window{std::chrono::hours(1)};
  SimDuration scrub_interval{std::chrono::hours(1)};
  int projects = 4;
  double runs_per_hour = 40;
  int steps_per_run = 6;
  DurationRange step_duration{std::chrono::minutes(2), std::chrono::minutes(8)};
  DurationRange start_delay{std::chrono::seconds(30), std::chrono::minutes(3)};
  // Share of background runs the orchestrator leaves `running` after their
  // last step, for the completion worker to mark complete.
  double worker_completes = 0.5;
  HistorySpec history;
  std::vector<IncidentSpec> incidents;
};

// Reads a scenario file. Errors name the file and the key
// ("incidents[3].stall_for: ..."); unknown keys are errors.
Result<Scenario> LoadScenario(const std::string& path);
// The same from YAML text (`origin` names it in errors).
Result<Scenario> ParseScenario(const std::string& yaml,
                               const std::string& origin);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_H_
