#ifndef PIPELINE_EXPORTER_STATE_PROJECT_SELECTION_H_
#define PIPELINE_EXPORTER_STATE_PROJECT_SELECTION_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "exporter/common/pattern_list.h"
#include "exporter/common/status.h"

namespace pe {

// Which projects' runs get per-run series (metrics.project-include and
// metrics.project-exclude): a project is selected when it matches include
// (or include is empty) and does not match exclude. Both are regular
// expressions matching the whole project name as its label shows it (valid
// UTF-8, control characters as spaces, cut to kMatchedBytes). The default
// selects every project.
class ProjectSelection {
 public:
  static constexpr std::size_t kMatchedBytes = 128;  // as the labels cut it

  ProjectSelection() = default;
  // "" for either: no such condition. InvalidArgument naming the key and
  // the expression that does not compile.
  static Result<ProjectSelection> Make(std::string_view include,
                                       std::string_view exclude);

  bool Selects(std::string_view project) const;
  // Whether every project is selected whatever its name.
  bool all() const { return !include_ && !exclude_; }

 private:
  std::optional<FullMatch> include_;
  std::optional<FullMatch> exclude_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_PROJECT_SELECTION_H_
