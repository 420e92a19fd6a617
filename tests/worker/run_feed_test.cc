#include "exporter/worker/run_feed.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pe {
namespace {

using Ids = std::vector<std::string>;

TEST(RunFeedTest, HandsOverEachOfferedRunOnceSortedThenNothing) {
  RunFeed feed;
  feed.Offer({"r2", "r1"});
  feed.Offer({"r1", "r3"});

  const RunFeed::Batch batch = feed.Take();
  EXPECT_EQ(batch.runs, (Ids{"r1", "r2", "r3"}));
  EXPECT_FALSE(batch.scan);

  const RunFeed::Batch empty = feed.Take();
  EXPECT_TRUE(empty.runs.empty());
  EXPECT_FALSE(empty.scan);
}

TEST(RunFeedTest, AScanRequestReplacesTheRunsItWillFindAnyway) {
  RunFeed feed;
  feed.Offer({"r1"});
  feed.RequestScan();
  feed.Offer({"r2"});

  const RunFeed::Batch batch = feed.Take();
  EXPECT_TRUE(batch.scan);
  EXPECT_TRUE(batch.runs.empty());
  EXPECT_FALSE(feed.Take().scan);
}

TEST(RunFeedTest, MoreRunsThanItsBoundBecomeAScanInsteadOfGrowing) {
  RunFeed feed(/*max_runs=*/2);
  feed.Offer({"r1", "r2"});
  EXPECT_FALSE(feed.Take().scan);

  feed.Offer({"r1", "r2", "r3"});
  const RunFeed::Batch batch = feed.Take();
  EXPECT_TRUE(batch.scan);
  EXPECT_TRUE(batch.runs.empty());
}

TEST(RunFeedTest, AReturnedBatchIsHandedOverAgainWithWhatCameMeanwhile) {
  RunFeed feed;
  feed.Offer({"r1"});
  RunFeed::Batch batch = feed.Take();
  feed.Offer({"r2"});
  feed.Return(std::move(batch));
  EXPECT_EQ(feed.Take().runs, (Ids{"r1", "r2"}));

  feed.RequestScan();
  RunFeed::Batch scan = feed.Take();
  feed.Return(std::move(scan));
  EXPECT_TRUE(feed.Take().scan);
}

}  // namespace
}  // namespace pe
