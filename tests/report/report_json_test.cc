#include "exporter/report/report_json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace pe {
namespace {

TEST(ReportJsonTest, WritesNullForEveryMissingValue) {
  RunReport report;
  report.run_id = "r1";
  report.archive.integrity = "not archived: no worktree";
  const std::string json = RenderReportJson(report);
  for (const char* key : {"workstream", "created_at", "started_at", "ended_at",
                          "duration_seconds", "path", "size_bytes", "sha256"}) {
    EXPECT_NE(json.find("\"" + std::string(key) + "\": null"),
              std::string::npos)
        << key << " in\n"
        << json;
  }
  EXPECT_NE(json.find("\"failed_steps\": []"), std::string::npos) << json;
  EXPECT_NE(json.find("\"generated_at\": \"1970-01-01T00:00:00Z\""),
            std::string::npos);
}

TEST(ReportJsonTest, WritesANullErrorMessageAsNullAndAnEmptyOneAsEmpty) {
  RunReport report;
  report.failed_steps = {{.step_id = "a"},
                         {.step_id = "b", .error_message = ""}};
  const std::string json = RenderReportJson(report);
  EXPECT_NE(json.find("\"error_message\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"error_message\": \"\""), std::string::npos) << json;
}

TEST(ReportJsonTest, KeepsNumbersExact) {
  RunReport report;
  report.steps_total = std::numeric_limits<int64_t>::max();
  report.events_errors = -3;
  report.archive.size_bytes = std::numeric_limits<uint64_t>::max();
  report.duration_seconds = 0.1;
  const std::string json = RenderReportJson(report);
  EXPECT_NE(json.find("\"total\": 9223372036854775807"), std::string::npos);
  EXPECT_NE(json.find("\"errors\": -3"), std::string::npos);
  EXPECT_NE(json.find("\"size_bytes\": 18446744073709551615"),
            std::string::npos);
  EXPECT_NE(json.find("\"duration_seconds\": 0.1,"), std::string::npos);

  report.duration_seconds = 3723.000001;
  EXPECT_NE(RenderReportJson(report).find("\"duration_seconds\": 3723.000001,"),
            std::string::npos);
  report.duration_seconds = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(RenderReportJson(report).find("\"duration_seconds\": null,"),
            std::string::npos);
}

TEST(ReportJsonTest, KeepsKeysInTheDocumentedOrder) {
  const std::string json = RenderReportJson(RunReport{});
  std::size_t last = 0;
  for (const char* key :
       {"schema_version", "run_id", "project", "phase", "workstream", "status",
        "created_at", "started_at", "ended_at", "duration_seconds", "steps",
        "failed_steps", "events", "archive", "generated_at"}) {
    const std::size_t at = json.find("\n  \"" + std::string(key) + "\": ");
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key << " is out of order";
    last = at;
  }
  EXPECT_EQ(json.rfind("{\n  \"schema_version\": 1,", 0), 0u) << json;
  EXPECT_TRUE(json.ends_with("\n}\n")) << json;
}

TEST(ReportJsonTest, IsTheSameBytesForTheSameReport) {
  RunReport report;
  report.run_id = "r";
  report.failed_steps = {{.step_id = "s", .error_message = "boom"}};
  EXPECT_EQ(RenderReportJson(report), RenderReportJson(report));
}

}  // namespace
}  // namespace pe
