#ifndef PIPELINE_EXPORTER_STATE_RUN_TRACKER_H_
#define PIPELINE_EXPORTER_STATE_RUN_TRACKER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/common/digest_map.h"
#include "exporter/state/project_selection.h"
#include "exporter/state/run_model.h"

namespace pe {

// A tracked run's row as last read, held compactly (there are 10k to 20k
// of them): without its id, which is the tracker's key, and with project,
// phase and workstream in one allocation instead of three (about 150 bytes
// a run less).
class TrackedRow {
 public:
  TrackedRow() = default;
  explicit TrackedRow(const RunRow& row) { Assign(row); }
  void Assign(const RunRow& row);
  // Whether row holds the same values (its id aside).
  bool Same(const RunRow& row) const;

  std::string_view project() const {
    return std::string_view(labels_).substr(0, project_bytes_);
  }
  std::string_view phase() const {
    return std::string_view(labels_).substr(project_bytes_, phase_bytes_);
  }
  std::string_view workstream() const {
    return std::string_view(labels_).substr(project_bytes_ + phase_bytes_);
  }

  RunState state = RunState::kUnknown;
  std::optional<double> created_at;  // Unix seconds
  std::optional<double> started_at;
  std::optional<double> ended_at;

 private:
  std::string labels_;  // project, phase and workstream, back to back
  uint32_t project_bytes_ = 0;
  uint32_t phase_bytes_ = 0;
};

// A run with per-run series.
struct TrackedRun {
  TrackedRow row;
  StepSummary steps;
  std::optional<double> last_event;  // latest event timestamp of the run
  // When a terminal run's recent window started: its end time, or the time
  // the exporter saw it terminal when ended_at is missing.
  std::optional<double> window_start;

  // Latest of creation, start, step activity and events; nullopt if none.
  std::optional<double> LastProgress() const;
};

// A run seen reaching a terminal state, for the finished counter and the
// duration histogram.
struct FinishedRun {
  std::string project;
  RunState state;
  std::optional<double> duration_seconds;
};

// The in-memory picture of the orchestrator's runs, maintained from what the
// poller reads. Pure logic, no I/O: every rule about which runs are tracked,
// counted and dropped lives here. Not thread-safe (poller thread only).
//
// Tracked runs are the active ones (pending, running) plus terminal ones
// whose window_start lies within recent_window; beyond max_tracked the oldest
// ended runs are dropped first, then the oldest-created active ones. Runs
// of a project that `projects` does not select are never tracked; they are
// counted like any other.
class RunTracker {
 public:
  struct Options {
    double recent_window_seconds = 3600;
    std::size_t max_tracked = 20000;
    ProjectSelection projects;
  };
  explicit RunTracker(Options options) : options_(options) {}

  // Replaces the whole picture with the runs now in the database, streamed:
  // BeginReconcile, ReconcileRow for each row, then EndReconcile, which
  // forgets the runs that no row named. If count_transitions, known runs
  // that became terminal are reported finished (runs never seen before are
  // not, so a start-up or a replaced file causes no burst).
  // expected_rows (e.g. a COUNT(*) of runs) sizes the table of known runs
  // once, instead of growing it row by row. ReconcileRow returns whether
  // the run is tracked now; a run that ended before the recent window and
  // was not tracked is only counted, from the fields that takes (its other
  // timestamps are not even parsed), unless it turned terminal since the
  // last read and counts as finished.
  void BeginReconcile(bool count_transitions, std::size_t expected_rows = 0);
  bool ReconcileRow(const RunRowSource& row, double now);
  void EndReconcile();

  // A run inserted or changed since the last poll. A run seen for the first
  // time already terminal counts as finished when count_new_terminal.
  void Upsert(const RunRow& row, double now, bool count_new_terminal = true);
  // A run no longer in the database.
  void Remove(const std::string& run_id);
  void SetSteps(const std::string& run_id, StepSummary steps);
  void NoteEvent(const std::string& run_id, double timestamp);
  // Drops terminal runs past the recent window, then enforces max_tracked.
  void Expire(double now);
  // Replaces the project selection: the tracked runs of projects it leaves
  // out are untracked at once; runs of projects it brings in are tracked
  // from their next read (the caller re-reads the runs table).
  void SetProjectSelection(ProjectSelection projects);
  bool SelectsProject(std::string_view project) const {
    return options_.projects.Selects(project);
  }
  bool selects_all_projects() const { return options_.projects.all(); }

  bool IsTracked(std::string_view run_id) const {
    return FindTracked(run_id) != nullptr;
  }
  bool IsKnown(const std::string& run_id) const {
    return known_.Find(run_id) != nullptr;
  }
  // The tracked run of that id, or nullptr.
  const TrackedRun* FindTracked(std::string_view run_id) const;
  std::size_t tracked_count() const { return tracked_.size(); }
  // fn(std::string_view id, const TrackedRun&) for every tracked run.
  template <typename Fn>
  void ForEachTracked(Fn&& fn) const {
    for (const auto& [key, run] : tracked_) fn(std::string_view(key.id), run);
  }

  // Tracked runs are kept grouped in kBuckets buckets by a hash of their
  // id, so that the exposition renders a bucket from one range of the map
  // instead of keeping its own set of ids, a copy of every tracked id.
  static constexpr std::size_t kBuckets = 1024;
  static std::size_t BucketOf(std::string_view run_id);
  // fn(std::string_view id, const TrackedRun&) for the tracked runs of
  // bucket b, in id order.
  template <typename Fn>
  void ForEachTrackedInBucket(std::size_t b, Fn&& fn) const {
    const auto bucket = static_cast<uint32_t>(b);
    for (auto it = tracked_.lower_bound(KeyView{bucket, {}});
         it != tracked_.end() && it->first.bucket == bucket; ++it) {
      fn(std::string_view(it->first.id), it->second);
    }
  }
  std::size_t known_runs() const { return known_.size(); }
  // Heap bytes of the table of known runs.
  std::size_t known_bytes() const { return known_.MemoryBytes(); }

