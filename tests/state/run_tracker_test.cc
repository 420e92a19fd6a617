#include "exporter/state/run_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/reconcile.h"

namespace pe {
namespace {

constexpr double kNow = 1'000'000;

RunRow MakeRun(const std::string& id, RunState state,
               std::optional<double> ended = std::nullopt,
               const std::string& project = "p") {
  RunRow r;
  r.run_id = id;
  r.project = project;
  r.phase = "ph";
  r.state = state;
  r.created_at = kNow - 7200;
  r.started_at = kNow - 7000;
  r.ended_at = ended;
  return r;
}

RunTracker MakeTracker(std::size_t max_tracked = 100) {
  return RunTracker(RunTracker::Options{3600, max_tracked});
}

TEST(RunTrackerTest, TracksActiveAndRecentlyEndedRunsOnly) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t,
                        {MakeRun("active", RunState::kRunning),
                         MakeRun("pending", RunState::kPending),
                         MakeRun("recent", RunState::kSucceeded, kNow - 60),
                         MakeRun("old", RunState::kFailed, kNow - 7200)},
                        kNow, false);
  EXPECT_TRUE(t.IsTracked("active"));
  EXPECT_TRUE(t.IsTracked("pending"));
  EXPECT_TRUE(t.IsTracked("recent"));
  EXPECT_FALSE(t.IsTracked("old"));
  EXPECT_EQ(t.known_runs(), 4u);
}

TEST(RunTrackerTest, StartUpCountsNoHistoricalRunAsFinished) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kSucceeded, kNow - 10),
                         MakeRun("b", RunState::kFailed, kNow - 10)},
                        kNow, false);
  EXPECT_TRUE(t.TakeChanges().finished.empty());
}

TEST(RunTrackerTest, CountsATransitionToTerminalOnce) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  t.TakeChanges();
  t.Upsert(MakeRun("a", RunState::kSucceeded, kNow - 5), kNow);
  auto changes = t.TakeChanges();
  ASSERT_EQ(changes.finished.size(), 1u);
  EXPECT_EQ(changes.finished[0].state, RunState::kSucceeded);
  EXPECT_DOUBLE_EQ(*changes.finished[0].duration_seconds, 7000 - 5);
  // Read again (another event for the same run): not counted again.
  t.Upsert(MakeRun("a", RunState::kSucceeded, kNow - 5), kNow);
  EXPECT_TRUE(t.TakeChanges().finished.empty());
}

TEST(RunTrackerTest, ANewRunAlreadyTerminalCountsAsFinished) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {}, kNow, false);
  t.Upsert(MakeRun("fast", RunState::kFailed, kNow - 1), kNow);
  EXPECT_EQ(t.TakeChanges().finished.size(), 1u);
}

TEST(RunTrackerTest, ResyncCountsKnownTransitionsButNotUnseenRuns) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  t.TakeChanges();
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kPartial, kNow - 1),
                         MakeRun("unseen", RunState::kSucceeded, kNow - 1)},
                        kNow, true);
  auto changes = t.TakeChanges();
  ASSERT_EQ(changes.finished.size(), 1u);
  EXPECT_EQ(changes.finished[0].state, RunState::kPartial);
}

TEST(RunTrackerTest, KeepsCountsPerProjectAndStateThroughUpdatesAndPrunes) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kRunning, std::nullopt, "x"),
                         MakeRun("b", RunState::kRunning, std::nullopt, "x"),
                         MakeRun("c", RunState::kFailed, kNow - 9000, "y")},
                        kNow, false);
  t.Upsert(MakeRun("a", RunState::kSucceeded, kNow, "x"), kNow);
  t.Remove("c");
  auto counts = t.CountsByProject();
  ASSERT_EQ(counts.count("x"), 1u);
  EXPECT_EQ(counts["x"][static_cast<int>(RunState::kRunning)], 1);
  EXPECT_EQ(counts["x"][static_cast<int>(RunState::kSucceeded)], 1);
  EXPECT_EQ(counts.count("y"), 0u) << "a project with no runs left vanishes";
  EXPECT_EQ(t.known_runs(), 2u);
}

