#include "exporter/state/state_reader.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::FixtureDb;
using ::testing::HasSubstr;

// 2025-12-05T10:00:00Z
constexpr double kTen = 1764928800;

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class StateReaderTest : public ::testing::Test {
 protected:
  StateReaderTest()
      : path_(dir_.File("orchestration.db")),
        db_(path_),
        reader_(path_, std::chrono::milliseconds(100), &errors_) {}

  void Open() {
    Status s = reader_.Open();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  double ParseErrorsOf(const std::string& field) const {
    const auto totals = errors_.totals();
    const auto it = totals.find(field);
    return it == totals.end() ? 0 : it->second;
  }

  testing::TempDir dir_;
  std::string path_;
  FixtureDb db_;
  ParseErrors errors_;
  StateReader reader_;
};

// ---- Opening ----

TEST(StateReaderOpenTest, AMissingFileIsNotFoundAndIsNotCreated) {
  testing::TempDir dir;
  ParseErrors errors;
  const std::string path = dir.File("absent.db");
  StateReader reader(path, std::chrono::milliseconds(100), &errors);
  const Status s = reader.Open();
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "state database '" + path + "' does not exist");
  EXPECT_FALSE(reader.is_open());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(StateReaderOpenTest, ADirectoryIsNotADatabase) {
  testing::TempDir dir;
  ParseErrors errors;
  StateReader reader(dir.path().string(), std::chrono::milliseconds(100),
                     &errors);
  const Status s = reader.Open();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("is not a regular file"));
}

TEST(StateReaderOpenTest, AFileThatIsNotSqliteIsCorruption) {
  testing::TempDir dir;
  ParseErrors errors;
  const std::string path = dir.File("state.db");
  std::ofstream(path) << std::string(4096, 'x');
  StateReader reader(path, std::chrono::milliseconds(100), &errors);
  const Status s = reader.Open();
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_FALSE(reader.is_open());
}

TEST(StateReaderOpenTest, AMissingTableOrRequiredColumnIsNotFound) {
  struct Case {
    const char* schema;
    const char* problem;
  };
  const Case cases[] = {
      {"CREATE TABLE runs (run_id, project_id, phase_id, state, created_at);"
       "CREATE TABLE steps (run_id, step_id, name, state);",
       "table 'events' is missing"},
      {"CREATE TABLE runs (run_id, phase_id, state, created_at);"
       "CREATE TABLE steps (run_id, step_id, name, state);"
       "CREATE TABLE events (id, event_type, severity, timestamp);",
       "column 'runs.project_id' is missing"},
      {"CREATE TABLE runs (run_id, project_id, phase_id, state, created_at);"
       "CREATE TABLE steps (run_id, step_id, state);"
       "CREATE TABLE events (id, event_type, severity, timestamp);",
       "column 'steps.name' is missing"},
  };
  for (const Case& c : cases) {
    testing::TempDir dir;
    const std::string path = dir.File("state.db");
    SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE)
        .exec(c.schema);
    ParseErrors errors;
    StateReader reader(path, std::chrono::milliseconds(100), &errors);
    const Status s = reader.Open();
    EXPECT_EQ(s.code(), Status::Code::kNotFound) << c.problem;
    EXPECT_THAT(s.message(), HasSubstr(c.problem));
    EXPECT_FALSE(reader.is_open());
  }
}

TEST(StateReaderOpenTest, OptionalColumnsMayBeMissing) {
  testing::TempDir dir;
  const std::string path = dir.File("state.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(
        "CREATE TABLE runs (run_id, project_id, phase_id, state, created_at);"
        "CREATE TABLE steps (run_id, step_id, name, state);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, event_type, severity, "
        "timestamp);"
        "INSERT INTO runs VALUES ('r1', 'p', 'ph', 'failed', "
        "'2025-12-05T10:00:00');"
        "INSERT INTO steps VALUES ('r1', 's1', 'build', 'failed');"
        "INSERT INTO events VALUES (1, 'run_failed', 'error', "
        "'2025-12-05T10:00:00');");
  }
  ParseErrors errors;
  StateReader reader(path, std::chrono::milliseconds(100), &errors);
  const Status opened = reader.Open();
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  auto run = reader.Run("r1");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->run.workstream, "");
  EXPECT_EQ((*run)->run.started_at, std::nullopt);
  EXPECT_EQ((*run)->run.ended_at, std::nullopt);
  EXPECT_EQ((*run)->run.created_at, kTen);
  auto steps = reader.Steps("r1");
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_EQ(steps->count(StepState::kFailed), 1);
  ASSERT_NE(steps->failure, nullptr);
  EXPECT_EQ(steps->failure->step, "build");
  EXPECT_EQ(steps->failure->reason, "");
  auto events = reader.EventsAfter(0, 10);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].run_id, "");
  // Without the column no event is tied to a run.
  ASSERT_TRUE(reader.Begin().ok());
  bool more = true;
  int seen = 0;
  ASSERT_TRUE(reader
                  .NextEventsNewestFirst(
                      10, &more,
                      [&](int64_t, std::string_view, std::string_view) {
                        ++seen;
                        return true;
                      })
                  .ok());
  reader.End();
  EXPECT_EQ(seen, 0);
  EXPECT_FALSE(more);
}

