#include "exporter/worker/backfill.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "exporter/worker/job_queue.h"
#include "exporter/worker/worker_store.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

// 2025-12-05T12:00:00Z: the worker's first start in these tests.
constexpr double kFirstStart = 1764936000;

TEST(BackfillSinceTest, NoneADurationAndAll) {
  EXPECT_EQ(BackfillSince(kFirstStart, kBackfillNone), kFirstStart);
  EXPECT_EQ(BackfillSince(kFirstStart, hours(24)), kFirstStart - 86400);
  EXPECT_EQ(BackfillSince(kFirstStart, milliseconds(1500)), kFirstStart - 1.5);
  const double all = BackfillSince(kFirstStart, kBackfillAll);
  EXPECT_TRUE(std::isinf(all) && all < 0);
}

TEST(BackfillPacerTest, AllowsTheRateOverTimeAndABurstAtMost) {
  BackfillPacer pacer(/*rate=*/2, /*burst=*/4);
  EXPECT_EQ(pacer.Allowance(100, 1000), 4u);  // the first call: a burst
  pacer.Took(4);
  EXPECT_EQ(pacer.Allowance(100, 1000), 0u);
  EXPECT_EQ(pacer.Allowance(100.5, 1000), 1u);
  EXPECT_EQ(pacer.Allowance(101, 1000), 2u);
  pacer.Took(2);
  EXPECT_EQ(pacer.Allowance(200, 1000), 4u);  // idle time is not saved up
  EXPECT_EQ(pacer.Allowance(200, 3), 3u);     // nor more than asked
  // A clock that went back gives nothing new, and takes nothing away.
  EXPECT_EQ(pacer.Allowance(150, 1000), 4u);
}

TEST(BackfillPacerTest, RateZeroIsNoLimitAndABurstIsAtLeastOne) {
  BackfillPacer unlimited(0, 0);
  EXPECT_EQ(unlimited.Allowance(0, 200), 200u);
  unlimited.Took(200);
  EXPECT_EQ(unlimited.Allowance(0, 200), 200u);
  BackfillPacer slow(0.1, 0.5);
  EXPECT_EQ(slow.Allowance(0, 200), 1u);
  slow.Took(1);
  EXPECT_EQ(slow.Allowance(5, 200), 0u);
  EXPECT_EQ(slow.Allowance(10, 200), 1u);
}

// A queue whose first start is kFirstStart, with a 24h window, over runs
// that ended long before it, within the window, and after it.
class BackfillQueueTest : public ::testing::Test {
 protected:
  BackfillQueueTest() : db_(dir_.File("state.db")) {
    AddEnded("ancient", "2025-11-01T00:00:00Z");       // before the window
    AddEnded("yesterday", "2025-12-04T18:00:00");      // within it
    AddEnded("this-morning", "2025-12-05 06:00:00");   // within it, newer
    AddEnded("fresh-2", "2025-12-05T13:30:00+00:00");  // after the start
    AddEnded("fresh-1", "2025-12-05T12:30:00.5Z");
    auto store = WorkerStore::Open(db_.path(), {});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    queue_ = std::make_unique<JobQueue>(store_.get());
    queue_->set_window(kFirstStart, BackfillSince(kFirstStart, hours(24)));
  }

  void AddEnded(const std::string& run_id, const std::string& ended_at) {
    db_.AddRun({.run_id = run_id, .state = "succeeded", .ended_at = ended_at});
  }

  std::vector<std::string> ClaimAll() {
    std::vector<std::string> order;
    for (;;) {
      auto jobs = queue_->Claim("me", 60, kFirstStart + 7200, 1);
      EXPECT_TRUE(jobs.ok());
      if (!jobs.ok() || jobs->empty()) return order;
      order.push_back(jobs->front().run_id +
                      (jobs->front().backfill ? "*" : ""));
      EXPECT_TRUE(queue_
                      ->Advance("me", jobs->front().run_id, JobStage::kDone,
                                kFirstStart + 7200)
                      .ok());
    }
  }

  testing::TempDir dir_;
  testing::FixtureDb db_;
  std::unique_ptr<WorkerStore> store_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(BackfillQueueTest, TheScanTakesFreshRunsOnlyAndCountsTheHistory) {
  auto added = queue_->Enqueue(kFirstStart + 7200, 200);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 2);
  auto counts = queue_->CountHistory();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->pending, 2);  // yesterday, this-morning
  EXPECT_EQ(counts->skipped, 1);  // ancient
  auto backlog = queue_->Backlog();
  ASSERT_TRUE(backlog.ok());
  EXPECT_EQ(*backlog, 2);  // the history is not backlog
}

TEST_F(BackfillQueueTest, BackfillTakesTheWindowNewestFirstAfterFreshJobs) {
  ASSERT_TRUE(queue_->Enqueue(kFirstStart + 7200, 200).ok());
  auto one = queue_->EnqueueBackfill(1, kFirstStart + 7200);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1);
  auto rest = queue_->EnqueueBackfill(10, kFirstStart + 7200);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);  // short: the window is done
  auto none = queue_->EnqueueBackfill(10, kFirstStart + 7200);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto counts = queue_->CountHistory();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->skipped, 1);

  // Fresh jobs oldest end first, then history newest end first ("*").
  EXPECT_EQ(ClaimAll(),
            (std::vector<std::string>{"fresh-1", "fresh-2", "this-morning*",
                                      "yesterday*"}));
  auto ancient = queue_->Get("ancient");
  ASSERT_TRUE(ancient.ok());
  EXPECT_FALSE(ancient->has_value());  // untouched
}

TEST_F(BackfillQueueTest, ListedRunsAreTakenWithinTheWindowOnly) {
  auto added = queue_->EnqueueListed({"ancient", "yesterday", "fresh-1"},
                                     kFirstStart + 7200);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 2);
  auto ancient = queue_->Get("ancient");
  ASSERT_TRUE(ancient.ok());
  EXPECT_FALSE(ancient->has_value());
}

TEST_F(BackfillQueueTest, WithoutAWindowEveryRunIsFreshAsBefore) {
  JobQueue plain(store_.get());
  auto added = plain.Enqueue(kFirstStart, 200);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 5);
  auto counts = plain.CountHistory();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending + counts->skipped, 0);
  auto jobs = plain.Claim("me", 60, kFirstStart, 5);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 5u);
  EXPECT_EQ(jobs->front().run_id, "ancient");  // oldest end first
  EXPECT_FALSE(jobs->front().backfill);
}

TEST_F(BackfillQueueTest, AWindowOfNoneTakesNoHistory) {
  queue_->set_window(kFirstStart, BackfillSince(kFirstStart, kBackfillNone));
  auto added = queue_->EnqueueBackfill(200, kFirstStart + 7200);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 0);
  auto listed = queue_->EnqueueListed({"yesterday"}, kFirstStart + 7200);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, 0);
  auto counts = queue_->CountHistory();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->skipped, 3);
}

}  // namespace
}  // namespace pe
