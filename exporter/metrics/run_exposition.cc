#include "exporter/metrics/run_exposition.h"

#include <numeric>
#include <set>
#include <system_error>
#include <thread>

#include "exporter/common/label_value.h"
#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/sample_writer.h"

namespace pe {
namespace {

using metrics::AppendSample;

constexpr std::size_t kMaxIdBytes = 128;   // run ids and other identifiers
constexpr std::size_t kMaxStepBytes = 64;  // step names

}  // namespace

const metrics::Def& RunExposition::DefOf(Family family) {
  switch (family) {
    case kInfo:
      return metrics::kRunInfo;
    case kStatus:
      return metrics::kRunStatus;
    case kSteps:
      return metrics::kRunSteps;
    case kCreated:
      return metrics::kRunCreated;
    case kStart:
      return metrics::kRunStart;
    case kEnd:
      return metrics::kRunEnd;
    case kLastProgress:
      return metrics::kRunLastProgress;
    case kFailureInfo:
      return metrics::kRunFailureInfo;
  }
  return metrics::kRunInfo;  // not reached: every family is named above
}

RunExposition::RunLines RunExposition::Render(std::string_view run_id,
                                              const TrackedRun& run,
                                              std::size_t reason_max_bytes) {
  RunLines lines;
  RenderInto(run_id, run, reason_max_bytes, &lines);
  return lines;
}

void RunExposition::RenderInto(std::string_view run_id, const TrackedRun& run,
                               std::size_t reason_max_bytes, RunLines* out,
                               const FamilyMask& rendered) {
  // A sample of a family goes to that family's lines, under its name.
  const auto Add = [out, &rendered](Family family, metrics::LabelPairs labels,
                                    double value) {
    if (!rendered[family]) return;
    AppendSample(&(*out)[family], DefOf(family).name, labels, value);
  };
  const TrackedRow& r = run.row;
  const std::string id = SanitizeLabelValue(run_id, kMaxIdBytes);
  const std::string project = SanitizeLabelValue(r.project(), kMaxIdBytes);
  const std::string phase = SanitizeLabelValue(r.phase(), kMaxIdBytes);
  const std::string workstream =
      SanitizeLabelValue(r.workstream(), kMaxIdBytes);
  const std::string_view state = Name(r.state);

  Add(kInfo,
      {{"run_id", id},
       {"project", project},
       {"phase", phase},
       {"workstream", workstream}},
      1);
  // Only pipeline_run_info and pipeline_run_failure_info carry project and
  // phase: the other families are joined to them on run_id (kube-state-
  // metrics' info pattern), which halves the bytes of a tracked run.
  Add(kStatus, {{"run_id", id}, {"state", state}}, 1);
  const metrics::LabelPairs base = {{"run_id", id}};
  // What describes a run in progress is exposed while it is active; an
  // ended run keeps its state, start, end and failure (its steps count in
  // pipeline_tracked_steps).
  const bool active = !IsTerminal(r.state);
  if (active) {
    for (StepState s : kStepStates) {
      if (run.steps.count(s) == 0) continue;
      Add(kSteps, {{"run_id", id}, {"state", Name(s)}}, run.steps.count(s));
    }
    if (r.created_at) {
      Add(kCreated, base, *r.created_at);
    }
  }
  if (r.started_at) {
    Add(kStart, base, *r.started_at);
  }
  if (r.ended_at) {
    Add(kEnd, base, *r.ended_at);
  }
  if (auto progress = run.LastProgress(); progress && active) {
    Add(kLastProgress, base, *progress);
  }
  if (HasFailure(r.state)) {
    const StepFailure* failure = run.steps.failure.get();
    const std::string step =
        SanitizeLabelValue(failure ? failure->step : "", kMaxStepBytes);
    const std::string reason =
        SanitizeReason(failure ? failure->reason : "", reason_max_bytes);
    Add(kFailureInfo,
        {{"run_id", id},
         {"project", project},
         {"phase", phase},
         {"state", state},
         {"step", step},
         {"reason", reason}},
        1);
  }
}

RunExposition::RunExposition(std::size_t reason_max_bytes,
                             const metrics::FamilySelection& families)
    : reason_max_bytes_(reason_max_bytes),
      any_rendered_(false),
      buckets_(kBuckets) {
  for (std::size_t f = 0; f < kFamilies; ++f) {
    const metrics::Def& def = DefOf(static_cast<Family>(f));
    rendered_[f] = families.Exposes(def);
    any_rendered_ = any_rendered_ || rendered_[f];
    headers_[f] = MakePart(metrics::Header(def));
  }
}

void RunExposition::Apply(const RunTracker::Changes& changes,
                          const RunTracker& tracker) {
  // A bucket renders from the tracker's runs, so a run that left and one
  // that changed both just make their bucket dirty.
  std::vector<std::size_t> dirty;
  if (changes.all) {
    dirty.resize(kBuckets);
    std::iota(dirty.begin(), dirty.end(), std::size_t{0});
  } else {
    std::set<std::size_t> buckets;
    for (const auto* ids : {&changes.removed, &changes.changed}) {
      for (const auto& id : *ids) buckets.insert(RunTracker::BucketOf(id));
    }
    dirty.assign(buckets.begin(), buckets.end());
  }
  RenderBuckets(dirty, tracker);
  dirty_ = dirty_ || !dirty.empty();
}

void RunExposition::RenderBuckets(const std::vector<std::size_t>& dirty,
                                  const RunTracker& tracker) {
  // A start-up or a resync renders every bucket: the second half on a
  // second thread (each bucket is written by one thread only, the tracker
  // is only read). A usual poll renders a few buckets on this one.
  const std::size_t half = dirty.size() / 2;
  if (half < kParallelBuckets) {
    for (std::size_t b : dirty) RenderBucket(b, tracker);
    return;
  }
  const auto render = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      RenderBucket(dirty[i], tracker);
    }
  };
  std::thread second;
  try {
    second = std::thread(render, half, dirty.size());
  } catch (const std::system_error&) {  // no thread to be had: this one
    render(0, dirty.size());
    return;
  }
  render(0, half);
  second.join();
}

void RunExposition::RenderBucket(std::size_t b, const RunTracker& tracker) {
  // Every run's lines appended to the bucket's strings, which are then cut
  // to exactly their size: the buckets are most of the resident text, and
  // growing them by append leaves up to half of each allocation unused.
  RunLines text;
  if (!any_rendered_) return;
  tracker.ForEachTrackedInBucket(
      b, [&](std::string_view id, const TrackedRun& run) {
        RenderInto(id, run, reason_max_bytes_, &text, rendered_);
      });
  for (std::size_t f = 0; f < kFamilies; ++f) {
    // A family whose lines did not change keeps its part, and with it the
    // part's compressed form.
    Part& part = buckets_[b][f];
    if (part && part->text() == text[f]) continue;
    text[f].shrink_to_fit();
    part = MakePart(std::move(text[f]));
  }
}

const std::vector<RunExposition::Part>& RunExposition::Parts() {
  if (!dirty_) return parts_;
  parts_.clear();
  parts_.reserve(kFamilies * (kBuckets + 1));
  for (std::size_t f = 0; f < kFamilies; ++f) {
    if (!rendered_[f]) continue;
    parts_.push_back(headers_[f]);
    for (const Bucket& bucket : buckets_) {
      if (bucket[f] && !bucket[f]->text().empty()) parts_.push_back(bucket[f]);
    }
  }
  dirty_ = false;
  return parts_;
}

}  // namespace pe
