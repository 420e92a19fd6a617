#include "exporter/metrics/state_metrics.h"

#include <algorithm>
#include <utility>

#include "exporter/common/build_info.h"
#include "exporter/common/label_value.h"
#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/registry_text.h"
#include "exporter/state/parse_errors.h"

namespace pe {
namespace {

constexpr std::size_t kMaxLabelBytes = 128;
constexpr std::array<StateCondition, 6> kConditions = {
    StateCondition::kOk,      StateCondition::kMissing, StateCondition::kLocked,
    StateCondition::kCorrupt, StateCondition::kSchema,  StateCondition::kError};

std::string_view KnownSeverity(std::string_view severity) {
  for (std::string_view s : {"debug", "info", "warning", "error", "critical"}) {
    if (severity == s) return s;
  }
  return "other";
}

// Removes the series of the projects no longer in `present`.
template <typename Gauges, typename Present>
void RemoveGone(prometheus::Family<prometheus::Gauge>& family,
                std::map<std::string, Gauges>& gauges, const Present& present) {
  for (auto it = gauges.begin(); it != gauges.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    for (prometheus::Gauge* g : it->second) family.Remove(g);
    it = gauges.erase(it);
  }
}

}  // namespace

std::string_view Name(StateCondition condition) {
  switch (condition) {
    case StateCondition::kOk:
      return "ok";
    case StateCondition::kMissing:
      return "missing";
    case StateCondition::kLocked:
      return "locked";
    case StateCondition::kCorrupt:
      return "corrupt";
    case StateCondition::kSchema:
      return "schema";
    case StateCondition::kError:
      return "error";
  }
  return "error";
}

StateMetrics::StateMetrics(std::size_t max_event_types,
                           metrics::FamilySelection families)
    : data_(std::make_shared<prometheus::Registry>()),
      health_(std::make_shared<prometheus::Registry>()),
      max_event_types_(max_event_types),
      families_(std::move(families)),
      runs_(metrics::RegisterFamily(prometheus::BuildGauge(), metrics::kRuns,
                                    *data_)),
      tracked_steps_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                             metrics::kTrackedSteps, *data_)),
      runs_finished_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                             metrics::kRunsFinished, *data_)),
      run_duration_(metrics::RegisterFamily(prometheus::BuildHistogram(),
                                            metrics::kRunDuration, *data_)),
      last_success_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                            metrics::kLastSuccess, *data_)),
      events_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                      metrics::kEvents, *data_)),
      build_info_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                          metrics::kBuildInfo, *health_)),
      state_up_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                        metrics::kStateUp, *health_)),
      state_condition_(metrics::RegisterFamily(
          prometheus::BuildGauge(), metrics::kStateCondition, *health_)),
      last_poll_success_(metrics::RegisterFamily(
          prometheus::BuildGauge(), metrics::kLastPollSuccess, *health_)),
      poll_duration_(metrics::RegisterFamily(prometheus::BuildHistogram(),
                                             metrics::kPollDuration, *health_)),
      poll_errors_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                           metrics::kPollErrors, *health_)),
      polls_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                     metrics::kPolls, *health_)),
      resyncs_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                       metrics::kResyncs, *health_)),
      tracked_runs_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                            metrics::kTrackedRuns, *health_)),
      tracked_dropped_(metrics::RegisterFamily(
          prometheus::BuildCounter(), metrics::kTrackedRunsDropped, *health_)),
      parse_errors_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                            metrics::kParseErrors, *health_)),
      known_runs_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                          metrics::kKnownRuns, *health_)),
      excluded_runs_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                             metrics::kExcludedRuns, *data_)),
      family_hidden_(metrics::RegisterFamily(
          prometheus::BuildGauge(), metrics::kFamilyHidden, *health_)) {
  for (const metrics::Def* def : families_.Hidden()) {
    family_hidden_.Add({{"family", std::string(def->name)}}).Set(1);
  }
  build_info_.Add({{"version", kVersion}, {"revision", kRevision}}).Set(1);
  state_up_.Add({}).Set(0);
  for (StateCondition c : kConditions) {
    state_condition_.Add({{"condition", std::string(Name(c))}}).Set(0);
  }
  last_poll_success_.Add({}).Set(0);
  poll_duration_.Add({}, metrics::PollDurationBuckets());
  // Counters with known label values start at 0, so that dashboards show 0
  // rather than no data, and increase() sees the first error.
  for (const char* result : {"changed", "unchanged", "error"}) {
    polls_.Add({{"result", result}});
  }
  for (StateCondition c : kConditions) {
    if (c != StateCondition::kOk) {
      poll_errors_.Add({{"condition", std::string(Name(c))}});
    }
  }
  for (const char* reason :
       {"startup", "interval", "mismatch", "reopen", "reload"}) {
    resyncs_.Add({{"reason", reason}});
  }
  for (std::string_view field : kParsedFields) {
    parse_errors_.Add({{"field", std::string(field)}});
  }
  tracked_runs_.Add({}).Set(0);
  tracked_dropped_.Add({});
  known_runs_.Add({}).Set(0);
}

