#ifndef PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
#define PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "exporter/state/run_tracker.h"

namespace pe {

// The per-run families, pre-rendered (kube-state-metrics' design): a tracked
// run's lines are rendered once each time it changes, and the text of all
// runs is rebuilt by concatenation only after some run changed. A run that
// stops being tracked loses every line at once, so no series lingers.
class RunExposition {
 public:
  static constexpr std::size_t kFamilies = 8;
  using RunLines = std::array<std::string, kFamilies>;

  explicit RunExposition(std::size_t reason_max_bytes)
      : reason_max_bytes_(reason_max_bytes) {}

  void Apply(const RunTracker::Changes& changes, const RunTracker& tracker);
  // HELP/TYPE and samples of every per-run family.
  std::shared_ptr<const std::string> Text();

  // One run's lines per family (exposed for tests).
  static RunLines Render(const TrackedRun& run, std::size_t reason_max_bytes);

 private:
  std::size_t reason_max_bytes_;
  std::map<std::string, RunLines> runs_;
  std::shared_ptr<const std::string> text_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
