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

#include "exporter/state/run_model.h"
#include "exporter/state/run_tracker.h"

namespace pe {

// Condition of the state database, as last polled.
enum class StateCondition { kOk, kMissing, kLocked, kCorrupt, kSchema, kError };
std::string_view Name(StateCondition condition);

// Every family that is not per-run: aggregates, counters, histograms and the
// exporter's health, kept in a prometheus-cpp registry (small and bounded:
// label sets are projects, phases, states and capped event types). Updated by
// the poller thread only; Serialize() renders the text for a snapshot.
class StateMetrics {
 public:
  explicit StateMetrics(std::size_t max_event_types);
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

  std::string Serialize() const;
  prometheus::Registry& registry() { return *registry_; }

 private:
  void UpdateTrackedSteps(const RunTracker& tracker);

  std::shared_ptr<prometheus::Registry> registry_;
  std::size_t max_event_types_;

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

  std::set<std::string> event_types_;  // distinct types with own label
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*>
      last_success_gauges_;
  std::map<std::string, std::vector<prometheus::Gauge*>> run_gauges_;
  std::map<std::string, std::array<prometheus::Gauge*, kStepStates.size()>>
      step_gauges_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_STATE_METRICS_H_