void StateMetrics::UpdateRuns(const RunTracker& tracker) {
  data_text_ = nullptr;
  const auto counts = tracker.CountsByProject();
  // Projects whose runs are all gone lose their series.
  RemoveGone(runs_, run_gauges_, counts);
  for (const auto& [project, by_state] : counts) {
    auto& gauges = run_gauges_[project];
    const std::string label = SanitizeLabelValue(project, kMaxLabelBytes);
    if (gauges.empty()) {
      for (RunState s : kRunStates) {
        gauges.push_back(
            &runs_.Add({{"project", label}, {"state", std::string(Name(s))}}));
      }
    }
    for (std::size_t s = 0; s < kRunStates.size(); ++s) {
      gauges[s]->Set(static_cast<double>(by_state[s]));
    }
    // "unknown" is shown only while some run has a state outside the contract.
    const auto unknown = by_state[static_cast<std::size_t>(RunState::kUnknown)];
    const bool has_unknown_gauge = gauges.size() > kRunStates.size();
    if (unknown != 0) {
      if (!has_unknown_gauge) {
        gauges.push_back(
            &runs_.Add({{"project", label}, {"state", "unknown"}}));
      }
      gauges.back()->Set(static_cast<double>(unknown));
    } else if (has_unknown_gauge) {
      runs_.Remove(gauges.back());
      gauges.pop_back();
    }
  }
  UpdateExcluded(tracker, counts);
  UpdateTrackedSteps(tracker);
  for (const auto& [key, ended] : tracker.last_success()) {
    auto& gauge = last_success_gauges_[key];
    if (!gauge) {
      gauge = &last_success_.Add(
          {{"project", SanitizeLabelValue(key.first, kMaxLabelBytes)},
           {"phase", SanitizeLabelValue(key.second, kMaxLabelBytes)}});
    }
    gauge->Set(ended);
  }
  tracked_runs_.Add({}).Set(static_cast<double>(tracker.tracked_count()));
  known_runs_.Add({}).Set(static_cast<double>(tracker.known_runs()));
}

void StateMetrics::UpdateExcluded(
    const RunTracker& tracker,
    const std::map<std::string, RunTracker::StateCounts>& counts) {
  std::map<std::string, int64_t> excluded;
  if (!tracker.selects_all_projects()) {
    for (const auto& [project, by_state] : counts) {
      if (tracker.SelectsProject(project)) continue;
      int64_t runs = 0;
      for (int64_t n : by_state) runs += n;
      excluded.emplace(project, runs);
    }
  }
  RemoveGone(excluded_runs_, excluded_gauges_, excluded);
  for (const auto& [project, runs] : excluded) {
    auto& gauge = excluded_gauges_[project];
    if (gauge[0] == nullptr) {
      gauge[0] = &excluded_runs_.Add(
          {{"project", SanitizeLabelValue(project, kMaxLabelBytes)}});
    }
    gauge[0]->Set(static_cast<double>(runs));
  }
}

