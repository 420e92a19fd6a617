#ifndef PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_
#define PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_

#include <prometheus/registry.h>

#include <string>

#include "exporter/metrics/family_selection.h"
#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {

// Registers the family declared by def (its name and help) in registry:
//   auto& family = RegisterFamily(prometheus::BuildGauge(), kRuns, registry);
template <typename Builder>
auto& RegisterFamily(Builder builder, const Def& def,
                     prometheus::Registry& registry) {
  return builder.Name(std::string(def.name))
      .Help(std::string(def.help))
      .Register(registry);
}

// The text exposition of a prometheus-cpp registry with its families in
// declaration order (metric_defs.cc) and each family's series in label order:
// stable, readable output instead of hash order.
// Families that selection does not expose are left out.
std::string SerializeInDeclarationOrder(
    const prometheus::Registry& registry,
    const FamilySelection& selection = FamilySelection());

}  // namespace pe::metrics

#endif  // PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_
