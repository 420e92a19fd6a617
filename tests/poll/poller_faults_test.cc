// A damaged, locked or vanished state database never stops the poller: it
// keeps serving the last good data, says what is wrong through metrics, and
// recovers by itself once the file is good again.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>

#include "exporter/common/clock.h"
#include "exporter/poll/poller.h"
#include "tests/support/exposition.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::FixtureDb;
using testing::Mentions;
using testing::Sample;

constexpr double kNow = 1764932400;  // 2025-12-05T11:00:00Z

class PollerFaultsTest : public ::testing::Test {
 protected:
  PollerFaultsTest() : db_path_(dir_.File("orchestration.db")) {
    config_.state_db = db_path_;
    config_.busy_timeout = std::chrono::milliseconds(50);
    // Every poll re-reads everything, so damage is found at the next poll.
    config_.resync_interval = std::chrono::milliseconds(0);
    poller_ =
        std::make_unique<Poller>(config_, std::make_shared<Composer>(store_),
                                 std::make_shared<ManualClock>(kNow));
  }

  static void Populate(FixtureDb& db) {
    db.AddRun({.run_id = "01GOOD"});
    db.AddStep("01GOOD", "s1", "running", "2025-12-05T10:00:05");
    db.AddEvent("01GOOD", "run_started");
  }
  // Builds a good database, closed and checkpointed (no -wal content).
  void MakeGoodDatabase(bool wal = true) {
    FixtureDb db(db_path_, false, wal);
    Populate(db);
    if (wal) db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::string Body() const { return store_->Latest()->body(); }
  double Up() const { return *Sample(Body(), "pipeline_exporter_state_up"); }
  std::optional<double> Condition(const std::string& c) const {
    return Sample(Body(),
                  "pipeline_exporter_state_condition{condition=\"" + c + "\"}");
  }
  // Asserts the poller reports the condition and still serves 01GOOD.
  void ExpectDegraded(StateCondition want) {
    EXPECT_EQ(poller_->condition(), want) << Name(poller_->condition());
    EXPECT_EQ(Up(), 0);
    EXPECT_EQ(Condition(std::string(Name(want))), 1);
    EXPECT_TRUE(Mentions(Body(), "01GOOD")) << "last good data is kept";
  }
  void ExpectRecovered() {
    EXPECT_EQ(poller_->condition(), StateCondition::kOk);
    EXPECT_EQ(Up(), 1);
    EXPECT_TRUE(Mentions(Body(), "01GOOD"));
  }
  static std::string ReadBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void WriteInPlace(const std::string& path, const std::string& bytes) {
    // Same inode: what a botched copy or a disk error does to a live file.
    std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    ::truncate(path.c_str(), static_cast<off_t>(bytes.size()));
  }

  testing::TempDir dir_;
  std::string db_path_;
  Config config_;
  std::shared_ptr<SnapshotStore> store_ = std::make_shared<SnapshotStore>();
  std::unique_ptr<Poller> poller_;
};

TEST_F(PollerFaultsTest, AMissingFileIsReportedAndPickedUpWhenCreated) {
  poller_->PollOnce();
  EXPECT_EQ(poller_->condition(), StateCondition::kMissing);
  EXPECT_EQ(Up(), 0);
  EXPECT_EQ(Condition("missing"), 1);
  EXPECT_EQ(
      Sample(Body(),
             "pipeline_exporter_poll_errors_total{condition=\"missing\"}"),
      1);
  EXPECT_FALSE(std::filesystem::exists(db_path_)) << "never created by us";
  MakeGoodDatabase();
  poller_->PollOnce();
  ExpectRecovered();
}

TEST_F(PollerFaultsTest, ADeletedFileKeepsTheLastDataAndARecreatedOneIsRead) {
  MakeGoodDatabase();
  poller_->PollOnce();
  ExpectRecovered();
  std::filesystem::remove(db_path_);
  std::filesystem::remove(db_path_ + "-wal");
  std::filesystem::remove(db_path_ + "-shm");
  poller_->PollOnce();
  ExpectDegraded(StateCondition::kMissing);

  FixtureDb db(db_path_);
  db.AddRun({.run_id = "01REBORN"});
  poller_->PollOnce();
  EXPECT_EQ(Up(), 1);
  EXPECT_TRUE(Mentions(Body(), "01REBORN"));
  EXPECT_FALSE(Mentions(Body(), "01GOOD")) << "the new file no longer has it";
}

TEST_F(PollerFaultsTest, AWriterHoldingAnExclusiveLockMakesItLockedNotDead) {
  MakeGoodDatabase(/*wal=*/false);  // rollback journal: readers can be locked
  poller_->PollOnce();
  ExpectRecovered();
  {
    FixtureDb writer(db_path_, false, /*wal=*/false);
    writer.Exec("BEGIN EXCLUSIVE");
    writer.AddRun({.run_id = "01INFLIGHT"});
    poller_->PollOnce();
    ExpectDegraded(StateCondition::kLocked);
    writer.Exec("COMMIT");
  }
  poller_->PollOnce();
  ExpectRecovered();
  EXPECT_TRUE(Mentions(Body(), "01INFLIGHT"));
}

TEST_F(PollerFaultsTest, ATruncatedFileIsReportedAndRecoveredWhenRestored) {
  MakeGoodDatabase();
  // Enough rows that the file has many pages.
  {
    FixtureDb db(db_path_);
    db.Exec("BEGIN");
    for (int i = 0; i < 2000; ++i) {
      db.AddRun({.run_id = "01BULK" + std::to_string(i),
                 .state = "succeeded",
                 .ended_at = "2025-12-01T00:00:00"});
    }
    db.Exec("COMMIT");
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  poller_->PollOnce();
  ExpectRecovered();
  const std::string good = ReadBytes(db_path_);
  WriteInPlace(db_path_, good.substr(0, good.size() / 2));
  poller_->PollOnce();
  EXPECT_NE(poller_->condition(), StateCondition::kOk);
  EXPECT_EQ(Up(), 0);
  EXPECT_TRUE(Mentions(Body(), "01GOOD")) << "last good data is kept";
  WriteInPlace(db_path_, good);
  poller_->PollOnce();
  ExpectRecovered();
}

TEST_F(PollerFaultsTest, GarbageInPlaceOfTheFileIsCorrupt) {
  MakeGoodDatabase();
  poller_->PollOnce();
  const std::string good = ReadBytes(db_path_);
  std::string garbage(good.size(), '\0');
  std::mt19937 rng(7);
  for (char& c : garbage) c = static_cast<char>(rng());
  WriteInPlace(db_path_, garbage);
  poller_->PollOnce();
  ExpectDegraded(StateCondition::kCorrupt);
  WriteInPlace(db_path_, good);
  poller_->PollOnce();
  ExpectRecovered();
}

TEST_F(PollerFaultsTest, AMissingTableIsASchemaProblem) {
  MakeGoodDatabase();
  poller_->PollOnce();
  {
    SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE events RENAME TO events_old");
  }
  poller_->PollOnce();
  ExpectDegraded(StateCondition::kSchema);
  {
    SQLite::Database db(db_path_, SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE events_old RENAME TO events");
  }
  poller_->PollOnce();
  ExpectRecovered();
}

TEST_F(PollerFaultsTest, AMissingRequiredColumnIsASchemaProblem) {
  {
    SQLite::Database db(db_path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, project_id TEXT, "
        "state TEXT, created_at TEXT);"
        "CREATE TABLE steps (run_id TEXT, step_id TEXT, name TEXT, state TEXT);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, run_id TEXT, "
        "event_type TEXT, severity TEXT, timestamp TEXT);");
  }
  poller_->PollOnce();
  EXPECT_EQ(poller_->condition(), StateCondition::kSchema);
  EXPECT_FALSE(store_->ready());
}

TEST_F(PollerFaultsTest, AnEmptyFileIsASchemaProblem) {
  std::ofstream(db_path_).close();
  poller_->PollOnce();
  EXPECT_EQ(poller_->condition(), StateCondition::kSchema);
  EXPECT_EQ(std::filesystem::file_size(db_path_), 0u) << "never written";
}

// Runs `polls` and returns what they logged.
std::string LogsOf(const std::function<void()>& polls) {
  ::testing::internal::CaptureStderr();
  polls();
  return ::testing::internal::GetCapturedStderr();
}

int Count(const std::string& logs, const std::string& needle) {
  int n = 0;
  for (std::size_t p = logs.find(needle); p != std::string::npos;
       p = logs.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

TEST_F(PollerFaultsTest, BeforeTheDatabaseExistsItSaysOnceThatItWaits) {
  const std::string logs = LogsOf([&] {
    for (int i = 0; i < 3; ++i) poller_->PollOnce();  // no file
    std::ofstream(db_path_).close();                  // a file, no tables
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
    std::filesystem::remove(db_path_);  // gone again
    poller_->PollOnce();
    MakeGoodDatabase();
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
  });
  EXPECT_EQ(Count(logs, "level=info msg=\"waiting for the state database\""), 1)
      << logs;
  EXPECT_EQ(Count(logs, "condition=missing"), 1) << logs;
  EXPECT_EQ(Count(logs, "db=" + db_path_), 2) << "waiting, then readable";
  EXPECT_EQ(Count(logs, "msg=\"state database readable\""), 1) << logs;
  EXPECT_EQ(Count(logs, "last good data"), 0) << "there never was any";
  EXPECT_EQ(Count(logs, "level=warn"), 0) << logs;
}

TEST_F(PollerFaultsTest, ADatabaseThatIsThereButUnreadableAtStartIsAWarning) {
  std::ofstream(db_path_) << std::string(8192, 'x');  // not a database
  const std::string logs = LogsOf([&] {
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
  });
  EXPECT_EQ(poller_->condition(), StateCondition::kCorrupt);
  EXPECT_EQ(Count(logs, "level=warn msg=\"cannot read state database\""), 1)
      << logs;
  EXPECT_EQ(Count(logs, "condition=corrupt"), 1) << logs;
  EXPECT_EQ(Count(logs, "last good data"), 0) << "there never was any";
}

TEST_F(PollerFaultsTest, OnceDataWasServedEachChangeOfConditionIsWarnedOnce) {
  MakeGoodDatabase();
  const std::string logs = LogsOf([&] {
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
    std::filesystem::rename(db_path_, db_path_ + ".away");
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
    std::filesystem::rename(db_path_ + ".away", db_path_);
    for (int i = 0; i < 3; ++i) poller_->PollOnce();
  });
  EXPECT_EQ(Count(logs,
                  "level=warn msg=\"cannot read state database; serving the "
                  "last good data\""),
            1)
      << logs;
  EXPECT_EQ(Count(logs, "condition=missing"), 1) << logs;
  EXPECT_EQ(Count(logs, "msg=\"state database readable again\""), 1) << logs;
  EXPECT_EQ(Count(logs, "waiting for the state database"), 0) << logs;
}

}  // namespace
}  // namespace pe