StepSummary Steps(int completed, int failed) {
  StepSummary s;
  s.counts[static_cast<int>(StepState::kCompleted)] = completed;
  s.counts[static_cast<int>(StepState::kFailed)] = failed;
  return s;
}

TEST(RunTrackerTest, TrackedStepsFollowTheRunsWhileTheyAreTracked) {
  constexpr int kCompleted = static_cast<int>(StepState::kCompleted);
  constexpr int kFailed = static_cast<int>(StepState::kFailed);
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kRunning, std::nullopt, "x"),
                         MakeRun("b", RunState::kFailed, kNow - 60, "x"),
                         MakeRun("c", RunState::kRunning, std::nullopt, "y"),
                         MakeRun("old", RunState::kFailed, kNow - 9000, "x")},
                        kNow, false);
  t.SetSteps("a", Steps(2, 0));
  t.SetSteps("b", Steps(1, 1));
  t.SetSteps("c", Steps(3, 0));
  t.SetSteps("old", Steps(0, 5));  // not tracked: not counted
  auto steps = t.TrackedStepsByProject();
  EXPECT_EQ(steps["x"][kCompleted], 3);
  EXPECT_EQ(steps["x"][kFailed], 1);
  EXPECT_EQ(steps["y"][kCompleted], 3);

  t.SetSteps("a", Steps(2, 1));  // replaced, not added
  EXPECT_EQ(t.TrackedStepsByProject()["x"][kFailed], 2);

  t.Upsert(MakeRun("c", RunState::kRunning, std::nullopt, "x"), kNow);
  steps = t.TrackedStepsByProject();
  EXPECT_EQ(steps["x"][kCompleted], 6) << "c's steps move with its project";
  EXPECT_EQ(steps.count("y"), 0u) << "a project with no tracked step vanishes";

  t.Expire(kNow + 3600);  // b's window is over
  steps = t.TrackedStepsByProject();
  EXPECT_EQ(steps["x"][kCompleted], 5);
  EXPECT_EQ(steps["x"][kFailed], 1);
  t.Remove("a");
  t.Remove("c");
  EXPECT_TRUE(t.TrackedStepsByProject().empty());
}

TEST(RunTrackerTest, PrunedRunsStopBeingTrackedAtOnce) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  t.TakeChanges();
  testing::ReconcileAll(t, {}, kNow, true);
  EXPECT_FALSE(t.IsTracked("a"));
  auto changes = t.TakeChanges();
  EXPECT_EQ(changes.removed.count("a"), 1u);
}

TEST(RunTrackerTest, EndedRunsLeaveWhenTheRecentWindowPasses) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kSucceeded, kNow - 3500)},
                        kNow, false);
  t.Expire(kNow + 50);
  EXPECT_TRUE(t.IsTracked("a"));
  t.Expire(kNow + 200);
  EXPECT_FALSE(t.IsTracked("a"));
}

TEST(RunTrackerTest, AWindowWithoutEndedAtStartsWhenSeenTerminal) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  t.Upsert(MakeRun("a", RunState::kCanceled, std::nullopt), kNow);
  t.Expire(kNow + 3000);
  EXPECT_TRUE(t.IsTracked("a"));
  t.Expire(kNow + 3700);
  EXPECT_FALSE(t.IsTracked("a"));
}

TEST(RunTrackerTest, CapDropsTheOldestEndedRunsFirstAndCountsThem) {
  RunTracker t = MakeTracker(/*max_tracked=*/3);
  testing::ReconcileAll(
      t,
      {MakeRun("active1", RunState::kRunning),
       MakeRun("active2", RunState::kRunning),
       MakeRun("ended_old", RunState::kSucceeded, kNow - 300),
       MakeRun("ended_new", RunState::kSucceeded, kNow - 100)},
      kNow, false);
  t.Expire(kNow);
  EXPECT_FALSE(t.IsTracked("ended_old"));
  EXPECT_TRUE(t.IsTracked("ended_new"));
  EXPECT_TRUE(t.IsTracked("active1"));
  EXPECT_TRUE(t.IsTracked("active2"));
  EXPECT_EQ(t.TakeChanges().dropped, 1u);
}

