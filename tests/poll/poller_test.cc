#include "exporter/poll/poller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/common/clock.h"
#include "tests/support/exposition.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::CountSamples;
using testing::FixtureDb;
using testing::Mentions;
using testing::Sample;

// 2025-12-05T11:00:00Z: the fixture's "now".
constexpr double kNow = 1764932400;

// The fixture behind the golden file: every kind of run the contract allows.
void BuildGoldenFixture(FixtureDb& db) {
  db.AddRun({.run_id = "01RUNNING", .workstream = "ws-1"});
  db.AddStep("01RUNNING", "s1", "completed", "2025-12-05T10:00:05",
             "2025-12-05T10:05:00");
  db.AddStep("01RUNNING", "s2", "running", "2025-12-05 10:05:01");
  db.AddStep("01RUNNING", "s3", "pending");
  db.AddRun({.run_id = "01PENDING",
             .project = "proj-b",
             .state = "pending",
             .created_at = "2025-12-05T10:30:00Z",
             .started_at = std::nullopt});
  db.AddRun({.run_id = "01FAILED",
             .project = "proj-b",
             .phase = "phase3_build",
             .state = "failed",
             .ended_at = "2025-12-05T10:40:00.250+00:00"});
  db.AddStep("01FAILED", "s1", "completed", "2025-12-05T10:00:05",
             "2025-12-05T10:10:00");
  db.AddStep("01FAILED", "s2", "failed", "2025-12-05T10:10:00",
             "2025-12-05T10:39:59",
             "Traceback (most recent call last):\n  File \"x.py\"\n"
             "ValueError: bad \"input\" <b>here</b>\\n\n");
  db.AddStep("01FAILED", "s3", "skipped");
  db.AddRun({.run_id = "01SUCCEEDED",
             .state = "succeeded",
             .ended_at = "2025-12-05T10:50:00"});
  db.AddStep("01SUCCEEDED", "s1", "completed", "2025-12-05T10:00:05",
             "2025-12-05T10:50:00");
  db.AddRun({.run_id = "01OLD",
             .state = "succeeded",
             .created_at = "2025-12-01T10:00:00",
             .started_at = "2025-12-01T10:00:01",
             .ended_at = "2025-12-01T11:00:00"});
  db.AddRun({.run_id = "01BADTIME",
             .project = "proj-b",
             .state = "running",
             .started_at = "not a time"});
  db.AddEvent("01RUNNING", "step_started", "info", "2025-12-05T10:05:01Z");
  db.AddEvent("", "scheduler_heartbeat", "debug", "2025-12-05T10:06:00Z");
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PollerTest : public ::testing::Test {
 protected:
  PollerTest() : db_path_(dir_.File("orchestration.db")) {
    config_.state_db = db_path_;
    // Only when a test asks (ResyncAtNextPoll) or sets a shorter one: the
    // clock moves by an hour at most.
    config_.resync_interval = std::chrono::hours(24);
    config_.busy_timeout = std::chrono::milliseconds(100);
  }

  // A poller handing its parts to `store` (the fixture's by default).
  std::unique_ptr<Poller> MakePoller(
      std::shared_ptr<SnapshotStore> store = nullptr) {
    return std::make_unique<Poller>(
        config_, std::make_shared<Composer>(store ? store : store_), clock_);
  }
  // Creates the database (legacy: the older schema, without updated_at).
  FixtureDb& CreateDb(bool legacy = false) {
    return db_.emplace(db_path_, legacy);
  }
  // A poller that started up on the golden fixture: its first poll is done.
  std::unique_ptr<Poller> StartOnTheGoldenFixture(bool legacy = false) {
    BuildGoldenFixture(CreateDb(legacy));
    auto poller = MakePoller();
    poller->PollOnce();
    return poller;
  }
  // Started with a resync every five minutes, after which 01RUNNING is
  // canceled without an event: only a full read can see it.
  std::unique_ptr<Poller> StartThenCancelARunSilently() {
    config_.resync_interval = std::chrono::minutes(5);
    auto poller = StartOnTheGoldenFixture();
    db_->SetRunState("01RUNNING", "canceled", "2025-12-05T10:59:00");
    return poller;
  }
  std::optional<double> Status01Running(const std::string& state) const {
    return Value("pipeline_run_status{run_id=\"01RUNNING\",state=\"" + state +
                 "\"}");
  }
  std::optional<double> IntervalResyncs() const {
    return Value("pipeline_exporter_resyncs_total{reason=\"interval\"}");
  }

  std::string Body() const { return store_->Latest()->body(); }
  std::optional<double> Value(const std::string& series) const {
    return Sample(Body(), series);
  }

  testing::TempDir dir_;
  std::string db_path_;
  std::optional<FixtureDb> db_;
  Config config_;
  std::shared_ptr<SnapshotStore> store_ = std::make_shared<SnapshotStore>();
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kNow);
};

