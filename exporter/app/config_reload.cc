#include "exporter/app/config_reload.h"

#include "exporter/config/options.h"

namespace pe {

bool IsReloadableKey(std::string_view key) {
  if (key.starts_with("log.")) return true;
  if (key == "state.poll-interval") return true;
  if (key == "metrics.project-include" || key == "metrics.project-exclude") {
    return true;
  }
  return key.starts_with("worker.") && key != "worker.enabled";
}

std::vector<std::string> ChangedKeys(const Config& current,
                                     const Config& next) {
  std::vector<std::string> keys;
  for (const Option& option : Options()) {
    if (option.get(current) != option.get(next)) keys.emplace_back(option.key);
  }
  return keys;
}

Status CheckReloadable(const Config& current, const Config& next) {
  std::string fixed;
  for (const std::string& key : ChangedKeys(current, next)) {
    if (IsReloadableKey(key)) continue;
    if (!fixed.empty()) fixed += ", ";
    fixed += key;
  }
  if (fixed.empty()) return Status::Ok();
  return Status::InvalidArgument("cannot change " + fixed +
                                 " without a restart; configuration not "
                                 "reloaded");
}

}  // namespace pe
