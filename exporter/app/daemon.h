#ifndef PIPELINE_EXPORTER_APP_DAEMON_H_
#define PIPELINE_EXPORTER_APP_DAEMON_H_

#include <string>
#include <vector>

#include "exporter/config/config.h"

namespace pe {

// Serves /metrics and polls the state database until SIGINT or SIGTERM;
// SIGHUP and POST /-/reload reload the configuration from `args` (the
// command line it was loaded from). Returns the process exit status: 0
// after a clean stop, 2 for a start-up error (an invalid web configuration,
// a listen address that cannot be bound), like any configuration error.
int RunDaemon(const Config& config, const std::vector<std::string>& args);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_DAEMON_H_