// A body as the golden file and the comparisons here take it: without the
// poll durations and the build's info.
std::string Exposed(const SnapshotStore& store) {
  return testing::WithoutFamilies(store.Latest()->body(),
                                  {"pipeline_exporter_poll_duration_seconds",
                                   "pipeline_exporter_build_info"});
}

TEST_F(PollerTest, ExposesAFixtureDatabaseExactlyAsTheGoldenFile) {
  auto poller = StartOnTheGoldenFixture();
  const std::string got = Exposed(*store_);
  const std::string golden_path =
      std::string(PE_TEST_DATA_DIR) + "/golden/fixture.metrics";
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(golden_path) << got;
  }
  EXPECT_EQ(got, ReadFile(golden_path))
      << "run with UPDATE_GOLDEN=1 to regenerate after a deliberate change";
}

TEST_F(PollerTest, ReadsTheSameWithOrWithoutASecondConnection) {
  FixtureDb db(db_path_);
  BuildGoldenFixture(db);
  auto beside_store = std::make_shared<SnapshotStore>();
  auto after_store = std::make_shared<SnapshotStore>();
  auto beside = MakePoller(beside_store);
  auto after = MakePoller(after_store);
  after->set_read_beside_scan(false);
  beside->PollOnce();  // start-ups
  after->PollOnce();
  EXPECT_EQ(Exposed(*beside_store), Exposed(*after_store));
  EXPECT_TRUE(Mentions(Exposed(*beside_store), "01RUNNING"));
  db.AddStep("01RUNNING", "s4", "pending");
  beside->ResyncAtNextPoll();  // steps read again by a full read
  after->ResyncAtNextPoll();
  beside->PollOnce();
  after->PollOnce();
  EXPECT_EQ(Exposed(*beside_store), Exposed(*after_store));
  EXPECT_EQ(
      Sample(Exposed(*beside_store),
             "pipeline_run_steps{run_id=\"01RUNNING\",state=\"pending\"}"),
      2);
}

TEST_F(PollerTest, LeavesTheStartAndCreationOfRunsEndedLongAgoUnread) {
  FixtureDb db(db_path_);
  // Ended a day before "now": only counted, its other times never parsed.
  db.AddRun({.run_id = "ancient",
             .state = "succeeded",
             .created_at = "long ago",
             .started_at = "not a time",
             .ended_at = "2025-12-04T11:00:00"});
  db.AddRun({.run_id = "active", .created_at = "long ago"});
  auto poller = MakePoller();
  poller->PollOnce();
  EXPECT_EQ(
      Value("pipeline_exporter_parse_errors_total{field=\"runs.created_at\"}"),
      1);
  EXPECT_EQ(
      Value("pipeline_exporter_parse_errors_total{field=\"runs.started_at\"}"),
      0);
  EXPECT_EQ(Value("pipeline_runs{project=\"proj-a\",state=\"succeeded\"}"), 1);
}

TEST_F(PollerTest, IsReadyOnlyAfterASuccessfulPoll) {
  auto poller = MakePoller();
  poller->PollOnce();
  EXPECT_FALSE(store_->ready()) << "no database yet";
  FixtureDb db(db_path_);
  poller->PollOnce();
  EXPECT_TRUE(store_->ready());
}

