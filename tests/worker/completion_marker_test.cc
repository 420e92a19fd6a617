#include "exporter/worker/completion_marker.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exporter/common/timestamp.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using std::chrono::milliseconds;

constexpr double kNow = 1764929472.345678;  // 2025-12-05T10:11:12.345678Z

BusyRetryPolicy FastPolicy() {
  return {.busy_timeout = milliseconds(200),
          .max_attempts = 5,
          .initial_backoff = milliseconds(10),
          .max_backoff = milliseconds(100)};
}

struct RunRow {
  std::string state;
  std::optional<std::string> ended_at;
  std::optional<std::string> updated_at;
};

RunRow ReadRun(SQLite::Database& db, const std::string& run_id,
               bool legacy = false) {
  SQLite::Statement q(db, legacy ? "SELECT state, ended_at, NULL FROM runs "
                                   "WHERE run_id = ?"
                                 : "SELECT state, ended_at, updated_at FROM "
                                   "runs WHERE run_id = ?");
  q.bind(1, run_id);
  EXPECT_TRUE(q.executeStep()) << run_id;
  RunRow row{q.getColumn(0).getString(), std::nullopt, std::nullopt};
  if (!q.isColumnNull(1)) row.ended_at = q.getColumn(1).getString();
  if (!q.isColumnNull(2)) row.updated_at = q.getColumn(2).getString();
  return row;
}

struct EventRow {
  std::string type, severity, data;
};

std::vector<EventRow> Events(SQLite::Database& db, const std::string& run_id) {
  SQLite::Statement q(db,
                      "SELECT event_type, severity, data FROM events "
                      "WHERE run_id = ? ORDER BY id");
  q.bind(1, run_id);
  std::vector<EventRow> events;
  while (q.executeStep()) {
    events.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                      q.getColumn(2).getString()});
  }
  return events;
}

class CompletionMarkerTest : public ::testing::Test {
 protected:
  explicit CompletionMarkerTest(bool legacy = false)
      : fixture_(dir_.File("state.db"), legacy) {}

  CompletionMarker& marker() {
    if (!store_) {
      auto store = WorkerStore::Open(fixture_.path(), FastPolicy());
      EXPECT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(*store);
      marker_.emplace(store_.get());
    }
    return *marker_;
  }

