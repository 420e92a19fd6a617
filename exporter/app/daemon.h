#ifndef PIPELINE_EXPORTER_APP_DAEMON_H_
#define PIPELINE_EXPORTER_APP_DAEMON_H_

#include <string>
#include <vector>

#include "exporter/config/config.h"

namespace pe {

// Serves /metrics and polls the state database until SIGINT or SIGTERM;
// SIGHUP and POST /-/reload reload the configuration from `args` (the
// command line it was loaded from). Returns the process exit status (0
// after a clean stop, 1 if the listen address cannot be bound, 2 for an
// invalid web configuration).
int RunDaemon(const Config& config, const std::vector<std::string>& args);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_DAEMON_H_
