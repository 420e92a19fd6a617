#include "exporter/poll/selections.h"

#include <utility>

namespace pe {
namespace {

// Each key checked on its own, so the error names the one at fault.
Status CheckFamilies(const char* key, std::string_view list) {
  return metrics::FamilySelection::CheckList(list).WithContext(key);
}

}  // namespace

Result<Selections> SelectionsFromConfig(const Config& config) {
  Selections selections;
  Result<ProjectSelection> projects = ProjectSelection::Make(
      config.metrics_project_include, config.metrics_project_exclude);
  if (!projects.ok()) return projects.status();
  selections.projects = std::move(*projects);

  for (const auto& [key, list] :
       {std::pair{"metrics.family-allow", &config.metrics_family_allow},
        std::pair{"metrics.family-deny", &config.metrics_family_deny}}) {
    if (Status s = CheckFamilies(key, *list); !s.ok()) return s;
  }
  Result<metrics::FamilySelection> families = metrics::FamilySelection::Make(
      config.metrics_family_allow, config.metrics_family_deny);
  if (!families.ok()) return families.status();
  selections.families = std::move(*families);
  return selections;
}

}  // namespace pe