  void AddRunWithSteps(const std::string& run_id,
                       const std::vector<std::string>& step_states,
                       const std::string& run_state = "running") {
    fixture_.AddRun({.run_id = run_id, .state = run_state});
    for (std::size_t i = 0; i < step_states.size(); ++i) {
      fixture_.AddStep(run_id, "s" + std::to_string(i), step_states[i]);
    }
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
  std::unique_ptr<WorkerStore> store_;
  std::optional<CompletionMarker> marker_;
};

TEST_F(CompletionMarkerTest, MarksRunningRunsWhoseStepsAreAllTerminal) {
  struct Case {
    const char* run_id;
    std::vector<std::string> steps;
    std::optional<std::string> want;  // nullopt: left running
  };
  const std::vector<Case> cases = {
      {"all-completed", {"completed", "completed"}, "succeeded"},
      {"completed-and-skipped", {"completed", "skipped"}, "succeeded"},
      {"all-skipped", {"skipped"}, "succeeded"},
      {"one-failed", {"completed", "failed", "skipped"}, "partial"},
      {"all-failed", {"failed", "failed"}, "partial"},
      {"one-running", {"completed", "running"}, std::nullopt},
      {"one-pending", {"pending", "completed"}, std::nullopt},
      {"no-steps", {}, std::nullopt},
  };
  for (const Case& c : cases) AddRunWithSteps(c.run_id, c.steps);

  auto marked = marker().MarkFinishedRuns(kNow, 100);
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();

  std::vector<CompletionMarker::Marked> want_marked;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.run_id);
    const RunRow run = ReadRun(fixture_.db(), c.run_id);
    const auto events = Events(fixture_.db(), c.run_id);
    if (!c.want) {
      EXPECT_EQ(run.state, "running");
      EXPECT_FALSE(run.ended_at.has_value());
      EXPECT_TRUE(events.empty());
      continue;
    }
    want_marked.push_back({c.run_id, *c.want});
    EXPECT_EQ(run.state, *c.want);
    ASSERT_TRUE(run.ended_at.has_value());
    EXPECT_EQ(*run.ended_at, "2025-12-05T10:11:12.345678+00:00");
    const auto parsed = ParseTimestamp(*run.ended_at);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_NEAR(*parsed, kNow, 1e-6);
    EXPECT_EQ(run.updated_at, run.ended_at);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "run_completed");
    EXPECT_EQ(events[0].severity, "info");
    EXPECT_EQ(events[0].data, "{\"state\": \"" + *c.want +
                                  "\", \"marked_by\": \"pipeline_exporter\"}");
  }
  std::sort(want_marked.begin(), want_marked.end(),
            [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
  EXPECT_EQ(*marked, want_marked);

  // Nothing is left to mark: a second pass is a no-op.
  auto again = marker().MarkFinishedRuns(kNow + 1, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_F(CompletionMarkerTest, LeavesRunsInOtherStatesAlone) {
  for (const char* state : {"pending", "succeeded", "failed", "canceled"}) {
    AddRunWithSteps(std::string("run-") + state, {"completed"}, state);
  }
  auto marked = marker().MarkFinishedRuns(kNow, 100);
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE(marked->empty());
  for (const char* state : {"pending", "succeeded", "failed", "canceled"}) {
    EXPECT_EQ(ReadRun(fixture_.db(), std::string("run-") + state).state, state);
  }
}

TEST_F(CompletionMarkerTest, LimitCapsTheRunsMarkedPerCall) {
  for (int i = 0; i < 5; ++i) {
    AddRunWithSteps("r" + std::to_string(i), {"completed"});
  }
  auto first = marker().MarkFinishedRuns(kNow, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 2u);
  auto rest = marker().MarkFinishedRuns(kNow, 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 3u);
}

TEST_F(CompletionMarkerTest,
       RunWhoseStepWentBackToRunningAfterSelectionIsLeftAlone) {
  AddRunWithSteps("r1", {"completed", "completed"});
  auto candidates = marker().FindCandidates(10);
  ASSERT_TRUE(candidates.ok());
  ASSERT_EQ(*candidates, std::vector<std::string>{"r1"});

  fixture_.SetStepState("r1", "s1", "running");  // the orchestrator retries

  auto state = marker().MarkRun("r1", kNow);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_FALSE(state->has_value());
  EXPECT_EQ(ReadRun(fixture_.db(), "r1").state, "running");
  EXPECT_FALSE(ReadRun(fixture_.db(), "r1").ended_at.has_value());
  EXPECT_TRUE(Events(fixture_.db(), "r1").empty());
}

TEST_F(CompletionMarkerTest,
       RunTheOrchestratorFinishedAfterSelectionIsLeftAlone) {
  AddRunWithSteps("r1", {"completed", "failed"});
  auto candidates = marker().FindCandidates(10);
  ASSERT_TRUE(candidates.ok());
  ASSERT_EQ(candidates->size(), 1u);

  fixture_.SetRunState("r1", "failed", "2025-12-05T10:00:00");
  fixture_.AddEvent("r1", "run_failed", "error");

  auto state = marker().MarkRun("r1", kNow);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
  const RunRow run = ReadRun(fixture_.db(), "r1");
  EXPECT_EQ(run.state, "failed");
  EXPECT_EQ(run.ended_at, "2025-12-05T10:00:00");
  ASSERT_EQ(Events(fixture_.db(), "r1").size(), 1u);
}

TEST_F(CompletionMarkerTest, RunPrunedAfterSelectionIsLeftAlone) {
  AddRunWithSteps("r1", {"completed"});
  ASSERT_TRUE(marker().FindCandidates(10).ok());
  fixture_.DeleteRun("r1");
  auto state = marker().MarkRun("r1", kNow);
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
  EXPECT_TRUE(Events(fixture_.db(), "r1").empty());
}

TEST_F(CompletionMarkerTest,
       RetriesWhileAnotherConnectionHoldsTheWriteLockBriefly) {
  AddRunWithSteps("r1", {"completed"});
  ASSERT_TRUE(marker().FindCandidates(1).ok());  // opened before the lock

  // The hold (300 ms) outlasts one busy timeout (200 ms): only a retry of
  // the whole transaction gets through.
  std::promise<void> locked;
  std::thread holder([&] {
    SQLite::Database other(fixture_.path(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    other.exec(
        "INSERT INTO events (run_id, event_type, severity, timestamp) "
        "VALUES ('x', 'step_started', 'info', '2025-12-05T10:00:00')");
    locked.set_value();
    std::this_thread::sleep_for(milliseconds(300));
    other.exec("COMMIT");
  });
  locked.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  auto marked = marker().MarkFinishedRuns(kNow, 10);
  const auto waited = std::chrono::steady_clock::now() - start;
  holder.join();

  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  ASSERT_EQ(marked->size(), 1u);
  EXPECT_GE(waited, milliseconds(250));  // it really had to wait
  EXPECT_EQ(ReadRun(fixture_.db(), "r1").state, "succeeded");
  EXPECT_EQ(Events(fixture_.db(), "r1").size(), 1u);
}

TEST_F(CompletionMarkerTest,
       ReturnsBusyAndWritesNothingWhenTheLockOutlastsTheBudget) {
  AddRunWithSteps("r1", {"completed"});
  auto store =
      WorkerStore::Open(fixture_.path(), {.busy_timeout = milliseconds(20),
                                          .max_attempts = 3,
                                          .initial_backoff = milliseconds(10),
                                          .max_backoff = milliseconds(20)});
  ASSERT_TRUE(store.ok());
  CompletionMarker impatient(store->get());

  std::promise<void> locked;
  std::promise<void> done;
  std::thread holder([&] {
    SQLite::Database other(fixture_.path(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    locked.set_value();
    done.get_future().wait();
    other.exec("COMMIT");
  });
  locked.get_future().wait();
  std::vector<CompletionMarker::Marked> marked_before_error;
  Status status = impatient.MarkFinishedRuns(kNow, 10, &marked_before_error);
  done.set_value();
  holder.join();

  EXPECT_EQ(status.code(), Status::Code::kBusy) << status.ToString();
  EXPECT_TRUE(marked_before_error.empty());
  EXPECT_EQ(ReadRun(fixture_.db(), "r1").state, "running");
  EXPECT_FALSE(ReadRun(fixture_.db(), "r1").ended_at.has_value());
  EXPECT_TRUE(Events(fixture_.db(), "r1").empty());

  // Once the lock is gone the same call succeeds: the run was not lost.
  auto retried = impatient.MarkFinishedRuns(kNow, 10);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->size(), 1u);
}

class CompletionMarkerLegacyTest : public CompletionMarkerTest {
 protected:
  CompletionMarkerLegacyTest() : CompletionMarkerTest(/*legacy=*/true) {}
};

TEST_F(CompletionMarkerLegacyTest, MarksRunsInFilesWithoutUpdatedAt) {
  AddRunWithSteps("r1", {"completed", "failed"});
  auto marked = marker().MarkFinishedRuns(kNow, 10);
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  ASSERT_EQ(marked->size(), 1u);
  const RunRow run = ReadRun(fixture_.db(), "r1", /*legacy=*/true);
  EXPECT_EQ(run.state, "partial");
  EXPECT_EQ(run.ended_at, "2025-12-05T10:11:12.345678+00:00");
  EXPECT_EQ(Events(fixture_.db(), "r1").size(), 1u);
}

}  // namespace
}  // namespace pe