TEST(RunTrackerTest, LastProgressIsTheLatestOfStartStepsAndEvents) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  EXPECT_DOUBLE_EQ(*t.FindTracked("a")->LastProgress(), kNow - 7000);
  StepSummary steps;
  steps.last_activity = kNow - 100;
  t.SetSteps("a", steps);
  EXPECT_DOUBLE_EQ(*t.FindTracked("a")->LastProgress(), kNow - 100);
  t.NoteEvent("a", kNow - 50);
  EXPECT_DOUBLE_EQ(*t.FindTracked("a")->LastProgress(), kNow - 50);
  t.NoteEvent("a", kNow - 500);  // older event: no change
  EXPECT_DOUBLE_EQ(*t.FindTracked("a")->LastProgress(), kNow - 50);
}

TEST(RunTrackerTest, LastSuccessIsTheLatestSucceededEndPerProjectAndPhase) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kSucceeded, kNow - 9000),
                         MakeRun("b", RunState::kSucceeded, kNow - 8000),
                         MakeRun("c", RunState::kFailed, kNow - 10)},
                        kNow, false);
  EXPECT_DOUBLE_EQ(t.last_success().at({"p", "ph"}), kNow - 8000);
}

TEST(RunTrackerTest, AFirstReadAsksForEveryRunToBeRenderedWithoutListingThem) {
  RunTracker t = MakeTracker();
  t.Upsert(MakeRun("gone", RunState::kRunning), kNow);
  t.Remove("gone");  // nothing tracked, a removal not taken yet
  testing::ReconcileAll(t,
                        {MakeRun("a", RunState::kRunning),
                         MakeRun("b", RunState::kSucceeded, kNow - 10)},
                        kNow, false);
  StepSummary s;
  s.counts[static_cast<int>(StepState::kCompleted)] = 1;
  t.SetSteps("a", s);
  t.NoteEvent("a", kNow);
  auto first = t.TakeChanges();
  EXPECT_TRUE(first.all);
  EXPECT_TRUE(first.changed.empty());
  EXPECT_TRUE(first.removed.empty());

  // From then on, each run that changed or left is named.
  t.SetSteps("b", s);
  testing::ReconcileAll(t, {MakeRun("b", RunState::kSucceeded, kNow - 10)},
                        kNow, true);
  auto next = t.TakeChanges();
  EXPECT_FALSE(next.all);
  EXPECT_EQ(next.changed, std::set<std::string>{"b"});
  EXPECT_EQ(next.removed, std::set<std::string>{"a"});
}

TEST(RunTrackerTest, ReportsOnlyRunsWhoseValuesChanged) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(t, {MakeRun("a", RunState::kRunning)}, kNow, false);
  t.TakeChanges();
  t.Upsert(MakeRun("a", RunState::kRunning), kNow);
  EXPECT_TRUE(t.TakeChanges().changed.empty());
  StepSummary s;
  s.counts[static_cast<int>(StepState::kCompleted)] = 1;
  t.SetSteps("a", s);
  EXPECT_EQ(t.TakeChanges().changed.count("a"), 1u);
}

TEST(TrackedRowTest, KeepsEveryFieldButTheIdAndTellsAChangedRowApart) {
  RunRow row = MakeRun("id", RunState::kRunning);
  row.project = "project-with-a-long-name";
  row.phase = "phase5_execution";
  TrackedRow kept(row);
  EXPECT_EQ(kept.project(), "project-with-a-long-name");
  EXPECT_EQ(kept.phase(), "phase5_execution");
  EXPECT_EQ(kept.workstream(), "");
  EXPECT_EQ(kept.state, RunState::kRunning);
  EXPECT_EQ(kept.started_at, kNow - 7000);
  EXPECT_TRUE(kept.Same(row));
  RunRow other_id = row;
  other_id.run_id = "another";
  EXPECT_TRUE(kept.Same(other_id)) << "the id is the tracker's key";
  // The same bytes split differently between the labels are another row.
  RunRow moved = row;
  moved.project = "project-with-a-long-nam";
  moved.phase = "ephase5_execution";
  EXPECT_FALSE(kept.Same(moved));
  RunRow ended = row;
  ended.ended_at = kNow;
  EXPECT_FALSE(kept.Same(ended));
  kept.Assign(moved);
  EXPECT_EQ(kept.phase(), "ephase5_execution");
  EXPECT_TRUE(kept.Same(moved));
}

