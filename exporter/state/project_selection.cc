#include "exporter/state/project_selection.h"

#include <string>
#include <utility>

#include "exporter/common/label_value.h"

namespace pe {

Result<ProjectSelection> ProjectSelection::Make(std::string_view include,
                                                std::string_view exclude) {
  ProjectSelection selection;
  if (!include.empty()) {
    Result<FullMatch> match = FullMatch::Compile(include);
    if (!match.ok())
      return match.status().WithContext("metrics.project-include");
    selection.include_ = std::move(*match);
  }
  if (!exclude.empty()) {
    Result<FullMatch> match = FullMatch::Compile(exclude);
    if (!match.ok())
      return match.status().WithContext("metrics.project-exclude");
    selection.exclude_ = std::move(*match);
  }
  return selection;
}

bool ProjectSelection::Selects(std::string_view project) const {
  if (all()) return true;
  const std::string label = SanitizeLabelValue(project, kMatchedBytes);
  if (include_ && !include_->Matches(label)) return false;
  return !(exclude_ && exclude_->Matches(label));
}

}  // namespace pe