TEST_F(StateReaderTest, CallsBeforeOpenAreInternalErrors) {
  EXPECT_FALSE(reader_.is_open());
  EXPECT_EQ(reader_.CountRuns().status().code(), Status::Code::kInternal);
  EXPECT_THAT(reader_.CountRuns().status().message(),
              HasSubstr("database not open"));
  EXPECT_EQ(reader_.Begin().code(), Status::Code::kInternal);
}

TEST_F(StateReaderTest, OpeningAgainKeepsTheConnectionUntilTheFileIsReplaced) {
  db_.AddRun({.run_id = "old"});
  Open();
  Open();
  EXPECT_TRUE(reader_.is_open());
  EXPECT_FALSE(reader_.FileReplaced());

  // The orchestrator recreates its database: another inode at the path.
  const std::string fresh = dir_.File("fresh.db");
  {
    FixtureDb other(fresh, /*legacy=*/false, /*wal=*/false);
    other.AddRun({.run_id = "new"});
  }
  // Without the old file's -wal and -shm: SQLite would read a WAL it finds
  // beside the new file as the new file's.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path_ + suffix);
  }
  std::filesystem::rename(fresh, path_);
  EXPECT_TRUE(reader_.FileReplaced());
  Open();
  EXPECT_FALSE(reader_.FileReplaced());
  auto runs = reader_.RunsAfterRowid(0);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].run.run_id, "new");

  reader_.Close();
  EXPECT_FALSE(reader_.is_open());
}

TEST(StateReaderOpenTest, NeverWritesTheFile) {
  testing::TempDir dir;
  const std::string path = dir.File("state.db");
  {
    FixtureDb db(path, /*legacy=*/false, /*wal=*/false);
    db.AddRun({.run_id = "r1"});
    db.AddStep("r1", "s1", "failed");
    db.AddEvent("r1", "run_created");
  }
  const std::string before = FileBytes(path);
  {
    ParseErrors errors;
    StateReader reader(path, std::chrono::milliseconds(100), &errors);
    ASSERT_TRUE(reader.Open().ok());
    ASSERT_TRUE(reader.Begin().ok());
    ASSERT_TRUE(reader.CountRuns().ok());
    ASSERT_TRUE(reader.Steps("r1").ok());
    ASSERT_TRUE(reader.EventsAfter(0, 10).ok());
    reader.End();
  }
  EXPECT_EQ(FileBytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

// ---- Runs ----

TEST_F(StateReaderTest, ReadsRunsByIdByRowidAndAll) {
  db_.AddRun({.run_id = "r1",
              .workstream = "ws-001",
              .state = "succeeded",
              .ended_at = "2025-12-05T10:10:00Z"});
  db_.AddRun({.run_id = "r2", .state = "running"});
  db_.AddRun({.run_id = "r3", .state = "exploded"});
  Open();

  EXPECT_EQ(*reader_.CountRuns(), 3);
  auto r1 = reader_.Run("r1");
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(r1->has_value());
  const RunRow& row = (*r1)->run;
  EXPECT_EQ(row.run_id, "r1");
  EXPECT_EQ(row.project, "proj-a");
  EXPECT_EQ(row.phase, "phase5_execution");
  EXPECT_EQ(row.workstream, "ws-001");
  EXPECT_EQ(row.state, RunState::kSucceeded);
  EXPECT_EQ(row.created_at, kTen);
  EXPECT_EQ(row.started_at, kTen + 5);
  EXPECT_EQ(row.ended_at, kTen + 600);
  EXPECT_FALSE(reader_.Run("pruned")->has_value());

  auto after = reader_.RunsAfterRowid((*r1)->rowid);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].run.run_id, "r2");
  EXPECT_EQ((*after)[1].run.run_id, "r3");
  EXPECT_LT((*after)[0].rowid, (*after)[1].rowid);
  EXPECT_EQ((*after)[0].run.workstream, "");  // NULL
  EXPECT_EQ((*after)[1].run.state, RunState::kUnknown);
  EXPECT_TRUE(reader_.RunsAfterRowid((*after)[1].rowid)->empty());
}