// What max_tracked keeps, as its rule states it: every trackable run in,
// then the oldest ended runs out first, then the oldest-created active ones.
std::set<std::string> KeptByTheCap(const std::map<std::string, RunRow>& rows,
                                   std::size_t cap, double now) {
  std::vector<std::tuple<int, double, std::string>> order;
  for (const auto& [id, r] : rows) {
    const bool active =
        r.state == RunState::kPending || r.state == RunState::kRunning;
    if (active) {
      order.emplace_back(1, r.created_at.value_or(0), id);
    } else if (IsTerminal(r.state) && r.ended_at && now - *r.ended_at <= 3600) {
      order.emplace_back(0, *r.ended_at, id);
    }
  }
  std::sort(order.begin(), order.end());
  std::set<std::string> kept;
  for (std::size_t i = order.size() > cap ? order.size() - cap : 0;
       i < order.size(); ++i) {
    kept.insert(std::get<2>(order[i]));
  }
  return kept;
}

std::set<std::string> TrackedIds(const RunTracker& t) {
  std::set<std::string> ids;
  t.ForEachTracked(
      [&](std::string_view id, const TrackedRun&) { ids.emplace(id); });
  return ids;
}

TEST(RunTrackerTest, AtTheCapKeepsWhatDroppingTheExcessAfterwardsWould) {
  constexpr std::size_t kCap = 50;
  std::mt19937 rng(5);
  const auto random_row = [&](const std::string& id) {
    // One in ten active: most of what the cap keeps are ended runs.
    const bool active = rng() % 10 == 0;
    const bool other = rng() % 2 == 0;
    RunRow r = MakeRun(
        id, active ? (other ? RunState::kPending : RunState::kRunning)
                   : (other ? RunState::kSucceeded : RunState::kFailed));
    r.created_at = kNow - 5000.0 + (rng() % 5000);
    // Mostly within the recent window, some before it.
    if (IsTerminal(r.state)) r.ended_at = kNow - 4000.0 + (rng() % 4000);
    return r;
  };
  // A full read of far more runs to track than the cap.
  std::map<std::string, RunRow> rows;
  std::vector<RunRow> read;
  for (int i = 0; i < 400; ++i) {
    RunRow r = random_row("r" + std::to_string(i));
    rows[r.run_id] = r;
    read.push_back(r);
  }
  RunTracker t = MakeTracker(kCap);
  testing::ReconcileAll(t, read, kNow, false);
  t.Expire(kNow);
  const std::set<std::string> kept = KeptByTheCap(rows, kCap, kNow);
  EXPECT_EQ(TrackedIds(t), kept);
  std::size_t trackable = 0;
  for (const auto& [id, r] : rows) {
    trackable += KeptByTheCap({{id, r}}, 1, kNow).size();
  }
  EXPECT_EQ(t.TakeChanges().dropped, trackable - kCap);

  // New runs one poll at a time: each comes in only in place of one the
  // cap would drop before it.
  std::map<std::string, RunRow> model;
  for (const std::string& id : kept) model[id] = rows[id];
  for (int i = 0; i < 200; ++i) {
    RunRow r = random_row("n" + std::to_string(i));
    t.Upsert(r, kNow);
    t.Expire(kNow);
    model[r.run_id] = r;
    const std::set<std::string> now_kept = KeptByTheCap(model, kCap, kNow);
    for (auto it = model.begin(); it != model.end();) {
      it = now_kept.count(it->first) ? std::next(it) : model.erase(it);
    }
    ASSERT_EQ(TrackedIds(t), now_kept) << "after " << r.run_id;
  }
}

