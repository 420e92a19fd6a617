#ifndef PIPELINE_EXPORTER_METRICS_STATE_METRICS_H_
#define PIPELINE_EXPORTER_METRICS_STATE_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "exporter/metrics/family_selection.h"
#include "exporter/metrics/snapshot.h"
#include "exporter/state/run_model.h"
#include "exporter/state/run_tracker.h"

namespace pe {

// Condition of the state database, as last polled.
enum class StateCondition { kOk, kMissing, kLocked, kCorrupt, kSchema, kError };
std::string_view Name(StateCondition condition);

// Every family that is not per-run: aggregates, counters, histograms and the
// exporter's health, kept in prometheus-cpp registries (bounded: label sets
// are projects, phases, states and capped event types). Updated by the
// poller thread only; Texts() renders them for a snapshot.
//
// Two registries, because they change at different rates: the runs' and
// events' families (thousands of series with tens of projects and phases:
// per project and state, per project and phase, a histogram per project)
// change only when the database did, the exporter's own at every poll. The
// first is rendered again only after it changed, so a poll that found
// nothing new costs what the exporter's dozens of series cost.
class StateMetrics {
 public:
  // Families that `families` does not expose are not rendered.
  explicit StateMetrics(std::size_t max_event_types,
                        metrics::FamilySelection families = {});
  StateMetrics(const StateMetrics&) = delete;
  StateMetrics& operator=(const StateMetrics&) = delete;

  void UpdateRuns(const RunTracker& tracker);
  void RecordFinished(const std::vector<FinishedRun>& finished);
  void RecordDropped(uint64_t dropped);
  void RecordEvent(const std::string& event_type, const std::string& severity);
  void RecordParseErrors(
      const std::map<std::string, double, std::less<>>& totals);
  void RecordResync(std::string_view reason);
  void RecordPoll(std::string_view result, StateCondition condition,
                  double duration_seconds, double now);

  // The runs' and events' families, then the exporter's: together every
  // family in declaration order. The first is shared with the previous
  // call's when nothing changed it since.
  std::array<Snapshot::Part, 2> Texts();
  // Both, joined.
  std::string Serialize();

 private:
  void UpdateTrackedSteps(const RunTracker& tracker);
  void UpdateExcluded(
      const RunTracker& tracker,
      const std::map<std::string, RunTracker::StateCounts>& counts);

  std::shared_ptr<prometheus::Registry> data_;    // runs' and events' families
  std::shared_ptr<prometheus::Registry> health_;  // the exporter's own
  Snapshot::Part data_text_;                      // nullptr: changed since
  std::size_t max_event_types_;
  metrics::FamilySelection families_;

  prometheus::Family<prometheus::Gauge>& runs_;
  prometheus::Family<prometheus::Gauge>& tracked_steps_;
  prometheus::Family<prometheus::Counter>& runs_finished_;
  prometheus::Family<prometheus::Histogram>& run_duration_;
  prometheus::Family<prometheus::Gauge>& last_success_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& state_up_;
  prometheus::Family<prometheus::Gauge>& state_condition_;
  prometheus::Family<prometheus::Gauge>& last_poll_success_;
  prometheus::Family<prometheus::Histogram>& poll_duration_;
  prometheus::Family<prometheus::Counter>& poll_errors_;
  prometheus::Family<prometheus::Counter>& polls_;
  prometheus::Family<prometheus::Counter>& resyncs_;
  prometheus::Family<prometheus::Gauge>& tracked_runs_;
  prometheus::Family<prometheus::Counter>& tracked_dropped_;
  prometheus::Family<prometheus::Counter>& parse_errors_;
  prometheus::Family<prometheus::Gauge>& known_runs_;
  prometheus::Family<prometheus::Gauge>& excluded_runs_;
  prometheus::Family<prometheus::Gauge>& family_hidden_;

  std::set<std::string> event_types_;  // distinct types with own label
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*>
      last_success_gauges_;
  std::map<std::string, std::vector<prometheus::Gauge*>> run_gauges_;
  std::map<std::string, std::array<prometheus::Gauge*, 1>> excluded_gauges_;
  std::map<std::string, std::array<prometheus::Gauge*, kStepStates.size()>>
      step_gauges_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_STATE_METRICS_H_
