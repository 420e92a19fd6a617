#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SIM_FLAGS_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SIM_FLAGS_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "tools/sim/sim_options.h"

namespace pe::sim {

// The command line of `pipeline_exporter simulate`.
struct SimFlags {
  bool help = false;
  std::string db;
  SimOptions options;
  size_t bulk = 0;
  size_t bulk_active = 0;
  bool live = false;
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds duration{0};  // 0: until SIGINT/SIGTERM

  // Scenario play (--scenario): see scenario.h.
  std::string scenario;
  bool prepare = false;  // write the scenario's history, then exit
  bool seed_given = false;
  double compression = 0;  // 0: the scenario's
  std::string archive_dir = ".archive";
  std::string ballast_dir;
  std::string truth;
  bool linger = false;  // go on with background runs after the end
};

// Parses `args` (without "simulate"). Accepts "--flag value" and
// "--flag=value". An error names the flag ("--seed: ..."). --db is required
// unless --help is given.
Result<SimFlags> ParseSimFlags(const std::vector<std::string>& args);

// The --help text.
const char* SimUsage();

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SIM_FLAGS_H_
