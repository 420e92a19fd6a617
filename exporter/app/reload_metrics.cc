#include "exporter/app/reload_metrics.h"

#include <utility>

#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/registry_text.h"

namespace pe {
ReloadMetrics::ReloadMetrics(double loaded_at,
                             metrics::FamilySelection families)
    : families_(std::move(families)),
      registry_(std::make_shared<prometheus::Registry>()),
      reloads_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                       metrics::kConfigReloads, *registry_)),
      successes_(reloads_.Add({{"result", "success"}})),
      failures_(reloads_.Add({{"result", "failure"}})),
      last_successful_(metrics::RegisterFamily(
                           prometheus::BuildGauge(),
                           metrics::kConfigLastReloadSuccessful, *registry_)
                           .Add({})),
      last_success_time_(
          metrics::RegisterFamily(prometheus::BuildGauge(),
                                  metrics::kConfigLastReloadSuccess, *registry_)
              .Add({})) {
  last_successful_.Set(1);
  last_success_time_.Set(loaded_at);
}

void ReloadMetrics::Succeeded(double now) {
  successes_.Increment();
  last_successful_.Set(1);
  last_success_time_.Set(now);
}

void ReloadMetrics::Failed() {
  failures_.Increment();
  last_successful_.Set(0);
}

std::string ReloadMetrics::Serialize() const {
  return metrics::SerializeInDeclarationOrder(*registry_, families_);
}

}  // namespace pe
