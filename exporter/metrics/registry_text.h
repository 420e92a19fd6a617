#ifndef PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_
#define PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_

#include <prometheus/registry.h>

#include <string>

namespace pe::metrics {

// The text exposition of a prometheus-cpp registry with its families in
// declaration order (metric_defs.cc) and each family's series in label order:
// stable, readable output instead of hash order.
std::string SerializeInDeclarationOrder(const prometheus::Registry& registry);

}  // namespace pe::metrics

#endif  // PIPELINE_EXPORTER_METRICS_REGISTRY_TEXT_H_
