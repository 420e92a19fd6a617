#ifndef PIPELINE_EXPORTER_APP_RELOADER_H_
#define PIPELINE_EXPORTER_APP_RELOADER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/app/reload_metrics.h"
#include "exporter/common/clock.h"
#include "exporter/common/status.h"
#include "exporter/config/config.h"

namespace pe {

// Reloads the configuration of the running daemon (SIGHUP, POST /-/reload):
// loads it again from the same flags and --config.file, rejects it as a
// whole if it is invalid or changes a key that needs a restart
// (config_reload.h), and otherwise applies it: log level and format, the
// poll interval, the project selection, and the worker (restarted with its new
// settings when a worker.* key changed). Every outcome is logged and counted; a
// success's time is the wall reading of `clock` (null: SystemClock()).
class Reloader {
 public:
  // How a reload reaches the running parts.
  struct Hooks {
    std::function<void(std::chrono::milliseconds)> set_poll_interval;
    std::function<void(const Config&)> restart_worker;
    // metrics.project-include or -exclude changed (next holds both).
    std::function<void(const Config&)> set_project_selection;
    // After every attempt, once the reload metrics show it.
    std::function<void()> metrics_changed;
  };

  Reloader(std::vector<std::string> args, Config current, Hooks hooks,
           std::shared_ptr<ReloadMetrics> metrics,
           std::shared_ptr<const Clock> clock = nullptr);

  // Thread-safe; one reload at a time. `trigger` is for the log ("SIGHUP").
  Status Reload(std::string_view trigger);

  Config current() const;

 private:
  const std::vector<std::string> args_;
  Hooks hooks_;
  std::shared_ptr<ReloadMetrics> metrics_;
  std::shared_ptr<const Clock> clock_;
  mutable std::mutex mu_;
  Config current_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_RELOADER_H_
