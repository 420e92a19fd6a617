#ifndef PIPELINE_EXPORTER_APP_DAEMON_H_
#define PIPELINE_EXPORTER_APP_DAEMON_H_

#include "exporter/config/config.h"

namespace pe {

// Serves /metrics and polls the state database until SIGINT or SIGTERM.
// Returns the process exit status (0 after a clean stop, 1 if the listen
// address cannot be bound).
int RunDaemon(const Config& config);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_DAEMON_H_
