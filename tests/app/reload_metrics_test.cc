#include "exporter/app/reload_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "exporter/metrics/metric_defs.h"
#include "tests/support/exposition.h"

namespace pe {
namespace {

using testing::Sample;

constexpr const char* kSuccesses =
    "pipeline_exporter_config_reloads_total{result=\"success\"}";
constexpr const char* kFailures =
    "pipeline_exporter_config_reloads_total{result=\"failure\"}";
constexpr const char* kLastSuccessful =
    "pipeline_exporter_config_last_reload_successful";
constexpr const char* kLastSuccessTime =
    "pipeline_exporter_config_last_reload_success_timestamp_seconds";

// What the metrics expose, as a struct to compare.
struct Exposed {
  std::optional<double> successes, failures, successful, success_time;
  bool operator==(const Exposed&) const = default;
};

void PrintTo(const Exposed& e, std::ostream* os) {
  *os << "successes=" << e.successes.value_or(-1)
      << " failures=" << e.failures.value_or(-1)
      << " successful=" << e.successful.value_or(-1)
      << " time=" << e.success_time.value_or(-1);
}

Exposed Read(const ReloadMetrics& metrics) {
  const std::string text = metrics.Serialize();
  return {Sample(text, kSuccesses), Sample(text, kFailures),
          Sample(text, kLastSuccessful), Sample(text, kLastSuccessTime)};
}

TEST(ReloadMetricsTest, StartsAsASuccessfulLoadAtTheGivenTime) {
  // Both results have a series from the start, at 0.
  EXPECT_EQ(Read(ReloadMetrics(1764929472.5)),
            (Exposed{0, 0, 1, 1764929472.5}));
}

TEST(ReloadMetricsTest, ASuccessCountsAndMovesTheTime) {
  ReloadMetrics metrics(100);
  metrics.Succeeded(200);
  metrics.Succeeded(300);
  EXPECT_EQ(Read(metrics), (Exposed{2, 0, 1, 300}));
}

TEST(ReloadMetricsTest, AFailureCountsAndKeepsTheLastSuccessTime) {
  ReloadMetrics metrics(100);
  metrics.Succeeded(200);
  metrics.Failed();
  EXPECT_EQ(Read(metrics), (Exposed{1, 1, 0, 200}));
  // The next success clears the failed state.
  metrics.Succeeded(400);
  EXPECT_EQ(Read(metrics), (Exposed{2, 1, 1, 400}));
}

TEST(ReloadMetricsTest, SerializesTheDeclaredFamiliesInDeclarationOrder) {
  const std::string text = ReloadMetrics(1).Serialize();
  std::size_t previous = 0;
  for (const metrics::Def* def :
       {&metrics::kConfigReloads, &metrics::kConfigLastReloadSuccessful,
        &metrics::kConfigLastReloadSuccess}) {
    const std::size_t at = text.find(metrics::Header(*def));
    ASSERT_NE(at, std::string::npos) << def->name;
    EXPECT_GE(at, previous) << def->name;
    previous = at;
  }
  EXPECT_EQ(
      testing::CountSamples(text, "pipeline_exporter_config_reloads_total"), 2);
}

TEST(ReloadMetricsTest, CountsEveryAttemptFromManyThreads) {
  ReloadMetrics metrics(0);
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kEach; ++i) {
        if (t % 2 == 0) {
          metrics.Succeeded(i);
        } else {
          metrics.Failed();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const Exposed exposed = Read(metrics);
  EXPECT_EQ(exposed.successes, kThreads / 2 * kEach);
  EXPECT_EQ(exposed.failures, kThreads / 2 * kEach);
}

}  // namespace
}  // namespace pe
