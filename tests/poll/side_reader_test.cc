#include "exporter/poll/side_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::FixtureDb;

class SideReaderTest : public ::testing::Test {
 protected:
  SideReaderTest() : path_(dir_.File("orchestration.db")), db_(path_) {
    SQLite::Transaction batch(db_.db());
    for (int i = 0; i < 600; ++i) {
      const std::string id = "run" + std::to_string(i);
      db_.AddRun({.run_id = id});
      db_.AddStep(id, "s1", "completed", "2025-12-05T10:00:05",
                  "2025-12-05T10:01:00");
      db_.AddStep(id, "s2", i % 2 ? "failed" : "running", "2025-12-05T10:01:00",
                  std::nullopt, "boom " + id);
      db_.AddEvent(id, "step_started", "info", "2025-12-05T10:02:00Z");
    }
    batch.commit();
  }
  // The steps as the poller's own connection reads them.
  StepSummary StepsOf(const std::string& id) {
    StateReader reader(path_, std::chrono::milliseconds(100), &errors_);
    EXPECT_TRUE(reader.Open().ok());
    return reader.Steps(id).value();
  }

  testing::TempDir dir_;
  std::string path_;
  FixtureDb db_;
  ParseErrors errors_;
};

TEST_F(SideReaderTest, ReadsTheStepsOfTheRunsAddedOrGivesThemBackAtClose) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/false).ok());
  for (int i = 0; i < 600; i += 2) side.Add("run" + std::to_string(i));
  side.Add("no-such-run");
  // The batch not handed over yet (45 runs) at least comes back unread.
  const std::vector<std::string> unread = side.Close({});
  EXPECT_GE(unread.size(), 45u);
  auto read = side.TakeSteps();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  std::map<std::string, StepSummary> steps(read->begin(), read->end());
  // Every run either read or given back, once.
  EXPECT_EQ(steps.size() + unread.size(), 301u);
  for (const std::string& id : unread) EXPECT_EQ(steps.count(id), 0u) << id;
  std::set<std::string> named(unread.begin(), unread.end());
  for (const auto& [id, summary] : steps) named.insert(id);
  EXPECT_EQ(named.size(), 301u);
  EXPECT_EQ(named.count("no-such-run"), 1u);
  for (const auto& [id, summary] : steps) {
    EXPECT_EQ(summary, StepsOf(id)) << id;
  }
  auto latest = side.LatestEvents();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_TRUE(latest->empty());
}

TEST_F(SideReaderTest, ReadsEveryBatchHandedOverBeforeClose) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/false).ok());
  for (int i = 0; i < 512; ++i) side.Add("run" + std::to_string(i));
  // Two full batches handed over; once the first is read, the second is
  // begun or still queued.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::vector<std::string> unread = side.Close({});
  auto read = side.TakeSteps();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->size() + unread.size(), 512u);
  EXPECT_GE(read->size(), 256u);
  EXPECT_TRUE(side.LatestEvents().ok());
}

TEST_F(SideReaderTest, AtStartUpAlsoFindsTheLatestEventOfTheWantedRuns) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/true).ok());
  side.Add("run3");
  db_.AddEvent("run3", "step_completed", "info", "2025-12-05T10:09:00Z");
  const std::vector<std::string> unread = side.Close({"run3", "run500"});
  EXPECT_EQ(unread, std::vector<std::string>{"run3"});  // never handed over
  auto steps = side.TakeSteps();
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_TRUE(steps->empty());
  // The events are read on the side thread after Close: the steps can be
  // read and applied meanwhile.
  auto read = side.LatestEvents();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  std::map<std::string, double> latest(read->begin(), read->end());
  // 10:02 or 10:09 for run3, depending on whether the event committed
  // before the side connection's first read: its snapshot is its own.
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest["run500"], 1764928920);
  EXPECT_GE(latest["run3"], 1764928920);
}

TEST_F(SideReaderTest, AnErrorOfTheSideConnectionComesBackFromClose) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/false).ok());
  // The orchestrator's file loses its steps table under the reader.
  db_.Exec("DROP TABLE steps");
  for (int i = 0; i < 300; ++i) side.Add("run" + std::to_string(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The batch handed over was begun (an error), unless the reading thread
  // had not woken yet: then every run comes back unread.
  const std::vector<std::string> unread = side.Close({});
  auto steps = side.TakeSteps();
  EXPECT_TRUE(unread.size() == 300u || !steps.ok()) << unread.size();
  // The error stays the reader's answer to the end.
  EXPECT_EQ(side.LatestEvents().ok(), steps.ok());
}

TEST_F(SideReaderTest, CannotStartWithoutTheFile) {
  SideReader side(dir_.File("missing.db"), std::chrono::milliseconds(100),
                  &errors_);
  EXPECT_EQ(side.Start(false).code(), Status::Code::kNotFound);
}

TEST_F(SideReaderTest, StoppedWithoutFinishItJoinsItsThread) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/true).ok());
  for (int i = 0; i < 300; ++i) side.Add("run" + std::to_string(i));
  // Destroyed here, as when the runs scan fails: no crash, no leak.
}

}  // namespace
}  // namespace pe
