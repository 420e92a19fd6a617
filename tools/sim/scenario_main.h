#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_MAIN_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_MAIN_H_

#include <csignal>

#include "tools/sim/sim_flags.h"

namespace pe::sim {

// `simulate --scenario FILE ...`: --prepare writes the history; otherwise the
// scenario is played in wall time until its end or SIGINT/SIGTERM, the
// harness lines go to stdout and the ground truth to --truth. Returns the
// exit status (0 done, 1 database or file error, 2 bad scenario).
int ScenarioMain(const SimFlags& flags, const volatile std::sig_atomic_t& stop);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_MAIN_H_
