#include "exporter/worker/worker_options.h"

#include <gtest/gtest.h>

#include <chrono>

#include "exporter/config/config.h"

namespace pe {
namespace {

using std::chrono::milliseconds;

TEST(CompletionWorkerOptionsTest, FromConfigCarriesEveryWorkerKey) {
  // Every value differs from both defaults, so a field left out shows.
  Config config;
  config.state_db = "/data/orchestration.db";
  config.busy_timeout = milliseconds(1234);
  config.worker_worktrees_dir = "/data/wt";
  config.worker_archive_dir = "/data/archive";
  config.worker_reports_dir = "/data/reports";
  config.worker_mark_complete = false;
  config.worker_interval = milliseconds(1500);
  config.worker_lease = milliseconds(45000);
  config.worker_deflate_level = 9;
  config.worker_free_space_factor = 2.5;
  config.worker_retry_backoff = milliseconds(7000);
  config.worker_concurrency = 3;
  config.worker_delete_worktrees = true;
  config.worker_scrub_interval = milliseconds(3600000);
  config.worker_retention_max_count = 17;
  config.worker_retention_max_bytes = 5ull << 30;
  config.worker_retention_max_age = milliseconds(86400000);
  config.worker_shutdown_grace = milliseconds(2500);
  config.worker_backfill = milliseconds(3600000);
  config.worker_backfill_rate = 2.5;

  const CompletionWorkerOptions o = CompletionWorkerOptions::FromConfig(config);
  EXPECT_EQ(o.db_path, "/data/orchestration.db");
  EXPECT_EQ(o.busy.busy_timeout, milliseconds(1234));
  EXPECT_EQ(o.worktrees_dir, "/data/wt");
  EXPECT_EQ(o.archive_dir, "/data/archive");
  EXPECT_EQ(o.reports_dir, "/data/reports");
  EXPECT_FALSE(o.mark_complete);
  EXPECT_EQ(o.interval, milliseconds(1500));
  EXPECT_EQ(o.lease, milliseconds(45000));
  EXPECT_EQ(o.deflate_level, 9);
  EXPECT_EQ(o.free_space_factor, 2.5);
  EXPECT_EQ(o.retry_backoff, milliseconds(7000));
  EXPECT_EQ(o.concurrency, 3);
  EXPECT_TRUE(o.delete_worktrees);
  EXPECT_EQ(o.scrub_interval, milliseconds(3600000));
  EXPECT_EQ(o.retention_max_count, 17u);
  EXPECT_EQ(o.retention_max_bytes, 5ull << 30);
  EXPECT_EQ(o.retention_max_age, milliseconds(86400000));
  EXPECT_EQ(o.shutdown_grace, milliseconds(2500));
  EXPECT_EQ(o.backfill, milliseconds(3600000));
  EXPECT_EQ(o.backfill_rate, 2.5);
}

TEST(CompletionWorkerOptionsTest, FromConfigOfTheDefaultsGivesConfigsDefaults) {
  // The worker's configured defaults are Config's (config.h), not the
  // struct's own, which tests start from.
  const Config defaults;
  const CompletionWorkerOptions o =
      CompletionWorkerOptions::FromConfig(defaults);
  EXPECT_EQ(o.db_path, defaults.state_db);
  EXPECT_EQ(o.deflate_level, defaults.worker_deflate_level);
  EXPECT_EQ(o.scrub_interval, defaults.worker_scrub_interval);
  EXPECT_EQ(o.shutdown_grace, defaults.worker_shutdown_grace);
  EXPECT_EQ(o.backfill, defaults.worker_backfill);  // none, not the tests' all
  EXPECT_EQ(o.backfill_rate, defaults.worker_backfill_rate);
  EXPECT_EQ(o.busy.busy_timeout, defaults.busy_timeout);
}

TEST(CompletionWorkerOptionsTest, FromConfigLeavesWhatTestsAndTheDaemonInject) {
  Config config;
  config.worker_interval = milliseconds(100);
  const CompletionWorkerOptions o = CompletionWorkerOptions::FromConfig(config);
  const CompletionWorkerOptions plain;
  EXPECT_EQ(o.feed, nullptr);
  EXPECT_EQ(o.clock, nullptr);
  EXPECT_EQ(o.owner, "");
  EXPECT_EQ(o.housekeeping_interval, plain.housekeeping_interval);
  // Only the busy timeout comes from the configuration; the retry budget
  // is the policy's own.
  EXPECT_EQ(o.busy.max_attempts, plain.busy.max_attempts);
  EXPECT_EQ(o.busy.initial_backoff, plain.busy.initial_backoff);
  EXPECT_EQ(o.busy.max_backoff, plain.busy.max_backoff);
}

}  // namespace
}  // namespace pe
