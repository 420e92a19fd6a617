#include "exporter/state/run_tracker.h"

#include <algorithm>
#include <tuple>

namespace pe {
namespace {

void Latest(std::optional<double>* acc, const std::optional<double>& t) {
  if (t && (!*acc || *t > **acc)) *acc = t;
}

// The start of a terminal run's recent window when ended_at is missing.
std::optional<double> FallbackEnd(const RunRow& row) {
  if (row.ended_at) return row.ended_at;
  if (row.started_at) return row.started_at;
  return row.created_at;
}

// The projects with any non-zero count, by name.
template <typename Counts>
std::map<std::string, Counts> NonZeroByProject(
    const std::vector<std::string>& projects,
    const std::vector<Counts>& counts) {
  std::map<std::string, Counts> out;
  for (std::size_t i = 0; i < projects.size(); ++i) {
    bool any = false;
    for (auto n : counts[i]) any = any || n != 0;
    if (any) out.emplace(projects[i], counts[i]);
  }
  return out;
}

}  // namespace

void TrackedRow::Assign(const RunRow& row) {
  labels_.clear();
  labels_.reserve(row.project.size() + row.phase.size() +
                  row.workstream.size());
  labels_.append(row.project).append(row.phase).append(row.workstream);
  labels_.shrink_to_fit();
  project_bytes_ = static_cast<uint32_t>(row.project.size());
  phase_bytes_ = static_cast<uint32_t>(row.phase.size());
  state = row.state;
  created_at = row.created_at;
  started_at = row.started_at;
  ended_at = row.ended_at;
}

bool TrackedRow::Same(const RunRow& row) const {
  return project() == row.project && phase() == row.phase &&
         workstream() == row.workstream && state == row.state &&
         created_at == row.created_at && started_at == row.started_at &&
         ended_at == row.ended_at;
}

std::optional<double> TrackedRun::LastProgress() const {
  std::optional<double> t = row.created_at;
  Latest(&t, row.started_at);
  Latest(&t, steps.last_activity);
  Latest(&t, last_event);
  return t;
}

uint32_t RunTracker::InternProject(std::string_view project) {
  auto it = project_index_.find(project);
  if (it != project_index_.end()) return it->second;
  const auto index = static_cast<uint32_t>(projects_.size());
  projects_.emplace_back(project);
  selected_.push_back(SelectsProject(project));
  counts_.emplace_back();
  tracked_steps_.emplace_back();
  project_index_.emplace(project, index);
  return index;
}

void RunTracker::Count(uint32_t project, RunState state, int delta) {
  counts_[project][static_cast<std::size_t>(state)] += delta;
}

bool RunTracker::Trackable(const RunRow& row,
                           const std::optional<double>& window_start,
                           double now) const {
  if (row.state == RunState::kPending || row.state == RunState::kRunning) {
    return true;
  }
  if (!IsTerminal(row.state) || !window_start) return false;
  return now - *window_start <= options_.recent_window_seconds;
}

void RunTracker::CountSteps(const TrackedRun& run, int sign) {
  StepCounts& counts = tracked_steps_[InternProject(run.row.project())];
  for (std::size_t s = 0; s < counts.size(); ++s) {
    counts[s] += sign * run.steps.counts[s];
  }
}

std::size_t RunTracker::BucketOf(std::string_view run_id) {
  return std::hash<std::string_view>{}(run_id) % kBuckets;
}

const TrackedRun* RunTracker::FindTracked(std::string_view run_id) const {
  auto it = tracked_.find(KeyOf(run_id));
  return it == tracked_.end() ? nullptr : &it->second;
}

bool RunTracker::BeforeEveryWindow(double window_start,
                                   std::string_view run_id) const {
  return !by_window_start_.empty() &&
         std::make_pair(window_start, run_id) < *by_window_start_.begin();
}

bool RunTracker::MakeRoomFor(const RunRow& row,
                             const std::optional<double>& window_start) {
  if (by_window_start_.empty()) return !window_start;
  if (window_start && BeforeEveryWindow(*window_start, row.run_id)) {
    return false;
  }
  // The view dies with the entry.
  Untrack(std::string(by_window_start_.begin()->second));
  ++changes_.dropped;
  return true;
}

bool RunTracker::Track(const RunRow& row, std::optional<double> window_start) {
  const KeyView key = KeyOf(row.run_id);
  auto it = tracked_.lower_bound(key);
  bool inserted = it == tracked_.end() || KeyLess{}(key, it->first);
  if (inserted && tracked_.size() >= options_.max_tracked) {
    // The same runs as tracking all and dropping the excess after, and the
    // same count of drops, at the cost of one run a time: a full read of a
    // database with more runs to track than the cap never holds them all.
    if (!MakeRoomFor(row, window_start)) {
      ++changes_.dropped;
      return false;
    }
    it = tracked_.lower_bound(key);  // the untracked entry may have been it
  }
  if (inserted) {
    it = tracked_.emplace_hint(it, Key{key.bucket, row.run_id}, TrackedRun{});
  }
  TrackedRun& t = it->second;
  if (!inserted && t.row.Same(row) && t.window_start == window_start) {
    return true;
  }
  const std::string_view id = it->first.id;  // lives as long as the entry
  if (t.window_start) by_window_start_.erase({*t.window_start, id});
  if (!inserted) CountSteps(t, -1);  // the project may change
  t.row.Assign(row);
  CountSteps(t, +1);
  t.window_start = window_start;
  if (window_start) by_window_start_.emplace(*window_start, id);
  MarkChanged(row.run_id);
  return true;
}

void RunTracker::Untrack(const std::string& run_id) {
  auto it = tracked_.find(KeyOf(run_id));
  if (it == tracked_.end()) return;
  if (it->second.window_start) {
    by_window_start_.erase({*it->second.window_start, run_id});
  }
  CountSteps(it->second, -1);
  tracked_.erase(it);
  MarkRemoved(run_id);
}

void RunTracker::MarkChanged(const std::string& run_id) {
  if (changes_.all) return;
  changes_.changed.insert(run_id);
  changes_.removed.erase(run_id);
}

void RunTracker::MarkRemoved(const std::string& run_id) {
  if (changes_.all) return;
  changes_.changed.erase(run_id);
  changes_.removed.insert(run_id);
}

void RunTracker::NoteSuccess(const RunRow& row) {
  if (row.state != RunState::kSucceeded || !row.ended_at) return;
  NoteSuccess(row.project, row.phase, *row.ended_at);
}

void RunTracker::NoteSuccess(std::string_view project, std::string_view phase,
                             double ended) {
  // Found without building the key: this runs for most rows of a full read.
  const std::pair<std::string_view, std::string_view> key(project, phase);
  auto it = last_success_.find(key);
  if (it == last_success_.end()) {
    it = last_success_
             .emplace(std::make_pair(std::string(project), std::string(phase)),
                      0.0)
             .first;
  }
  it->second = std::max(it->second, ended);
}

void RunTracker::Finish(const RunRow& row) {
  FinishedRun f{row.project, row.state, std::nullopt};
  const auto& begin = row.started_at ? row.started_at : row.created_at;
  if (row.ended_at && begin && *row.ended_at >= *begin) {
    f.duration_seconds = *row.ended_at - *begin;
  }
  changes_.finished.push_back(std::move(f));
}

void RunTracker::Upsert(const RunRow& row, double now,
                        bool count_new_terminal) {
  auto [known, inserted] = known_.TryEmplace(row.run_id);
  Apply(*known, inserted, row, now, count_new_terminal);
}

void RunTracker::Apply(Known& known, bool is_new, const RunRow& row, double now,
                       bool count_new_terminal) {
  const uint32_t project = InternProject(row.project);
  bool became_terminal;
  if (is_new) {
    known.generation = generation_;
    became_terminal = IsTerminal(row.state) && count_new_terminal;
  } else {
    became_terminal = IsTerminal(row.state) && !IsTerminal(known.state);
    Count(known.project, known.state, -1);
  }
  known.project = project;
  known.state = row.state;
  Count(project, row.state, +1);
  if (became_terminal) Finish(row);
  NoteSuccess(row);

  // The window of a terminal run starts at its end; a run seen turning
  // terminal without ended_at starts it now.
  std::optional<double> window_start;
  if (IsTerminal(row.state)) {
    const TrackedRun* t = known.tracked ? FindTracked(row.run_id) : nullptr;
    if (row.ended_at) {
      window_start = row.ended_at;
    } else if (t != nullptr && t->window_start) {
      window_start = t->window_start;
    } else {
      window_start =
          became_terminal ? std::optional<double>(now) : FallbackEnd(row);
    }
  }
  if (selected_[project] && Trackable(row, window_start, now)) {
    known.tracked = Track(row, window_start) || known.tracked;
  } else if (known.tracked) {
    Untrack(row.run_id);
    known.tracked = false;
  }
}

void RunTracker::SetProjectSelection(ProjectSelection projects) {
  options_.projects = std::move(projects);
  for (std::size_t i = 0; i < projects_.size(); ++i) {
    selected_[i] = SelectsProject(projects_[i]);
  }
  std::vector<std::string> left_out;
  for (const auto& [key, run] : tracked_) {
    if (!SelectsProject(run.row.project())) left_out.push_back(key.id);
  }
  for (const std::string& id : left_out) Untrack(id);
}

void RunTracker::BeginReconcile(bool count_transitions,
                                std::size_t expected_rows) {
  ++generation_;
  count_transitions_ = count_transitions;
  if (tracked_.empty()) {
    changes_.all = true;
    changes_.changed.clear();
    changes_.removed.clear();
  }
  known_.Reserve(expected_rows);
}

bool RunTracker::ReconcileRow(const RunRowSource& row, double now) {
  auto [known_run, inserted] = known_.TryEmplace(row.run_id());
  Known& known = *known_run;
  const RunState state = row.state();
  // What Apply does for a run it neither tracks nor counts finished, with
  // no RunRow: a terminal run, not tracked, not turned terminal since the
  // last read, whose window (its end) lies before the recent window or,
  // with max_tracked reached, before every tracked one's (MakeRoomFor).
  const bool finishes =
      count_transitions_ && !inserted && !IsTerminal(known.state);
  std::optional<double> ended;
  if (IsTerminal(state) && !known.tracked && !finishes) ended = row.ended_at();
  const bool before_window =
      ended && now - *ended > options_.recent_window_seconds;
  const bool dropped =
      ended && !before_window && tracked_.size() >= options_.max_tracked &&
      BeforeEveryWindow(*ended, row.run_id()) && SelectsProject(row.project());
  if (before_window || dropped) {
    if (dropped) ++changes_.dropped;
    const uint32_t project = InternProject(row.project());
    if (!inserted) Count(known.project, known.state, -1);
    known.project = project;
    known.state = state;
    Count(project, state, +1);
    if (state == RunState::kSucceeded) {
      NoteSuccess(row.project(), row.phase(), *ended);
    }
    known.generation = generation_;
    return false;
  }

  row.Fill(&scratch_);
  if (!count_transitions_ && !inserted) {
    // Take the new state as given, so that Apply sees no transition.
    const uint32_t project = InternProject(scratch_.project);
    Count(known.project, known.state, -1);
    known.project = project;
    known.state = scratch_.state;
    Count(project, scratch_.state, +1);
  }
  Apply(known, inserted, scratch_, now, /*count_new_terminal=*/false);
  known.generation = generation_;
  return known.tracked;  // as Apply just left it
}

void RunTracker::EndReconcile() {
  // known_ holds no ids: the tracked runs that no row named are found by
  // theirs, then every run that no row named is forgotten in one pass.
  std::vector<std::string> gone;
  for (const auto& [key, run] : tracked_) {
    const Known* known = known_.Find(key.id);
    if (known == nullptr || known->generation != generation_) {
      gone.push_back(key.id);
    }
  }
  for (const auto& id : gone) Untrack(id);
  known_.EraseIf([this](const Known& known) {
    if (known.generation == generation_) return false;
    Count(known.project, known.state, -1);
    return true;
  });
}

void RunTracker::Remove(const std::string& run_id) {
  if (const Known* known = known_.Find(run_id)) {
    Count(known->project, known->state, -1);
    known_.Erase(run_id);
  }
  Untrack(run_id);
}

void RunTracker::SetSteps(const std::string& run_id, StepSummary steps) {
  TrackedRun* run = MutableTracked(run_id);
  if (run == nullptr || run->steps == steps) return;
  CountSteps(*run, -1);
  run->steps = std::move(steps);
  CountSteps(*run, +1);
  MarkChanged(run_id);
}

void RunTracker::NoteEvent(const std::string& run_id, double timestamp) {
  TrackedRun* run = MutableTracked(run_id);
  if (run == nullptr) return;
  auto& last = run->last_event;
  if (last && *last >= timestamp) return;
  last = timestamp;
  MarkChanged(run_id);
}

void RunTracker::Expire(double now) {
  // Only terminal runs have a window start (see Upsert).
  while (!by_window_start_.empty() && now - by_window_start_.begin()->first >
                                          options_.recent_window_seconds) {
    const std::string id(by_window_start_.begin()->second);
    Untrack(id);
  }
  if (tracked_.size() <= options_.max_tracked) return;

  // Oldest ended runs first, then the oldest-created active runs.
  using Key = std::tuple<int, double, std::string>;
  std::vector<Key> order;
  order.reserve(tracked_.size());
  for (const auto& [key, t] : tracked_) {
    const bool active = !IsTerminal(t.row.state);
    const double age =
        active ? t.row.created_at.value_or(0) : t.window_start.value_or(0);
    order.emplace_back(active ? 1 : 0, age, key.id);
  }
  const std::size_t excess = tracked_.size() - options_.max_tracked;
  std::partial_sort(order.begin(), order.begin() + excess, order.end());
  for (std::size_t i = 0; i < excess; ++i) {
    Untrack(std::get<2>(order[i]));
    ++changes_.dropped;
  }
}

std::map<std::string, RunTracker::StateCounts> RunTracker::CountsByProject()
    const {
  return NonZeroByProject(projects_, counts_);
}

std::map<std::string, RunTracker::StepCounts>
RunTracker::TrackedStepsByProject() const {
  return NonZeroByProject(projects_, tracked_steps_);
}

RunTracker::Changes RunTracker::TakeChanges() {
  Changes out = std::move(changes_);
  changes_ = Changes{};
  return out;
}

}  // namespace pe
