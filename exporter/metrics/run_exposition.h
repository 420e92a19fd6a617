#ifndef PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
#define PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exporter/state/run_tracker.h"

namespace pe {

// The per-run families, pre-rendered (kube-state-metrics' design): a tracked
// run's lines are rendered once each time it changes. Runs are spread over
// fixed buckets (by hash of run id); a bucket's text per family is joined
// again only when one of its runs changed, so a poll where 1% of the runs
// changed re-joins about 1% of the text, and publishing shares every
// unchanged bucket with the previous snapshot. A run that stops being tracked
// loses every line at once, so no series lingers.
class RunExposition {
 public:
  static constexpr std::size_t kFamilies = 8;
  static constexpr std::size_t kBuckets = 1024;
  using RunLines = std::array<std::string, kFamilies>;
  using Part = std::shared_ptr<const std::string>;

  explicit RunExposition(std::size_t reason_max_bytes);

  void Apply(const RunTracker::Changes& changes, const RunTracker& tracker);
  // HELP/TYPE and samples of every per-run family, as parts to concatenate:
  // for each family its header, then each bucket's lines (runs in id order
  // within a bucket).
  const std::vector<Part>& Parts();

  // One run's lines per family (exposed for tests).
  static RunLines Render(const TrackedRun& run, std::size_t reason_max_bytes);

 private:
  struct Bucket {
    std::map<std::string, RunLines> runs;
    std::array<Part, kFamilies> text;
    bool dirty = true;
  };
  Bucket& BucketOf(const std::string& run_id);

  std::size_t reason_max_bytes_;
  std::array<Part, kFamilies> headers_;  // HELP and TYPE lines
  std::vector<Bucket> buckets_;
  std::vector<Part> parts_;
  bool dirty_ = true;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
