#ifndef PIPELINE_EXPORTER_APP_CONFIG_RELOAD_H_
#define PIPELINE_EXPORTER_APP_CONFIG_RELOAD_H_

#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/config/config.h"

namespace pe {

// What a reload (SIGHUP, POST /-/reload) may change without a restart:
// log.*, state.poll-interval, metrics.project-include and
// metrics.project-exclude (applied at the next poll, with a full re-read),
// and worker.* except worker.enabled (the worker is restarted with its new
// settings). Everything else (the
// database, the listen address, the web configuration, the metrics
// windows...) is fixed for the life of the process.
bool IsReloadableKey(std::string_view key);

// OK if `next` differs from `current` only in reloadable keys; otherwise
// InvalidArgument naming each key that needs a restart, so the reload is
// rejected as a whole and the running configuration kept.
Status CheckReloadable(const Config& current, const Config& next);

// The keys whose values differ, in option-table order.
std::vector<std::string> ChangedKeys(const Config& current, const Config& next);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_CONFIG_RELOAD_H_