TEST_F(PollerTest, SkipsPollsWhenNothingWasCommitted) {
  auto poller = StartOnTheGoldenFixture();
  poller->PollOnce();
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_exporter_polls_total{result=\"unchanged\"}"), 2);
  EXPECT_EQ(Value("pipeline_exporter_polls_total{result=\"changed\"}"), 1);
  db_->AddEvent("01RUNNING", "step_started");
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_exporter_polls_total{result=\"changed\"}"), 2);
}

TEST_F(PollerTest, FollowsInsertsAndUpdatesIncrementally) {
  auto poller = StartOnTheGoldenFixture();

  db_->AddRun({.run_id = "01NEW", .project = "proj-c"});
  db_->AddStep("01NEW", "s1", "running", "2025-12-05T10:58:00");
  db_->AddEvent("01NEW", "run_started", "info", "2025-12-05T10:58:00");
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_run_status{run_id=\"01NEW\",state=\"running\"}"),
            1);
  EXPECT_EQ(Value("pipeline_run_info{run_id=\"01NEW\",project=\"proj-c\","
                  "phase=\"phase5_execution\",workstream=\"\"}"),
            1);
  EXPECT_EQ(Value("pipeline_runs{project=\"proj-c\",state=\"running\"}"), 1);

  db_->SetStepState("01NEW", "s1", "completed", "2025-12-05T10:59:00");
  db_->AddEvent("01NEW", "step_completed", "info", "2025-12-05T10:59:00");
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_run_steps{run_id=\"01NEW\",state=\"completed\"}"),
            1);
  EXPECT_FALSE(Value("pipeline_run_steps{run_id=\"01NEW\",state=\"running\"}"))
      << "a step state with no step has no series";
  EXPECT_EQ(Value("pipeline_tracked_steps{project=\"proj-c\","
                  "state=\"completed\"}"),
            1);
  EXPECT_EQ(Value("pipeline_run_last_progress_timestamp_seconds{run_id="
                  "\"01NEW\"}"),
            kNow - 60);

  db_->SetRunState("01NEW", "succeeded", "2025-12-05T10:59:30");
  db_->AddEvent("01NEW", "run_completed", "info", "2025-12-05T10:59:30");
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_run_status{run_id=\"01NEW\",state=\"succeeded\"}"),
            1);
  EXPECT_FALSE(Value("pipeline_run_status{run_id=\"01NEW\",state=\"running\"}"))
      << "only the current state has a series";
  EXPECT_FALSE(
      Value("pipeline_run_steps{run_id=\"01NEW\",state=\"completed\"}"))
      << "an ended run's steps are no longer exposed per run";
  EXPECT_FALSE(
      Value("pipeline_run_last_progress_timestamp_seconds{run_id="
            "\"01NEW\"}"));
  EXPECT_EQ(Value("pipeline_run_end_timestamp_seconds{run_id=\"01NEW\"}"),
            kNow - 30);
  EXPECT_EQ(Value("pipeline_tracked_steps{project=\"proj-c\","
                  "state=\"completed\"}"),
            1)
      << "but they still count in their project's tracked steps";
  EXPECT_EQ(Value("pipeline_runs_finished_total{project=\"proj-c\",state="
                  "\"succeeded\"}"),
            1);
  EXPECT_EQ(Value("pipeline_run_duration_seconds_count{project=\"proj-c\"}"),
            1);
  // prometheus-cpp writes labels in alphabetical order.
  EXPECT_EQ(Value("pipeline_last_success_timestamp_seconds{phase=\"phase5_"
                  "execution\",project=\"proj-c\"}"),
            kNow - 30);
  EXPECT_EQ(Value("pipeline_events_total{event_type=\"run_completed\","
                  "severity=\"info\"}"),
            1);
}

