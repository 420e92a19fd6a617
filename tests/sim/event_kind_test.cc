#include "tools/sim/event_kind.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "exporter/common/timestamp.h"

namespace pe::sim {
namespace {

constexpr EventKind kAll[] = {
    EventKind::kRunCreated,         EventKind::kRunStarted,
    EventKind::kStepStarted,        EventKind::kStepCompleted,
    EventKind::kStepFailed,         EventKind::kRunCompleted,
    EventKind::kRunFailed,          EventKind::kRunQuarantined,
    EventKind::kRunCanceled,        EventKind::kCheckpointSaved,
    EventKind::kStepRetrying,       EventKind::kStepSkipped,
    EventKind::kSchedulerHeartbeat,
};

// The event_type row of the contract's events table.
std::string ContractEventTypeRow() {
  std::ifstream in(std::string(PE_SOURCE_DIR) + "/docs/state-contract.md");
  const std::string doc(std::istreambuf_iterator<char>(in), {});
  const std::size_t row = doc.find("\n| event_type |");
  EXPECT_NE(row, std::string::npos);
  return doc.substr(row, doc.find('\n', row + 1) - row);
}

TEST(EventKindTest, EachKindHasItsOwnSnakeCaseType) {
  std::set<std::string> names;
  for (EventKind kind : kAll) {
    const std::string name = EventTypeName(kind);
    EXPECT_NE(name, "unknown");
    for (char c : name) EXPECT_TRUE(c == '_' || (c >= 'a' && c <= 'z')) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), std::size(kAll));
  EXPECT_STREQ(EventTypeName(EventKind::kRunCreated), "run_created");
  EXPECT_STREQ(EventTypeName(EventKind::kStepFailed), "step_failed");
}

TEST(EventKindTest, TheLastFourAreTypesTheContractDoesNotList) {
  const std::string row = ContractEventTypeRow();
  for (std::size_t i = 0; i < std::size(kAll); ++i) {
    const std::string quoted = "`" + std::string(EventTypeName(kAll[i])) + "`";
    EXPECT_EQ(row.find(quoted) != std::string::npos, i < std::size(kAll) - 4)
        << quoted;
  }
}

TEST(EventKindTest, DefaultSeveritiesAreContractSeveritiesThatFitTheEvent) {
  const std::set<std::string> contract = {"debug", "info", "warning", "error",
                                          "critical"};
  for (EventKind kind : kAll) {
    EXPECT_TRUE(contract.count(DefaultSeverity(kind))) << EventTypeName(kind);
  }
  EXPECT_STREQ(DefaultSeverity(EventKind::kRunCreated), "info");
  EXPECT_STREQ(DefaultSeverity(EventKind::kRunCompleted), "info");
  EXPECT_STREQ(DefaultSeverity(EventKind::kStepFailed), "error");
  EXPECT_STREQ(DefaultSeverity(EventKind::kRunFailed), "error");
  EXPECT_STREQ(DefaultSeverity(EventKind::kRunQuarantined), "critical");
  EXPECT_STREQ(DefaultSeverity(EventKind::kRunCanceled), "warning");
  EXPECT_STREQ(DefaultSeverity(EventKind::kSchedulerHeartbeat), "debug");
}

TEST(MakeEventTest, FillsTheRowFromItsArguments) {
  Rng rng(1);
  const Micros t = SecondsToMicros(1764929472.25);
  const EventRow row =
      MakeEvent(rng, t, "r1", EventKind::kStepFailed, R"({"step_id":"s1"})");
  EXPECT_EQ(row.run_id, "r1");
  EXPECT_EQ(row.event_type, "step_failed");
  EXPECT_EQ(row.severity, "error");
  const EventRow other = MakeEvent(
      rng, t, std::nullopt, EventKind::kSchedulerHeartbeat, "{}", "warning");
  EXPECT_EQ(other.run_id, std::nullopt);
  EXPECT_EQ(other.severity, "warning");
}

TEST(MakeEventTest, TimestampsAreContractFormsOfTheGivenInstant) {
  Rng rng(2);
  const double seconds = 1764929472.345678;
  std::set<std::size_t> lengths;
  for (int i = 0; i < 2000; ++i) {
    const EventRow row = MakeEvent(rng, SecondsToMicros(seconds), "r1",
                                   EventKind::kRunStarted, "{}");
    const std::optional<double> parsed = ParseTimestamp(row.timestamp);
    ASSERT_TRUE(parsed.has_value()) << row.timestamp;
    // Forms without a fraction drop it; none moves the instant otherwise.
    EXPECT_LE(*parsed, seconds + 1e-6) << row.timestamp;
    EXPECT_GT(*parsed, seconds - 1) << row.timestamp;
    lengths.insert(row.timestamp.size());
  }
  EXPECT_GE(lengths.size(), 3u);  // a mix of forms
}

TEST(MakeEventTest, RarelyReplacesTheDataWithAPythonRepr) {
  Rng rng(3);
  int replaced = 0;
  const int n = 50000;
  for (int i = 0; i < n; ++i) {
    const EventRow row =
        MakeEvent(rng, 0, "r1", EventKind::kRunCreated, R"({"a":1})");
    ASSERT_TRUE(row.data.has_value());
    if (*row.data != R"({"a":1})") {
      ++replaced;
      EXPECT_EQ(row.data->front(), '{');
      EXPECT_NE(row.data->find('\''), std::string::npos) << *row.data;
    }
  }
  // About one in 500.
  EXPECT_GT(replaced, n / 500 / 2);
  EXPECT_LT(replaced, n / 500 * 2);
}

TEST(MakeEventTest, TheSameSeedGivesTheSameRows) {
  Rng a(4), b(4);
  for (int i = 0; i < 100; ++i) {
    const EventRow x =
        MakeEvent(a, i * 1000, "r", EventKind::kStepStarted, "{}");
    const EventRow y =
        MakeEvent(b, i * 1000, "r", EventKind::kStepStarted, "{}");
    EXPECT_EQ(x.timestamp, y.timestamp);
    EXPECT_EQ(x.data, y.data);
  }
}

}  // namespace
}  // namespace pe::sim
