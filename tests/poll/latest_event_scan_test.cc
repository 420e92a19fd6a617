#include "exporter/poll/latest_event_scan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_set>

#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::FixtureDb;

// 2025-12-05T10:00:00Z and later minutes of it.
std::string At(int minute) {
  char text[32];
  std::snprintf(text, sizeof(text), "2025-12-05T10:%02d:00Z", minute);
  return text;
}
constexpr double kTen = 1764928800;

class LatestEventScanTest : public ::testing::Test {
 protected:
  LatestEventScanTest()
      : path_(dir_.File("orchestration.db")),
        db_(path_),
        reader_(path_, std::chrono::milliseconds(100), &errors_) {}

  // Opens the reader in a read transaction, as a full read does.
  void Open() {
    ASSERT_TRUE(reader_.Open().ok());
    ASSERT_TRUE(reader_.Begin().ok());
  }
  std::map<std::string, double> Finish(
      LatestEventScan& scan, const std::unordered_set<std::string_view>& ids) {
    auto found = scan.Finish(reader_, ids, &errors_);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::map<std::string, double> out;
    if (found.ok()) out.insert(found->begin(), found->end());
    return out;
  }
  double Errors() const {
    auto totals = errors_.totals();
    auto it = totals.find("events.timestamp");
    return it == totals.end() ? 0 : it->second;
  }

  testing::TempDir dir_;
  std::string path_;
  FixtureDb db_;
  ParseErrors errors_;
  StateReader reader_;
};

TEST_F(LatestEventScanTest, TheNewestEventOfEachWantedRunByIdWins) {
  db_.AddEvent("a", "run_created", "info", At(1));
  db_.AddEvent("b", "run_created", "info", At(2));
  db_.AddEvent("a", "step_started", "info", At(3));
  db_.AddEvent("", "checkpoint", "info", At(4));  // tied to no run
  // The highest id is the latest, whatever its timestamp says.
  db_.AddEvent("b", "step_started", "info", At(0));
  db_.AddEvent("c", "run_created", "info", At(5));  // not wanted
  Open();
  LatestEventScan scan(100);
  const auto latest = Finish(scan, {"a", "b", "z"});
  EXPECT_EQ(latest, (std::map<std::string, double>{{"a", kTen + 180},
                                                   {"b", kTen + 0}}));
}

TEST_F(LatestEventScanTest, RunsMetWhileRecordingNeedNoFurtherRead) {
  for (int i = 0; i < 10; ++i) {
    db_.AddEvent("r" + std::to_string(i), "run_created", "info", At(i));
  }
  Open();
  LatestEventScan scan(100);
  auto more = scan.Record(reader_, 4);  // r9..r6
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more);
  // Newer rows than the scan's snapshot do not exist for it; older wanted
  // runs are read on from where recording stopped.
  const auto latest = Finish(scan, {"r9", "r6", "r1"});
  EXPECT_EQ(latest,
            (std::map<std::string, double>{
                {"r9", kTen + 540}, {"r6", kTen + 360}, {"r1", kTen + 60}}));
}

TEST_F(LatestEventScanTest, RecordingStopsAtMaxRunsWithoutLosingAnOlderEvent) {
  // Newest first: x (new), y, x (older), z, w.
  db_.AddEvent("w", "e", "info", At(1));
  db_.AddEvent("z", "e", "info", At(2));
  db_.AddEvent("x", "e", "info", At(3));
  db_.AddEvent("y", "e", "info", At(4));
  db_.AddEvent("x", "e", "info", At(5));
  Open();
  LatestEventScan scan(2);
  auto more = scan.Record(reader_, 100);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);  // two runs met: x and y
  auto again = scan.Record(reader_, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  const auto latest = Finish(scan, {"x", "y", "z", "w"});
  EXPECT_EQ(latest, (std::map<std::string, double>{{"x", kTen + 300},
                                                   {"y", kTen + 240},
                                                   {"z", kTen + 120},
                                                   {"w", kTen + 60}}));
}

TEST_F(LatestEventScanTest,
       AnUnparsableLatestEventIsReportedOnlyForWantedRuns) {
  db_.AddEvent("a", "e", "info", At(1));
  db_.AddEvent("a", "e", "info", "yesterday");
  db_.AddEvent("b", "e", "info", "not a time");
  db_.AddEvent("c", "e", "info", "");  // missing, not unparsable
  Open();
  LatestEventScan scan(100);
  ASSERT_TRUE(scan.Record(reader_, 100).ok());
  // a's latest is unparsable: no time, not an older one; b is not wanted.
  EXPECT_TRUE(Finish(scan, {"a", "c"}).empty());
  EXPECT_EQ(Errors(), 1);
}

TEST_F(LatestEventScanTest, WithoutRecordingItReadsUntilEveryWantedRunIsMet) {
  db_.AddEvent("old", "e", "info", At(1));
  db_.Exec(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
      "WHERE i < 5000) INSERT INTO events (run_id, event_type, severity, "
      "timestamp) SELECT 'new', 'e', 'info', '" +
      At(2) + "' FROM n");
  Open();
  LatestEventScan scan(0);
  EXPECT_EQ(
      Finish(scan, {"old", "new", "none"}),
      (std::map<std::string, double>{{"old", kTen + 60}, {"new", kTen + 120}}));
}

}  // namespace
}  // namespace pe
