#include "exporter/app/config_reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace pe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConfigReloadTest, LogPollIntervalAndWorkerSettingsAreReloadable) {
  for (const char* key :
       {"log.level", "log.format", "state.poll-interval", "worker.interval",
        "worker.retention.max-bytes", "worker.concurrency"}) {
    EXPECT_TRUE(IsReloadableKey(key)) << key;
  }
  for (const char* key : {"state.db", "web.listen-address", "worker.enabled",
                          "metrics.recent-window", "config.file"}) {
    EXPECT_FALSE(IsReloadableKey(key)) << key;
  }
}

TEST(ConfigReloadTest, TheProjectSelectionIsReloadableTheFamiliesAreNot) {
  EXPECT_TRUE(IsReloadableKey("metrics.project-include"));
  EXPECT_TRUE(IsReloadableKey("metrics.project-exclude"));
  // A family that appears or goes away mid-life would break rate() and
  // absent() for whoever reads it: fixed for the life of the process.
  EXPECT_FALSE(IsReloadableKey("metrics.family-allow"));
  EXPECT_FALSE(IsReloadableKey("metrics.family-deny"));
  Config current;
  Config next = current;
  next.metrics_project_exclude = "sandbox-.*";
  EXPECT_TRUE(CheckReloadable(current, next).ok());
  next.metrics_family_deny = "pipeline_run_steps";
  EXPECT_THAT(CheckReloadable(current, next).message(),
              HasSubstr("metrics.family-deny"));
}

TEST(ConfigReloadTest, ReloadableChangesAreAccepted) {
  Config current;
  Config next = current;
  next.log_level = "debug";
  next.poll_interval = std::chrono::seconds(3);
  next.worker_retention_max_count = 10;
  EXPECT_TRUE(CheckReloadable(current, next).ok());
  EXPECT_THAT(ChangedKeys(current, next),
              ElementsAre("state.poll-interval", "worker.retention.max-count",
                          "log.level"));
}

TEST(ConfigReloadTest, FixedChangesAreRejectedNamingEachKey) {
  Config current;
  Config next = current;
  next.log_level = "debug";
  next.state_db = "/elsewhere.db";
  next.listen_address = ":9999";
  Status status = CheckReloadable(current, next);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("state.db, web.listen-address"));
  EXPECT_THAT(status.message(), HasSubstr("restart"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("log.level")));
}

TEST(ConfigReloadTest, NothingChangedIsAnAcceptedReload) {
  EXPECT_TRUE(CheckReloadable(Config{}, Config{}).ok());
  EXPECT_TRUE(ChangedKeys(Config{}, Config{}).empty());
}

}  // namespace
}  // namespace pe
