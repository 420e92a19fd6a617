#include "exporter/app/reloader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "exporter/common/clock.h"
#include "tests/support/exposition.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr double kNow = 1.7e9;

class ReloaderTest : public ::testing::Test {
 protected:
  ReloaderTest() : path_(dir_.File("config.yml")) {
    Write("state:\n  db: /tmp/state.db\nworker:\n  enabled: true\n");
  }

  void Write(const std::string& text) { std::ofstream(path_) << text; }

  Reloader Make() {
    Config current;
    current.config_file = path_;
    current.state_db = "/tmp/state.db";
    current.worker_enabled = true;
    Reloader::Hooks hooks;
    hooks.set_poll_interval = [this](milliseconds interval) {
      poll_interval_ = interval;
    };
    hooks.restart_worker = [this](const Config& config) {
      ++worker_restarts_;
      worker_interval_ = config.worker_interval;
    };
    return Reloader({"--config.file=" + path_}, current, hooks, metrics_,
                    clock_);
  }

  std::string Metrics() const { return metrics_->Serialize(); }
  std::optional<double> LastSuccess() const {
    return testing::Sample(
        Metrics(),
        "pipeline_exporter_config_last_reload_success_timestamp_seconds");
  }

  testing::TempDir dir_;
  std::string path_;
  std::shared_ptr<ReloadMetrics> metrics_ = std::make_shared<ReloadMetrics>(1);
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(kNow);
  std::optional<milliseconds> poll_interval_;
  int worker_restarts_ = 0;
  milliseconds worker_interval_{0};
};

TEST_F(ReloaderTest, AppliesReloadableChangesAndCountsSuccess) {
  Reloader reloader = Make();
  Write(
      "state:\n  db: /tmp/state.db\n  poll-interval: 3s\n"
      "worker:\n  enabled: true\n  interval: 2s\n");
  ASSERT_TRUE(reloader.Reload("test").ok());
  EXPECT_EQ(poll_interval_, milliseconds(3000));
  EXPECT_EQ(worker_restarts_, 1);
  EXPECT_EQ(worker_interval_, milliseconds(2000));
  EXPECT_EQ(reloader.current().poll_interval, milliseconds(3000));
  EXPECT_THAT(Metrics(),
              HasSubstr("pipeline_exporter_config_reloads_total{result="
                        "\"success\"} 1"));
  EXPECT_THAT(Metrics(),
              HasSubstr("pipeline_exporter_config_last_reload_successful 1"));
}

TEST_F(ReloaderTest, UnchangedFileIsASuccessThatRestartsNothing) {
  Reloader reloader = Make();
  ASSERT_TRUE(reloader.Reload("test").ok());
  EXPECT_FALSE(poll_interval_.has_value());
  EXPECT_EQ(worker_restarts_, 0);
}

TEST_F(ReloaderTest, BrokenFileIsRejectedAndTheRunningConfigKept) {
  Reloader reloader = Make();
  Write("state:\n  db: /tmp/state.db\n  poll-interval: [oops\n");
  Status status = reloader.Reload("test");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("YAML"));
  EXPECT_EQ(reloader.current().poll_interval, Config{}.poll_interval);
  EXPECT_FALSE(poll_interval_.has_value());
  EXPECT_THAT(Metrics(),
              HasSubstr("pipeline_exporter_config_reloads_total{result="
                        "\"failure\"} 1"));
  EXPECT_THAT(Metrics(),
              HasSubstr("pipeline_exporter_config_last_reload_successful 0"));

  // Fixed again: the next reload succeeds.
  Write("state:\n  db: /tmp/state.db\nworker:\n  enabled: true\n");
  EXPECT_TRUE(reloader.Reload("test").ok());
  EXPECT_THAT(Metrics(),
              HasSubstr("pipeline_exporter_config_last_reload_successful 1"));
}

TEST_F(ReloaderTest, TimesASuccessOnItsClockAndNotAFailure) {
  Reloader reloader = Make();
  clock_->Advance(60);
  ASSERT_TRUE(reloader.Reload("test").ok());
  EXPECT_EQ(LastSuccess(), kNow + 60);
  clock_->Advance(60);
  Write("state:\n  db: /tmp/state.db\n  poll-interval: [oops\n");
  ASSERT_FALSE(reloader.Reload("test").ok());
  EXPECT_EQ(LastSuccess(), kNow + 60) << "the last success's time is kept";
}

TEST_F(ReloaderTest, ChangeThatNeedsARestartIsRejectedNamingTheKey) {
  Reloader reloader = Make();
  Write(
      "state:\n  db: /tmp/other.db\n  poll-interval: 3s\n"
      "worker:\n  enabled: true\n");
  Status status = reloader.Reload("test");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("state.db"));
  EXPECT_FALSE(poll_interval_.has_value()) << "applied part of a rejected file";
  EXPECT_EQ(reloader.current().state_db, "/tmp/state.db");
}

TEST_F(ReloaderTest, InvalidValueIsRejectedNamingTheKey) {
  Reloader reloader = Make();
  Write(
      "state:\n  db: /tmp/state.db\nworker:\n  enabled: true\n  lease: soon\n");
  Status status = reloader.Reload("test");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("worker.lease"));
  EXPECT_EQ(worker_restarts_, 0);
}

}  // namespace
}  // namespace pe
