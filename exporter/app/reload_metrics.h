#ifndef PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_
#define PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace pe {

// The configuration reload metrics (metric_defs.h, "Exporter health") in
// their own prometheus-cpp registry, handed to the composer after every
// reload attempt (Reloader::Hooks::metrics_changed). Thread-safe
// (prometheus-cpp values are atomic).
class ReloadMetrics {
 public:
  explicit ReloadMetrics(double loaded_at);
  ReloadMetrics(const ReloadMetrics&) = delete;
  ReloadMetrics& operator=(const ReloadMetrics&) = delete;

  void Succeeded(double now);
  void Failed();
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& successes_;
  prometheus::Counter& failures_;
  prometheus::Gauge& last_successful_;
  prometheus::Gauge& last_success_time_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_
