#include "exporter/metrics/registry_text.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {

std::string SerializeInDeclarationOrder(const prometheus::Registry& registry,
                                        const FamilySelection& selection) {
  auto families = registry.Collect();
  std::erase_if(families, [&](const prometheus::MetricFamily& family) {
    return !selection.Exposes(family.name);
  });
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
  // Series by their label pairs, compared in place: building the pairs for
  // each comparison was most of the cost at thousands of series.
  const auto label_less = [](const prometheus::ClientMetric::Label& a,
                             const prometheus::ClientMetric::Label& b) {
    return std::tie(a.name, a.value) < std::tie(b.name, b.value);
  };
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [&](const auto& a, const auto& b) {
                return std::lexicographical_compare(
                    a.label.begin(), a.label.end(), b.label.begin(),
                    b.label.end(), label_less);
              });
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace pe::metrics