// The same row, but its end is never offered on its own: ReconcileRow then
// takes every row whole (Fill) and applies it as it did before it learned to
// count long-ended runs from a few fields.
class WholeRowOnly final : public RunRowSource {
 public:
  explicit WholeRowOnly(const RunRow& row) : row_(row) {}
  std::string_view run_id() const override { return row_.run_id; }
  std::string_view project() const override { return row_.project; }
  std::string_view phase() const override { return row_.phase; }
  RunState state() const override { return row_.state; }
  std::optional<double> ended_at() const override { return std::nullopt; }
  void Fill(RunRow* row) const override { *row = row_; }

 private:
  const RunRow& row_;
};

// Everything a reconcile leaves that the exposition and the counters read.
struct Picture {
  std::map<std::string, RunTracker::StateCounts> counts;
  std::vector<std::string> tracked;
  std::map<std::pair<std::string, std::string>, double> last_success;
  std::set<std::string> changed, removed;
  std::vector<std::pair<std::string, RunState>> finished;
  std::size_t known = 0;
  bool operator==(const Picture&) const = default;
};

Picture PictureOf(RunTracker& t) {
  Picture p;
  p.counts = t.CountsByProject();
  t.ForEachTracked([&](std::string_view id, const TrackedRun&) {
    p.tracked.emplace_back(id);
  });
  for (const auto& [key, time] : t.last_success()) p.last_success[key] = time;
  RunTracker::Changes changes = t.TakeChanges();
  p.changed = changes.changed;
  p.removed = changes.removed;
  for (const FinishedRun& f : changes.finished) {
    p.finished.emplace_back(f.project, f.state);
  }
  p.known = t.known_runs();
  return p;
}

TEST(RunTrackerTest, AFullReadCountsLongEndedRunsAsItWouldFromWholeRows) {
  std::mt19937 rng(11);
  const RunState states[] = {RunState::kPending,   RunState::kRunning,
                             RunState::kSucceeded, RunState::kPartial,
                             RunState::kFailed,    RunState::kQuarantined,
                             RunState::kCanceled,  RunState::kUnknown};
  const auto random_row = [&](int id) {
    RunRow r =
        MakeRun("r" + std::to_string(id), states[rng() % std::size(states)],
                std::nullopt, "p" + std::to_string(rng() % 3));
    r.phase = "ph" + std::to_string(rng() % 2);
    // Ends around the window's edge, in the future, or missing.
    if (rng() % 5 != 0) r.ended_at = kNow - 7200.0 + (rng() % 8000);
    return r;
  };
  RunTracker by_fields = MakeTracker(40);
  RunTracker whole = MakeTracker(40);
  std::vector<RunRow> rows;
  for (int i = 0; i < 300; ++i) rows.push_back(random_row(i));
  // A start-up, then resyncs in which runs change, appear and are pruned.
  for (int read = 0; read < 6; ++read) {
    const bool count_transitions = read > 0;
    const double now = kNow + read * 600;
    by_fields.BeginReconcile(count_transitions, rows.size());
    whole.BeginReconcile(count_transitions, rows.size());
    for (const RunRow& row : rows) {
      const bool tracked = by_fields.ReconcileRow(RunRowValue(row), now);
      EXPECT_EQ(tracked, whole.ReconcileRow(WholeRowOnly(row), now));
    }
    by_fields.EndReconcile();
    whole.EndReconcile();
    by_fields.Expire(now);
    whole.Expire(now);
    ASSERT_EQ(PictureOf(by_fields), PictureOf(whole)) << "read " << read;
    for (RunRow& row : rows) {
      if (rng() % 4 == 0) row = random_row(static_cast<int>(rng() % 400));
    }
    rows.erase(rows.begin() + static_cast<long>(rng() % rows.size()));
  }
}

