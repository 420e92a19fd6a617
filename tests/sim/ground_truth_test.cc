#include "tools/sim/ground_truth.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/json_query.h"

namespace pe::sim {
namespace {

using testing::IsValidJson;
using testing::JsonAt;

// A play of one hour at 60x that started at 2025-12-05T10:00:00Z.
GroundTruth Truth() {
  GroundTruth t;
  t.scenario = "a day";
  t.seed = 7;
  t.compression = 60;
  t.wall_start = 1764928800 * kMicrosPerSecond;
  t.wall_end = t.wall_start + 60 * kMicrosPerSecond;
  t.sim_duration = 3600 * kMicrosPerSecond;
  t.recent_window = 1800 * kMicrosPerSecond;
  t.scrub_interval = 600 * kMicrosPerSecond;
  t.runs_created = 120;
  t.background_runs = 100;
  return t;
}

double Number(const std::string& json, const std::string& path) {
  const std::optional<std::string> value = JsonAt(json, path);
  EXPECT_TRUE(value.has_value()) << path;
  return value ? std::stod(*value) : -1;
}

TEST(GroundTruthJsonTest, WithoutIncidentsIsJsonWithThePlaysFigures) {
  const std::string json = GroundTruthJson(Truth());
  ASSERT_TRUE(IsValidJson(json)) << json;
  EXPECT_EQ(JsonAt(json, "$.scenario"), "a day");
  EXPECT_EQ(Number(json, "$.seed"), 7);
  EXPECT_EQ(Number(json, "$.compression"), 60);
  EXPECT_EQ(Number(json, "$.wall_start"), 1764928800);
  EXPECT_EQ(Number(json, "$.wall_end"), 1764928860);
  EXPECT_EQ(Number(json, "$.sim_duration_s"), 3600);
  EXPECT_EQ(Number(json, "$.recent_window_s"), 1800);
  EXPECT_EQ(Number(json, "$.scrub_interval_s"), 600);
  EXPECT_EQ(Number(json, "$.runs.created"), 120);
  EXPECT_EQ(Number(json, "$.runs.background"), 100);
  EXPECT_EQ(JsonAt(json, "$.incidents"), "[]");
  EXPECT_EQ(json.back(), '\n');
}

TEST(GroundTruthJsonTest, IncidentTimesAreSimulatedAndOnTheWallClock) {
  GroundTruth t = Truth();
  Incident incident;
  incident.id = "i01";
  incident.kind = IncidentKind::kFailedRun;
  incident.MarkInjected(600 * kMicrosPerSecond, 900 * kMicrosPerSecond + 1234);
  incident.alerts = {{"PipelineRunFailed", {{"project", "proj-a"}}}};
  incident.detail = "run 01JD... failed at step build";
  t.incidents.push_back(incident);
  const std::string json = GroundTruthJson(t);
  ASSERT_TRUE(IsValidJson(json)) << json;
  EXPECT_EQ(JsonAt(json, "$.incidents[0].id"), "i01");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].kind"),
            IncidentKindName(IncidentKind::kFailedRun));
  EXPECT_EQ(JsonAt(json, "$.incidents[0].injected"), "1");  // true
  EXPECT_EQ(Number(json, "$.incidents[0].sim_start"), 600);
  EXPECT_EQ(Number(json, "$.incidents[0].sim_end"), 900.001);  // 3 decimals
  // wall = wall_start + sim / compression.
  EXPECT_EQ(Number(json, "$.incidents[0].wall_start"), 1764928800 + 10);
  EXPECT_EQ(Number(json, "$.incidents[0].wall_end"), 1764928815);
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[0].alertname"),
            "PipelineRunFailed");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[0].labels.project"), "proj-a");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].detail"),
            "run 01JD... failed at step build");
}

TEST(GroundTruthJsonTest, AnIncidentNotInjectedSaysSo) {
  GroundTruth t = Truth();
  Incident incident;
  incident.id = "i01";
  incident.kind = IncidentKind::kDiskFill;
  t.incidents.push_back(incident);
  t.incidents.push_back(incident);
  t.incidents.back().id = "i02";
  const std::string json = GroundTruthJson(t);
  ASSERT_TRUE(IsValidJson(json)) << json;
  EXPECT_EQ(JsonAt(json, "$.incidents[0].injected"), "0");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].kind"), "disk_fill");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts"), "[]");
  EXPECT_EQ(JsonAt(json, "$.incidents[1].id"), "i02");
  EXPECT_EQ(JsonAt(json, "$.incidents[2]"), std::nullopt);
}

TEST(GroundTruthJsonTest, TextIsEscapedSoAnyDetailOrLabelStaysJson) {
  GroundTruth t = Truth();
  t.scenario = "quote \" backslash \\ newline \n tab \t é";
  Incident incident;
  incident.id = "i01";
  incident.alerts = {{"A\"lert", {{"reason", "line1\nline2"}, {"b", ""}}},
                     {"Second", {}}};
  incident.detail = std::string("ctrl \x01 nul ") + '\0' + " end";
  t.incidents.push_back(incident);
  const std::string json = GroundTruthJson(t);
  ASSERT_TRUE(IsValidJson(json)) << json;
  EXPECT_EQ(JsonAt(json, "$.scenario"), t.scenario);
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[0].alertname"), "A\"lert");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[0].labels.reason"),
            "line1\nline2");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[0].labels.b"), "");
  EXPECT_EQ(JsonAt(json, "$.incidents[0].alerts[1].labels"), "{}");
  EXPECT_NE(JsonAt(json, "$.incidents[0].detail")->find("ctrl \x01 nul "),
            std::string::npos);
}

TEST(IncidentTest, MarkInjectedSetsTheWindow) {
  Incident incident;
  EXPECT_FALSE(incident.injected);
  incident.MarkInjected(5, 9);
  EXPECT_TRUE(incident.injected);
  EXPECT_EQ(incident.sim_start, 5);
  EXPECT_EQ(incident.sim_end, 9);
}

}  // namespace
}  // namespace pe::sim
