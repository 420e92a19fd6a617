#include "exporter/collector/side_reader.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <unordered_set>

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

TEST_F(SideReaderTest, ReadsTheStepsOfEveryRunAddedInBatchesAndTheRest) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/false).ok());
  for (int i = 0; i < 600; i += 2) side.Add("run" + std::to_string(i));
  side.Add("no-such-run");
  auto read = side.Close({});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  std::map<std::string, StepSummary> steps(read->begin(), read->end());
  ASSERT_EQ(steps.size(), 301u);
  EXPECT_EQ(steps["run10"], StepsOf("run10"));
  EXPECT_EQ(steps["run598"], StepsOf("run598"));
  EXPECT_EQ(steps["no-such-run"], StepSummary{});
  auto latest = side.LatestEvents();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_TRUE(latest->empty());
}

TEST_F(SideReaderTest, AtStartUpAlsoFindsTheLatestEventOfTheWantedRuns) {
  SideReader side(path_, std::chrono::milliseconds(100), &errors_);
  ASSERT_TRUE(side.Start(/*latest_events=*/true).ok());
  side.Add("run3");
  db_.AddEvent("run3", "step_completed", "info", "2025-12-05T10:09:00Z");
  auto steps = side.Close({"run3", "run500"});
  ASSERT_TRUE(steps.ok()) << steps.status().ToString();
  EXPECT_EQ(steps->size(), 1u);
  // The events are read on the side thread after Close: the steps can be
  // applied meanwhile.
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
  auto read = side.Close({});
  EXPECT_FALSE(read.ok());
  EXPECT_FALSE(side.LatestEvents().ok());
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
