#ifndef PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_
#define PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "exporter/metrics/family_selection.h"

namespace pe {

// The configuration reload metrics (metric_defs.h, "Exporter health") in
// their own prometheus-cpp registry, handed to the composer after every
// reload attempt (Reloader::Hooks::metrics_changed). Thread-safe
// (prometheus-cpp values are atomic).
class ReloadMetrics {
 public:
  // Families that `families` does not expose are not serialized.
  explicit ReloadMetrics(double loaded_at,
                         metrics::FamilySelection families = {});
  ReloadMetrics(const ReloadMetrics&) = delete;
  ReloadMetrics& operator=(const ReloadMetrics&) = delete;

  void Succeeded(double now);
  void Failed();
  std::string Serialize() const;

 private:
  metrics::FamilySelection families_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& successes_;
  prometheus::Counter& failures_;
  prometheus::Gauge& last_successful_;
  prometheus::Gauge& last_success_time_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_RELOAD_METRICS_H_