RunTracker MakeSelectingTracker(const char* exclude,
                                std::size_t max_tracked = 100) {
  Result<ProjectSelection> projects = ProjectSelection::Make("", exclude);
  EXPECT_TRUE(projects.ok());
  return RunTracker(RunTracker::Options{3600, max_tracked, *projects});
}

TEST(RunTrackerTest, RunsOfAnExcludedProjectAreCountedButNeverTracked) {
  RunTracker t = MakeSelectingTracker("sandbox");
  testing::ReconcileAll(
      t,
      {MakeRun("kept", RunState::kRunning, std::nullopt, "team"),
       MakeRun("active", RunState::kRunning, std::nullopt, "sandbox"),
       MakeRun("recent", RunState::kFailed, kNow - 60, "sandbox")},
      kNow, false);
  EXPECT_TRUE(t.IsTracked("kept"));
  EXPECT_FALSE(t.IsTracked("active"));
  EXPECT_FALSE(t.IsTracked("recent"));
  EXPECT_EQ(t.tracked_count(), 1u);
  const auto counts = t.CountsByProject();
  ASSERT_TRUE(counts.count("sandbox"));
  EXPECT_EQ(counts.at("sandbox")[static_cast<int>(RunState::kRunning)], 1);
  EXPECT_EQ(counts.at("sandbox")[static_cast<int>(RunState::kFailed)], 1);
  EXPECT_FALSE(t.SelectsProject("sandbox"));
  EXPECT_TRUE(t.SelectsProject("team"));

  t.Upsert(MakeRun("new", RunState::kPending, std::nullopt, "sandbox"), kNow);
  EXPECT_FALSE(t.IsTracked("new")) << "nor when read incrementally";
  EXPECT_EQ(t.TakeChanges().dropped, 0u) << "not dropped by the cap";
}

TEST(RunTrackerTest, ExcludedRunsTakeNoPlaceUnderTheCap) {
  RunTracker t = MakeSelectingTracker("sandbox", /*max_tracked=*/2);
  testing::ReconcileAll(
      t,
      {MakeRun("s1", RunState::kSucceeded, kNow - 10, "sandbox"),
       MakeRun("s2", RunState::kSucceeded, kNow - 20, "sandbox"),
       MakeRun("s3", RunState::kSucceeded, kNow - 30, "sandbox"),
       MakeRun("t1", RunState::kSucceeded, kNow - 40, "team"),
       MakeRun("t2", RunState::kSucceeded, kNow - 50, "team")},
      kNow, false);
  EXPECT_TRUE(t.IsTracked("t1"));
  EXPECT_TRUE(t.IsTracked("t2"));
  EXPECT_EQ(t.TakeChanges().dropped, 0u);
}

TEST(RunTrackerTest, ANewSelectionUntracksTheRunsItLeavesOutAtOnce) {
  RunTracker t = MakeTracker();
  testing::ReconcileAll(
      t,
      {MakeRun("a", RunState::kRunning, std::nullopt, "team"),
       MakeRun("b", RunState::kRunning, std::nullopt, "sandbox")},
      kNow, false);
  (void)t.TakeChanges();
  Result<ProjectSelection> projects = ProjectSelection::Make("", "sandbox");
  ASSERT_TRUE(projects.ok());
  t.SetProjectSelection(*projects);
  EXPECT_TRUE(t.IsTracked("a"));
  EXPECT_FALSE(t.IsTracked("b"));
  EXPECT_EQ(t.TakeChanges().removed, (std::set<std::string>{"b"}));

  // Brought back in: tracked again from its next read.
  t.SetProjectSelection(ProjectSelection());
  EXPECT_FALSE(t.IsTracked("b"));
  testing::ReconcileAll(
      t,
      {MakeRun("a", RunState::kRunning, std::nullopt, "team"),
       MakeRun("b", RunState::kRunning, std::nullopt, "sandbox")},
      kNow, true);
  EXPECT_TRUE(t.IsTracked("b"));
}

}  // namespace
}  // namespace pe
