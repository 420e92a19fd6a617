#ifndef PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
#define PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metrics/family_selection.h"
#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/snapshot.h"
#include "exporter/state/run_tracker.h"

namespace pe {

// The per-run families, pre-rendered (kube-state-metrics' design). Runs are
// spread over the tracker's fixed buckets (RunTracker::BucketOf), and each
// bucket keeps its text per family. A bucket is rendered again only when one of
// its runs changed, so a poll where 1% of the runs changed renders about 1% of
// the text, and publishing shares every unchanged bucket with the previous
// snapshot. A run that stops being tracked loses every line at once, so no
// series lingers.
class RunExposition {
 public:
  // The per-run families, in the order of the body; RunLines is indexed by
  // them, and DefOf ties each to its declaration in metric_defs.
  enum Family : std::size_t {
    kInfo,
    kStatus,
    kSteps,
    kCreated,
    kStart,
    kEnd,
    kLastProgress,
    kFailureInfo,
  };
  static constexpr std::size_t kFamilies = kFailureInfo + 1;
  static const metrics::Def& DefOf(Family family);
  static constexpr std::size_t kBuckets = RunTracker::kBuckets;
  using RunLines = std::array<std::string, kFamilies>;
  // Which families are rendered, by Family.
  using FamilyMask = std::array<bool, kFamilies>;
  static constexpr FamilyMask kEveryFamily = {true, true, true, true,
                                              true, true, true, true};
  using Part = Snapshot::Part;

  // The families that `families` does not expose are not rendered: neither
  // their header nor a line of theirs is ever written.
  explicit RunExposition(std::size_t reason_max_bytes,
                         const metrics::FamilySelection& families = {});

  // Renders the buckets of the runs that changed or left.
  void Apply(const RunTracker::Changes& changes, const RunTracker& tracker);
  // HELP/TYPE and samples of every per-run family, as parts to concatenate:
  // for each family its header, then each bucket's lines (runs in id order
  // within a bucket).
  const std::vector<Part>& Parts();

  // One run's lines per family (exposed for tests).
  static RunLines Render(std::string_view run_id, const TrackedRun& run,
                         std::size_t reason_max_bytes);
  // The same, appended to *lines, for the families in `rendered` only.
  static void RenderInto(std::string_view run_id, const TrackedRun& run,
                         std::size_t reason_max_bytes, RunLines* lines,
                         const FamilyMask& rendered = kEveryFamily);

 private:
  // A bucket's text per family; its runs are the tracker's.
  using Bucket = std::array<Part, kFamilies>;
  // Below this many buckets on each side, a second thread costs more than
  // it saves.
  static constexpr std::size_t kParallelBuckets = 64;
  void RenderBuckets(const std::vector<std::size_t>& dirty,
                     const RunTracker& tracker);
  void RenderBucket(std::size_t b, const RunTracker& tracker);

  std::size_t reason_max_bytes_;
  FamilyMask rendered_;
  bool any_rendered_;
  std::array<Part, kFamilies> headers_;  // HELP and TYPE lines
  std::vector<Bucket> buckets_;
  std::vector<Part> parts_;
  bool dirty_ = true;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_RUN_EXPOSITION_H_
