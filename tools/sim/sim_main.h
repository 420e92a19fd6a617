#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SIM_MAIN_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SIM_MAIN_H_

#include <string>
#include <vector>

namespace pe::sim {

// `pipeline_exporter simulate ...`: plays the orchestrator on a contract
// database. args excludes "simulate". Returns the process exit status.
int Main(const std::vector<std::string>& args);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SIM_MAIN_H_
