#include "exporter/app/reloader.h"

#include <utility>

#include "exporter/app/config_reload.h"
#include "exporter/common/log.h"
#include "exporter/config/load.h"

namespace pe {

Reloader::Reloader(std::vector<std::string> args, Config current, Hooks hooks,
                   std::shared_ptr<ReloadMetrics> metrics,
                   std::shared_ptr<const Clock> clock)
    : args_(std::move(args)),
      hooks_(std::move(hooks)),
      metrics_(std::move(metrics)),
      clock_(clock ? std::move(clock) : SystemClock()),
      current_(std::move(current)) {}

Config Reloader::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Status Reloader::Reload(std::string_view trigger) {
  std::lock_guard<std::mutex> lock(mu_);
  auto fail = [&](const Status& status) {
    metrics_->Failed();
    if (hooks_.metrics_changed) hooks_.metrics_changed();
    log::Error("configuration not reloaded; the running one is kept",
               {{"trigger", std::string(trigger)}, {"err", status.message()}});
    return status;
  };
  Result<LoadOutcome> loaded = LoadConfig(args_);
  if (!loaded.ok()) return fail(loaded.status());
  const Config& next = loaded->config;
  if (Status s = CheckReloadable(current_, next); !s.ok()) return fail(s);

  const std::vector<std::string> changed = ChangedKeys(current_, next);
  if (Status s = log::Init(next.log_level, next.log_format); !s.ok()) {
    return fail(s);
  }
  if (next.poll_interval != current_.poll_interval &&
      hooks_.set_poll_interval) {
    hooks_.set_poll_interval(next.poll_interval);
  }
  bool worker_changed = false;
  bool projects_changed = false;
  for (const std::string& key : changed) {
    worker_changed |= key.starts_with("worker.");
    projects_changed |= key.starts_with("metrics.project-");
  }
  if (projects_changed && hooks_.set_project_selection) {
    hooks_.set_project_selection(next);
  }
  if (worker_changed && next.worker_enabled && hooks_.restart_worker) {
    hooks_.restart_worker(next);
  }
  current_ = next;
  metrics_->Succeeded(clock_->WallSeconds());
  if (hooks_.metrics_changed) hooks_.metrics_changed();
  std::string keys;
  for (const std::string& key : changed) {
    if (!keys.empty()) keys += ",";
    keys += key;
  }
  log::Info("configuration reloaded",
            {{"trigger", std::string(trigger)},
             {"changed", keys.empty() ? std::string("nothing") : keys}});
  return Status::Ok();
}

}  // namespace pe
