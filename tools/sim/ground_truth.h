#ifndef PIPELINE_EXPORTER_TOOLS_SIM_GROUND_TRUTH_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_GROUND_TRUTH_H_

#include <map>
#include <string>
#include <vector>

#include "tools/sim/scenario.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {

// What a notification must name for an injected incident to count as
// notified: the alert and a subset of its labels.
struct ExpectedAlert {
  std::string alertname;
  std::map<std::string, std::string> labels;
};

// One injected incident. [sim_start, sim_end] (simulated microseconds since
// the play began) is when the world is in the incident's condition: its
// alerts are expected to fire within it (plus the alerting chain's latency)
// and to resolve after sim_end.
struct Incident {
  std::string id;  // "i01", ... in scenario order
  IncidentKind kind = IncidentKind::kFailedRun;
  Micros sim_start = 0;
  Micros sim_end = 0;
  bool injected = false;  // false: the scenario could not inject it
  std::vector<ExpectedAlert> alerts;
  std::string detail;

  // The incident is in the world from start to end.
  void MarkInjected(Micros start, Micros end) {
    injected = true;
    sim_start = start;
    sim_end = end;
  }
};

struct GroundTruth {
  std::string scenario;
  uint64_t seed = 0;
  double compression = 1;
  Micros wall_start = 0;  // Unix microseconds
  Micros wall_end = 0;
  Micros sim_duration = 0;
  Micros recent_window = 0;
  Micros scrub_interval = 0;
  uint64_t runs_created = 0;
  uint64_t background_runs = 0;
  std::vector<Incident> incidents;
};

// TRUTH.json (format: scenarios/README.md). Times in seconds, wall times as
// Unix seconds computed as wall_start + sim / compression.
std::string GroundTruthJson(const GroundTruth& truth);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_GROUND_TRUTH_H_