TEST_F(StateReaderTest, ForEachRunStreamsNewestFirst) {
  for (const char* id : {"a", "b", "c"}) db_.AddRun({.run_id = id});
  db_.SetRunState("b", "failed", "2025-12-05T10:01:00");
  Open();
  std::vector<std::pair<std::string, std::optional<double>>> seen;
  std::vector<int64_t> rowids;
  ASSERT_TRUE(reader_
                  .ForEachRun([&](int64_t rowid, const RunRowSource& run) {
                    rowids.push_back(rowid);
                    seen.emplace_back(std::string(run.run_id()),
                                      run.ended_at());
                    RunRow full;
                    run.Fill(&full);
                    EXPECT_EQ(full.run_id, run.run_id());
                    EXPECT_EQ(full.state, run.state());
                    EXPECT_EQ(full.ended_at, run.ended_at());
                  })
                  .ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, "c");
  EXPECT_EQ(seen[1].first, "b");
  EXPECT_EQ(seen[1].second, kTen + 60);
  EXPECT_EQ(seen[2].first, "a");
  EXPECT_EQ(seen[2].second, std::nullopt);
  EXPECT_GT(rowids[0], rowids[1]);
  EXPECT_GT(rowids[1], rowids[2]);
}

TEST_F(StateReaderTest, AnUnparsableRunTimeIsMissingAndCounted) {
  db_.AddRun({.run_id = "r1",
              .created_at = "not a time",
              .ended_at = "2025-13-45T99:00:00"});
  Open();
  auto run = reader_.Run("r1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ((*run)->run.created_at, std::nullopt);
  EXPECT_EQ((*run)->run.ended_at, std::nullopt);
  EXPECT_EQ(ParseErrorsOf("runs.created_at"), 1);
  EXPECT_EQ(ParseErrorsOf("runs.ended_at"), 1);
  EXPECT_EQ(ParseErrorsOf("runs.started_at"), 0);
}

// ---- Events ----

TEST_F(StateReaderTest, EventsAfterReadsInIdOrderUpToTheLimit) {
  db_.AddEvent("r1", "run_created", "info", "2025-12-05T10:00:00Z");
  db_.AddEvent("", "scheduler_heartbeat", "debug", "2025-12-05T10:01:00Z");
  db_.AddEvent("r1", "step_failed", "error", "garbage");
  db_.AddEvent("r2", "run_created", "info", "2025-12-05T10:03:00Z");
  Open();
  EXPECT_EQ(*reader_.MaxEventId(), 4);

  auto first = reader_.EventsAfter(0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id, 1);
  EXPECT_EQ((*first)[0].run_id, "r1");
  EXPECT_EQ((*first)[0].event_type, "run_created");
  EXPECT_EQ((*first)[0].severity, "info");
  EXPECT_EQ((*first)[0].timestamp, kTen);
  EXPECT_EQ((*first)[1].run_id, "");  // NULL: tied to no run

  auto rest = reader_.EventsAfter(2, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].id, 3);
  EXPECT_EQ((*rest)[0].timestamp, std::nullopt);
  EXPECT_EQ(ParseErrorsOf("events.timestamp"), 1);
  EXPECT_EQ((*rest)[1].id, 4);
  EXPECT_TRUE(reader_.EventsAfter(4, 100)->empty());
}

TEST_F(StateReaderTest, MaxEventIdOfNoEventsIsZero) {
  Open();
  EXPECT_EQ(*reader_.MaxEventId(), 0);
  EXPECT_TRUE(reader_.EventsAfter(0, 10)->empty());
}

TEST_F(StateReaderTest, EventTimestampIsTheRawTextOrEmpty) {
  db_.AddEvent("r1", "run_created", "info", "2025-12-05 10:00:00");
  Open();
  EXPECT_EQ(*reader_.EventTimestamp(1), "2025-12-05 10:00:00");
  EXPECT_EQ(*reader_.EventTimestamp(2), "");
}