  // Runs per project and state (index: RunState, kUnknown included).
  using StateCounts = std::array<int64_t, 8>;
  std::map<std::string, StateCounts> CountsByProject() const;
  // Steps of the tracked runs per project and step state (index: StepState,
  // kUnknown not counted); projects whose tracked runs have no step omitted.
  using StepCounts = std::array<int64_t, kStepStates.size()>;
  std::map<std::string, StepCounts> TrackedStepsByProject() const;
  // Latest end of a succeeded run per (project, phase), looked up by
  // string_view pairs without a copy (a full read looks up most rows).
  struct PairHash {
    using is_transparent = void;
    template <typename P>
    std::size_t operator()(const P& p) const {
      const std::size_t h = std::hash<std::string_view>{}(p.first);
      return h ^ (std::hash<std::string_view>{}(p.second) +
                  0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    }
  };
  struct PairEqual {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::string_view(a.first) == std::string_view(b.first) &&
             std::string_view(a.second) == std::string_view(b.second);
    }
  };
  using LastSuccess = std::unordered_map<std::pair<std::string, std::string>,
                                         double, PairHash, PairEqual>;
  const LastSuccess& last_success() const { return last_success_; }

  // What happened since the previous call.
  struct Changes {
    // Every tracked run to render again, and whatever was rendered before
    // to forget: after a read that began with no run tracked (start-up),
    // where listing each run would cost more than rendering them all.
    // changed and removed are then empty.
    bool all = false;
    std::set<std::string> changed;  // tracked runs to render again
    std::set<std::string> removed;  // runs no longer tracked
    std::vector<FinishedRun> finished;
    uint64_t dropped = 0;  // runs dropped by max_tracked
  };
  Changes TakeChanges();

 private:
  // tracked_ is ordered by (bucket, id).
  struct Key {
    uint32_t bucket;
    std::string id;
  };
  struct KeyView {
    uint32_t bucket;
    std::string_view id;
  };
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.bucket != b.bucket) return a.bucket < b.bucket;
      return std::string_view(a.id) < std::string_view(b.id);
    }
  };
  static KeyView KeyOf(std::string_view run_id) {
    return {static_cast<uint32_t>(BucketOf(run_id)), run_id};
  }
  TrackedRun* MutableTracked(std::string_view run_id) {
    return const_cast<TrackedRun*>(
        static_cast<const RunTracker*>(this)->FindTracked(run_id));
  }

  struct Known {
    uint32_t project = 0;  // index into projects_
    RunState state = RunState::kUnknown;
    // Whether Apply last tracked it; stays true after another path untracked
    // it (Expire, max_tracked), which only costs a lookup, so a run never
    // tracked is never looked up in tracked_.
    bool tracked = false;
    // The reconcile that last saw the run (or added it). Wrapping is
    // harmless: after each reconcile every entry holds the current value.
    uint16_t generation = 0;
  };
  static_assert(sizeof(Known) == 8, "one Known per run of the database");
  // Upsert of a row whose entry in known_ is `known` (is_new: just added).
  void Apply(Known& known, bool is_new, const RunRow& row, double now,
             bool count_new_terminal);
  uint32_t InternProject(std::string_view project);
  void Count(uint32_t project, RunState state, int delta);
  bool Trackable(const RunRow& row, const std::optional<double>& window_start,
                 double now) const;
  // Whether the run is tracked now: at max_tracked, a run comes in only in
  // place of the one that the cap would drop before it (MakeRoomFor).
  bool Track(const RunRow& row, std::optional<double> window_start);
  // At max_tracked, for a run not tracked yet: untracks the ended run with
  // the oldest window if it goes before this one and says yes, or says no.
  // An active run is let in over the cap when only active runs are tracked
  // (Expire then drops the oldest-created ones).
  bool MakeRoomFor(const RunRow& row,
                   const std::optional<double>& window_start);
  // Whether a run of that window start and id goes before every tracked
  // ended run's (the cap would drop it first); false with none tracked.
  bool BeforeEveryWindow(double window_start, std::string_view run_id) const;
  void Untrack(const std::string& run_id);
  // Records in changes_ that a tracked run changed, or left.
  void MarkChanged(const std::string& run_id);
  void MarkRemoved(const std::string& run_id);
  // Adds (sign +1) or takes away (-1) a tracked run's steps from
  // tracked_steps_.
  void CountSteps(const TrackedRun& run, int sign);
  void NoteSuccess(const RunRow& row);
  void NoteSuccess(std::string_view project, std::string_view phase,
                   double ended);
  void Finish(const RunRow& row);

  Options options_;
  uint16_t generation_ = 0;
  bool count_transitions_ = true;
  // Every run of the database (200k+), by a digest of its id: 24 bytes a
  // run whatever the id's length, see DigestMap.
  DigestMap<Known> known_;
  std::vector<std::string> projects_;
  std::vector<char> selected_;  // by project index: SelectsProject's answer
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>
      project_index_;
  RunRow scratch_;  // the row ReconcileRow applies, storage reused
  std::vector<StateCounts> counts_;        // by project index
  std::vector<StepCounts> tracked_steps_;  // by project index
  std::map<Key, TrackedRun, KeyLess> tracked_;
  // Tracked terminal runs by window start, so that expiry visits only the
  // runs it removes; the ids are views of tracked_'s keys.
  std::set<std::pair<double, std::string_view>> by_window_start_;
  LastSuccess last_success_;
  Changes changes_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_RUN_TRACKER_H_