void StateMetrics::UpdateTrackedSteps(const RunTracker& tracker) {
  const auto steps = tracker.TrackedStepsByProject();
  RemoveGone(tracked_steps_, step_gauges_, steps);
  for (const auto& [project, by_state] : steps) {
    auto& gauges = step_gauges_[project];
    if (gauges[0] == nullptr) {
      const std::string label = SanitizeLabelValue(project, kMaxLabelBytes);
      for (std::size_t s = 0; s < kStepStates.size(); ++s) {
        gauges[s] = &tracked_steps_.Add(
            {{"project", label}, {"state", std::string(Name(kStepStates[s]))}});
      }
    }
    for (std::size_t s = 0; s < kStepStates.size(); ++s) {
      gauges[s]->Set(static_cast<double>(by_state[s]));
    }
  }
}

void StateMetrics::RecordFinished(const std::vector<FinishedRun>& finished) {
  if (!finished.empty()) data_text_ = nullptr;
  for (const FinishedRun& f : finished) {
    const std::string project = SanitizeLabelValue(f.project, kMaxLabelBytes);
    runs_finished_
        .Add({{"project", project}, {"state", std::string(Name(f.state))}})
        .Increment();
    if (f.duration_seconds) {
      run_duration_.Add({{"project", project}}, metrics::RunDurationBuckets())
          .Observe(*f.duration_seconds);
    }
  }
}

void StateMetrics::RecordDropped(uint64_t dropped) {
  if (dropped > 0) {
    tracked_dropped_.Add({}).Increment(static_cast<double>(dropped));
  }
}

void StateMetrics::RecordEvent(const std::string& event_type,
                               const std::string& severity) {
  data_text_ = nullptr;
  std::string type = SanitizeLabelValue(event_type, 64);
  if (!event_types_.count(type)) {
    if (event_types_.size() >= max_event_types_ || type.empty()) {
      type = "other";
    } else {
      event_types_.insert(type);
    }
  }
  events_
      .Add({{"event_type", type},
            {"severity", std::string(KnownSeverity(severity))}})
      .Increment();
}

void StateMetrics::RecordParseErrors(
    const std::map<std::string, double, std::less<>>& totals) {
  for (const auto& [field, total] : totals) {
    auto& counter = parse_errors_.Add({{"field", field}});
    if (total > counter.Value()) counter.Increment(total - counter.Value());
  }
}

void StateMetrics::RecordResync(std::string_view reason) {
  resyncs_.Add({{"reason", std::string(reason)}}).Increment();
}

void StateMetrics::RecordPoll(std::string_view result, StateCondition condition,
                              double duration_seconds, double now) {
  polls_.Add({{"result", std::string(result)}}).Increment();
  poll_duration_.Add({}, metrics::PollDurationBuckets())
      .Observe(duration_seconds);
  const bool ok = condition == StateCondition::kOk;
  // The success time first: a scrape serializes state_up before it (the
  // declaration order), so one that sees state_up back at 1 also sees the
  // new success time, never "readable but stale" (PipelineStateStale).
  if (ok) {
    last_poll_success_.Add({}).Set(now);
  } else {
    poll_errors_.Add({{"condition", std::string(Name(condition))}}).Increment();
  }
  state_up_.Add({}).Set(ok ? 1 : 0);
  for (StateCondition c : kConditions) {
    state_condition_.Add({{"condition", std::string(Name(c))}})
        .Set(c == condition ? 1 : 0);
  }
}

std::array<Snapshot::Part, 2> StateMetrics::Texts() {
  if (!data_text_) {
    data_text_ =
        MakePart(metrics::SerializeInDeclarationOrder(*data_, families_));
  }
  return {data_text_,
          MakePart(metrics::SerializeInDeclarationOrder(*health_, families_))};
}

std::string StateMetrics::Serialize() {
  const auto texts = Texts();
  return texts[0]->text() + texts[1]->text();
}

}  // namespace pe