TEST_F(PollerTest, NoticesRunsThatChangeWithoutAnEventAtTheResync) {
  auto poller = StartThenCancelARunSilently();
  clock_->Advance(5 * 60);  // the resync interval has passed
  poller->PollOnce();
  EXPECT_EQ(Status01Running("canceled"), 1);
  EXPECT_EQ(Value("pipeline_runs_finished_total{project=\"proj-a\","
                  "state=\"canceled\"}"),
            1);
  EXPECT_EQ(IntervalResyncs(), 1);
}

TEST_F(PollerTest, DoesNotResyncBeforeTheIntervalHasPassed) {
  auto poller = StartThenCancelARunSilently();
  clock_->Advance(5 * 60 - 1);
  poller->PollOnce();
  EXPECT_EQ(Status01Running("running"), 1) << "read before the interval";
  EXPECT_FALSE(Status01Running("canceled"));
  EXPECT_EQ(IntervalResyncs(), 0);
  clock_->Advance(1);
  poller->PollOnce();
  EXPECT_EQ(Status01Running("canceled"), 1) << "read once it has passed";
  EXPECT_EQ(IntervalResyncs(), 1);
}

TEST_F(PollerTest, MeasuresTheResyncIntervalOnTheMonotonicClock) {
  auto poller = StartThenCancelARunSilently();
  clock_->SetWall(kNow + 10 * 60);  // stepped forward past the interval
  poller->PollOnce();
  EXPECT_EQ(Status01Running("running"), 1)
      << "a wall step brought the resync forward";
  EXPECT_EQ(IntervalResyncs(), 0);
  clock_->SetWall(kNow - 10 * 60);  // and back, before the interval passes
  clock_->Advance(5 * 60);
  poller->PollOnce();
  EXPECT_EQ(Status01Running("canceled"), 1)
      << "a wall step back put the resync off";
  EXPECT_EQ(IntervalResyncs(), 1);
}

TEST_F(PollerTest, StartUpTakesEachTrackedRunsLatestEventTime) {
  FixtureDb db(db_path_);
  db.AddRun({.run_id = "01TALKER"});
  db.AddEvent("01TALKER", "step_started", "info", "2025-12-05T10:30:00Z");
  db.AddEvent("01TALKER", "step_completed", "info", "2025-12-05T10:40:00Z");
  db.AddRun({.run_id = "01QUIET"});  // no events: the read goes to the end
  db.AddRun({.run_id = "01ANCIENT",
             .state = "succeeded",
             .created_at = "2025-12-01T10:00:00",
             .started_at = "2025-12-01T10:00:05",
             .ended_at = "2025-12-01T11:00:00"});  // not tracked
  db.AddEvent("01ANCIENT", "run_completed", "info", "2025-12-05T10:50:00Z");
  db.AddEvent("", "exporter_note", "info", "2025-12-05T10:55:00Z");

  MakePoller()->PollOnce();

  auto progress = [&](const std::string& run) {
    return Value("pipeline_run_last_progress_timestamp_seconds{run_id=\"" +
                 run + "\"}");
  };
  EXPECT_EQ(progress("01TALKER"), kNow - 20 * 60);  // its newest event
  EXPECT_EQ(progress("01QUIET"), kNow - 3600 + 5);  // its start
  EXPECT_FALSE(progress("01ANCIENT"));
}

