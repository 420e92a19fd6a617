#ifndef PIPELINE_EXPORTER_METRICS_FAMILY_SELECTION_H_
#define PIPELINE_EXPORTER_METRICS_FAMILY_SELECTION_H_

#include <string_view>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/metrics/metric_defs.h"

namespace pe::metrics {

// Which of the declared families are exposed (metrics.family-allow and
// metrics.family-deny, kube-state-metrics' --metric-allowlist and
// --metric-denylist): a family is exposed when the allow list is empty or
// one of its entries matches the family's name, and no entry of the deny
// list does. Entries are names or regular expressions matching the whole
// name. A family that is not exposed is not rendered at all: it costs
// neither the poll nor the scrape its text. The default exposes every one.
class FamilySelection {
 public:
  FamilySelection();  // every family
  // allow, deny: comma-separated entries. An entry that matches no declared
  // family is refused (a typo would otherwise silently expose or hide
  // nothing): InvalidArgument saying which list and entry.
  static Result<FamilySelection> Make(std::string_view allow,
                                      std::string_view deny);

  // One list's entries checked as Make checks them, the error without the
  // list's name.
  static Status CheckList(std::string_view list);

  bool Exposes(const Def& def) const;
  bool Exposes(std::string_view family_name) const;
  // The families not exposed, in declaration order.
  std::vector<const Def*> Hidden() const;
  bool all() const;

 private:
  std::vector<bool> exposed_;  // by index in AllDefs()
};

}  // namespace pe::metrics

#endif  // PIPELINE_EXPORTER_METRICS_FAMILY_SELECTION_H_
