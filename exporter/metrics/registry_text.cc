#include "exporter/metrics/registry_text.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {

std::string SerializeInDeclarationOrder(const prometheus::Registry& registry) {
  auto families = registry.Collect();
  const auto& defs = AllDefs();
  const auto rank = [&](const prometheus::MetricFamily& f) {
    for (std::size_t i = 0; i < defs.size(); ++i) {
      if (defs[i]->name == f.name) return i;
    }
    return defs.size();
  };
  std::stable_sort(
      families.begin(), families.end(),
      [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  const auto key = [](const prometheus::ClientMetric& m) {
    std::vector<std::pair<std::string, std::string>> k;
    for (const auto& l : m.label) k.emplace_back(l.name, l.value);
    return k;
  };
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [&](const auto& a, const auto& b) { return key(a) < key(b); });
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace pe::metrics