TEST_F(PollerTest, TellsItsReadListenerWhichRunsItReadAndWhenItReadAll) {
  FixtureDb db(db_path_);
  BuildGoldenFixture(db);
  auto poller = MakePoller();
  std::vector<Poller::ReadRuns> reads;
  poller->SetReadListener(
      [&](const Poller::ReadRuns& read) { reads.push_back(read); });

  poller->PollOnce();  // start-up: the whole table
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_TRUE(reads[0].full_read);

  poller->PollOnce();  // nothing committed: nothing read, nothing told
  EXPECT_EQ(reads.size(), 1u);

  // A new pending run is not the worker's business; a run named by an event
  // (running) and a new terminal row are.
  db.AddRun({.run_id = "01LATER", .state = "pending", .started_at = {}});
  db.AddRun({.run_id = "01DONE",
             .state = "failed",
             .ended_at = "2025-12-05T10:58:00"});
  db.SetStepState("01RUNNING", "s2", "completed", "2025-12-05T10:59:00");
  db.AddEvent("01RUNNING", "step_completed", "info", "2025-12-05T10:59:00");
  poller->PollOnce();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_FALSE(reads[1].full_read);
  std::vector<std::string> runs = reads[1].runs;
  std::sort(runs.begin(), runs.end());
  EXPECT_EQ(runs, (std::vector<std::string>{"01DONE", "01RUNNING"}));

  // A change without an event is not read until the resync, which reads all.
  db.SetRunState("01RUNNING", "canceled", "2025-12-05T10:59:30");
  poller->PollOnce();
  EXPECT_EQ(reads.size(), 2u);
  poller->ResyncAtNextPoll();
  poller->PollOnce();
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_TRUE(reads[2].full_read);
}

TEST_F(PollerTest, DropsEverySeriesOfAPrunedRun) {
  auto poller = StartOnTheGoldenFixture();
  ASSERT_TRUE(Mentions(Body(), "01FAILED"));
  db_->DeleteRun("01FAILED");
  poller->PollOnce();
  EXPECT_FALSE(Mentions(Body(), "01FAILED"));
  EXPECT_EQ(Value("pipeline_runs{project=\"proj-b\",state=\"failed\"}"), 0);
  EXPECT_EQ(Value("pipeline_exporter_resyncs_total{reason=\"mismatch\"}"), 1);
}

TEST_F(PollerTest, ForgetsEndedRunsAfterTheRecentWindow) {
  auto poller = StartOnTheGoldenFixture();
  ASSERT_TRUE(Mentions(Body(), "01SUCCEEDED"));
  clock_->Advance(3600);  // 01SUCCEEDED ended at 10:50, 01FAILED at 10:40
  poller->PollOnce();
  EXPECT_FALSE(Mentions(Body(), "01SUCCEEDED"));
  EXPECT_FALSE(Mentions(Body(), "01FAILED"));
  EXPECT_TRUE(Mentions(Body(), "01RUNNING"));
  EXPECT_EQ(Value("pipeline_exporter_tracked_runs"), 3);
}

TEST_F(PollerTest, ARestartShowsTheSameRunsWithoutABurstOfFinishedRuns) {
  auto first = StartOnTheGoldenFixture();
  const std::string before = Body();
  auto second = MakePoller();
  second->PollOnce();
  // The whole body: on the manual clock, every poll takes 0 s.
  EXPECT_EQ(Body(), before);
  EXPECT_EQ(CountSamples(Body(), "pipeline_runs_finished_total"), 0);
}

TEST_F(PollerTest, CountsOnlyEventsAppendedAfterStartUp) {
  auto poller = StartOnTheGoldenFixture();
  EXPECT_EQ(CountSamples(Body(), "pipeline_events_total"), 0);
  db_->AddEvent("", "checkpoint_saved", "warning");
  db_->AddEvent("", "checkpoint_saved", "bogus-severity");
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_events_total{event_type=\"checkpoint_saved\","
                  "severity=\"warning\"}"),
            1);
  EXPECT_EQ(Value("pipeline_events_total{event_type=\"checkpoint_saved\","
                  "severity=\"other\"}"),
            1);
}

TEST_F(PollerTest, CapsDistinctEventTypesUnderOther) {
  config_.max_event_types = 2;
  FixtureDb db(db_path_);
  auto poller = MakePoller();
  poller->PollOnce();
  for (const char* type : {"a", "b", "c", "d", "a"}) db.AddEvent("", type);
  poller->PollOnce();
  EXPECT_EQ(Value("pipeline_events_total{event_type=\"a\",severity=\"info\"}"),
            2);
  EXPECT_EQ(Value("pipeline_events_total{event_type=\"b\",severity=\"info\"}"),
            1);
  EXPECT_EQ(
      Value("pipeline_events_total{event_type=\"other\",severity=\"info\"}"),
      2);
}