TEST_F(StateReaderTest, NextEventsNewestFirstPagesThroughRunEvents) {
  for (int i = 0; i < 5; ++i) {
    db_.AddEvent("r" + std::to_string(i), "run_created", "info",
                 "2025-12-05T10:0" + std::to_string(i) + ":00Z");
    db_.AddEvent("", "scheduler_heartbeat", "debug");  // skipped
  }
  Open();
  ASSERT_TRUE(reader_.Begin().ok());
  std::vector<std::string> seen;
  const auto record = [&](int64_t, std::string_view run_id,
                          std::string_view timestamp) {
    seen.push_back(std::string(run_id) + "@" + std::string(timestamp));
    return true;
  };
  bool more = false;
  ASSERT_TRUE(reader_.NextEventsNewestFirst(2, &more, record).ok());
  EXPECT_TRUE(more);
  ASSERT_TRUE(reader_.NextEventsNewestFirst(2, &more, record).ok());
  EXPECT_TRUE(more);
  ASSERT_TRUE(reader_.NextEventsNewestFirst(2, &more, record).ok());
  EXPECT_FALSE(more);
  reader_.End();
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "r4@2025-12-05T10:04:00Z", "r3@2025-12-05T10:03:00Z",
                      "r2@2025-12-05T10:02:00Z", "r1@2025-12-05T10:01:00Z",
                      "r0@2025-12-05T10:00:00Z"}));
}

TEST_F(StateReaderTest, NextEventsNewestFirstStopsWhenAskedTo) {
  for (int i = 0; i < 3; ++i) db_.AddEvent("r" + std::to_string(i), "e");
  Open();
  ASSERT_TRUE(reader_.Begin().ok());
  std::vector<int64_t> ids;
  bool more = false;
  // One call that records ids, going on as long as go_on says.
  const auto next = [&](bool go_on) {
    return reader_.NextEventsNewestFirst(
        10, &more, [&](int64_t id, std::string_view, std::string_view) {
          ids.push_back(id);
          return go_on;
        });
  };
  ASSERT_TRUE(next(false).ok());
  EXPECT_EQ(ids, std::vector<int64_t>{3});
  EXPECT_TRUE(more);
  // The next call goes on after the row it stopped at.
  ASSERT_TRUE(next(true).ok());
  EXPECT_FALSE(more);
  reader_.End();
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 2, 1}));
}

// ---- Steps ----

TEST_F(StateReaderTest, StepsAreCountedByStateWithTheirLatestActivity) {
  db_.AddRun({.run_id = "r1"});
  db_.AddStep("r1", "s1", "completed", "2025-12-05T10:00:10",
              "2025-12-05T10:00:20");
  db_.AddStep("r1", "s2", "running", "2025-12-05T10:00:30");
  db_.AddStep("r1", "s3", "pending");
  db_.AddStep("r1", "s4", "skipped");
  db_.AddStep("r1", "s5", "waiting");  // not a contract state
  db_.AddStep("r2", "s1", "failed", "2025-12-05T11:00:00");
  Open();
  auto steps = reader_.Steps("r1");
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_EQ(steps->count(StepState::kCompleted), 1);
  EXPECT_EQ(steps->count(StepState::kRunning), 1);
  EXPECT_EQ(steps->count(StepState::kPending), 1);
  EXPECT_EQ(steps->count(StepState::kSkipped), 1);
  EXPECT_EQ(steps->count(StepState::kFailed), 0);
  EXPECT_EQ(steps->unknown, 1);
  EXPECT_EQ(steps->last_activity, kTen + 30);
  EXPECT_EQ(steps->failure, nullptr);

  auto none = reader_.Steps("no-such-run");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, StepSummary{});
}

TEST_F(StateReaderTest, TheFirstFailedStepIsTheEarliestToEnd) {
  db_.AddRun({.run_id = "r1"});
  db_.AddStep("r1", "s1", "failed", "2025-12-05T10:00:00",
              "2025-12-05T10:05:00", "late");
  db_.AddStep("r1", "s2", "failed", "2025-12-05T10:03:00",
              "2025-12-05T10:04:00", "first to end");
  db_.AddStep("r1", "s3", "failed", std::nullopt, std::nullopt, "never ran");
  Open();
  auto steps = reader_.Steps("r1");
  ASSERT_TRUE(steps.ok());
  ASSERT_NE(steps->failure, nullptr);
  EXPECT_EQ(*steps->failure, (StepFailure{"step s2", "first to end"}));
  EXPECT_EQ(steps->count(StepState::kFailed), 3);
}