TEST_F(PollerTest, CountsEachUnparsableTimestampOnce) {
  auto poller = StartOnTheGoldenFixture();
  db_->AddEvent("01BADTIME", "step_started", "info", "garbage");
  poller->PollOnce();  // re-reads 01BADTIME
  EXPECT_EQ(
      Value("pipeline_exporter_parse_errors_total{field=\"runs.started_at\"}"),
      1);
  EXPECT_EQ(
      Value("pipeline_exporter_parse_errors_total{field=\"events.timestamp\"}"),
      1);
}

TEST_F(PollerTest, ReadsAnOlderSchemaWithoutUpdatedAt) {
  auto poller = StartOnTheGoldenFixture(/*legacy=*/true);
  EXPECT_EQ(poller->condition(), StateCondition::kOk);
  EXPECT_TRUE(Mentions(Body(), "01RUNNING"));
}

TEST_F(PollerTest, BoundsTrackedRunsAndCountsTheDrops) {
  config_.max_tracked_runs = 2;
  auto poller = StartOnTheGoldenFixture();  // 5 trackable runs
  EXPECT_EQ(Value("pipeline_exporter_tracked_runs"), 2);
  EXPECT_EQ(Value("pipeline_exporter_tracked_runs_dropped_total"), 3);
  EXPECT_EQ(CountSamples(Body(), "pipeline_run_info"), 2);
}

TEST_F(PollerTest, StartsWithTheConfiguredProjectAndFamilySelections) {
  config_.metrics_project_exclude = "proj-b";
  config_.metrics_family_deny = "pipeline_run_start_timestamp_seconds";
  auto poller = StartOnTheGoldenFixture();
  const std::string body = Body();
  EXPECT_EQ(Value("pipeline_run_info{run_id=\"01RUNNING\",project=\"proj-a\","
                  "phase=\"phase5_execution\",workstream=\"ws-1\"}"),
            1)
      << body;
  EXPECT_FALSE(Mentions(body, "run_id=\"01FAILED\""));
  EXPECT_FALSE(Mentions(body, "run_id=\"01PENDING\""));
  EXPECT_EQ(Value("pipeline_exporter_excluded_runs{project=\"proj-b\"}"), 3);
  EXPECT_EQ(CountSamples(body, "pipeline_run_start_timestamp_seconds"), 0);
  EXPECT_EQ(Value("pipeline_exporter_family_hidden{family=\"pipeline_run_"
                  "start_timestamp_seconds\"}"),
            1);
}

TEST_F(PollerTest, ANewProjectSelectionTakesEffectAtTheNextPollByAFullRead) {
  auto poller = StartOnTheGoldenFixture();
  const int tracked = CountSamples(Body(), "pipeline_run_info");
  ASSERT_GT(tracked, 0);
  Result<ProjectSelection> none = ProjectSelection::Make("", ".*");
  ASSERT_TRUE(none.ok());
  poller->SetProjectSelection(*none);
  EXPECT_EQ(CountSamples(Body(), "pipeline_run_info"), tracked)
      << "nothing changes before the poll";
  poller->PollOnce();
  EXPECT_EQ(CountSamples(Body(), "pipeline_run_info"), 0);
  EXPECT_EQ(Value("pipeline_exporter_tracked_runs"), 0);
  EXPECT_EQ(Value("pipeline_exporter_resyncs_total{reason=\"reload\"}"), 1);
  EXPECT_EQ(IntervalResyncs(), 0);

  poller->SetProjectSelection(ProjectSelection());
  poller->PollOnce();
  EXPECT_EQ(CountSamples(Body(), "pipeline_run_info"), tracked)
      << "brought back by the full read";
  EXPECT_EQ(Value("pipeline_exporter_resyncs_total{reason=\"reload\"}"), 2);
  EXPECT_FALSE(Mentions(Body(), "pipeline_exporter_excluded_runs{"));
}

}  // namespace
}  // namespace pe