TEST_F(StateReaderTest, FailedStepTiesGoToTheEarlierStartThenTheLowerId) {
  db_.AddRun({.run_id = "r1"});
  const char* end = "2025-12-05T10:05:00";
  db_.AddStep("r1", "b", "failed", "2025-12-05T10:01:00", end, "b");
  db_.AddStep("r1", "c", "failed", "2025-12-05T10:00:00", end, "c");
  db_.AddStep("r1", "a", "failed", "2025-12-05T10:00:00", end, "a");
  Open();
  EXPECT_EQ(reader_.Steps("r1")->failure->reason, "a");
}

TEST_F(StateReaderTest, AFailedStepWithoutANameIsNamedByItsId) {
  db_.AddRun({.run_id = "r1"});
  db_.AddStep("r1", "s1", "failed", std::nullopt, std::nullopt, "boom");
  db_.Exec("UPDATE steps SET name = '' WHERE step_id = 's1'");
  Open();
  EXPECT_EQ(reader_.Steps("r1")->failure->step, "s1");
}

TEST_F(StateReaderTest, ErrorMessagesAreReadUpToFourKilobytes) {
  db_.AddRun({.run_id = "r1"});
  db_.AddStep("r1", "s1", "failed", std::nullopt, std::nullopt,
              std::string(10000, 'e'));
  Open();
  EXPECT_EQ(reader_.Steps("r1")->failure->reason, std::string(4096, 'e'));
}

TEST_F(StateReaderTest, AnUnparsableStepTimeIsCountedAndIgnored) {
  db_.AddRun({.run_id = "r1"});
  db_.AddStep("r1", "s1", "completed", "soon", "2025-12-05T10:02:00");
  Open();
  auto steps = reader_.Steps("r1");
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(steps->last_activity, kTen + 120);
  EXPECT_EQ(ParseErrorsOf("steps.started_at"), 1);
}

// ---- Snapshots and change detection ----

TEST_F(StateReaderTest, DataVersionMovesWhenAnotherConnectionCommits) {
  Open();
  const int64_t before = *reader_.DataVersion();
  EXPECT_EQ(*reader_.DataVersion(), before);
  db_.AddRun({.run_id = "r1"});
  EXPECT_NE(*reader_.DataVersion(), before);
}

TEST_F(StateReaderTest, ReadsBetweenBeginAndEndShareOneSnapshot) {
  db_.AddRun({.run_id = "r1"});
  Open();
  ASSERT_TRUE(reader_.Begin().ok());
  EXPECT_EQ(*reader_.CountRuns(), 1);
  db_.AddRun({.run_id = "r2"});
  EXPECT_EQ(*reader_.CountRuns(), 1);
  EXPECT_FALSE(reader_.Run("r2")->has_value());
  reader_.End();
  EXPECT_EQ(*reader_.CountRuns(), 2);
}

TEST_F(StateReaderTest, CheckFileTellsAWriteFromDamage) {
  Open();
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kNone);

  // A checkpoint writes the main file (in WAL mode commits go to -wal).
  for (int i = 0; i < 200; ++i) db_.AddRun({.run_id = "r" + std::to_string(i)});
  db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kWritten);
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kNone);

  // Garbage over the header (and the file a little longer).
  {
    const int fd = ::open(path_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "garbage garbage!", 16, 0), 16);
    const off_t size = ::lseek(fd, 0, SEEK_END);
    ASSERT_EQ(::pwrite(fd, "x", 1, size), 1);
    ::close(fd);
  }
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kSuspect);
}

TEST_F(StateReaderTest, CheckFileSuspectsAShrunkOrMissingFile) {
  for (int i = 0; i < 200; ++i) db_.AddRun({.run_id = "r" + std::to_string(i)});
  db_.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  Open();
  const auto size = std::filesystem::file_size(path_);
  std::filesystem::resize_file(path_, size / 2);
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kSuspect);

  std::filesystem::remove(path_);
  EXPECT_EQ(reader_.CheckFile(), StateReader::FileChange::kSuspect);
  EXPECT_TRUE(reader_.FileReplaced());
}

}  // namespace
}  // namespace pe
