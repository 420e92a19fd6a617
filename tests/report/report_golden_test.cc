#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "exporter/report/report_html.h"
#include "exporter/report/report_json.h"

namespace pe {
namespace {

// A realistic partial run: the page and JSON in tests/data/golden/ are what
// it renders to. Review both by eye after regenerating with UPDATE_GOLDEN=1;
// tests/integration/test_report_chromium.py screenshots the HTML one.
RunReport SampleReport() {
  RunReport r;
  r.run_id = "01JEXAMPLE7Q3Z8M4N5P6R7S8T";
  r.project = "atlas";
  r.phase = "phase5_execution";
  r.workstream = "ingest-eu";
  r.status = "partial";
  r.created = 1764928800;  // 2025-12-05T10:00:00Z
  r.started = 1764928805;
  r.ended = 1764932528;
  r.duration_seconds = 3723;
  r.steps_total = 12;
  r.steps_completed = 9;
  r.steps_failed = 2;
  r.steps_skipped = 1;
  r.failed_steps = {
      {.step_id = "fetch_sources",
       .name = "Fetch source files",
       .attempt = 3,
       .started = 1764929400,
       .ended = 1764929431,
       .error_message =
           "Traceback (most recent call last):\n"
           "  File \"/srv/pipeline/fetch.py\", line 42, in main\n"
           "    resp = session.get(url, timeout=30)\n"
           "requests.exceptions.ReadTimeout: "
           "HTTPSConnectionPool(host='data.example.org', port=443): "
           "Read timed out. (read timeout=30)"},
      {.step_id = "validate_schema",
       .name = "Validate schema",
       .attempt = 1,
       .started = 1764931200,
       .ended = 1764931262,
       .error_message = "column \"amount\" expected <decimal(12,2)> but got "
                        "'n/a' in 3 rows & 1 header"},
  };
  r.events_total = 184;
  r.events_errors = 3;
  r.archive = {
      .path = ".archive/01JEXAMPLE7Q3Z8M4N5P6R7S8T.zip",
      .size_bytes = 48213904,
      .sha256 =
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      .integrity = "verified"};
  r.generated_at = 1764932550;
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectGolden(const std::string& got, const std::string& name) {
  const std::string path = std::string(PE_TEST_DATA_DIR) + "/golden/" + name;
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << got;
  }
  EXPECT_EQ(got, ReadFile(path)) << "run with UPDATE_GOLDEN=1 to regenerate "
                                 << path << " after a deliberate change";
}

TEST(ReportGoldenTest, RendersTheSampleRunAsTheGoldenJson) {
  ExpectGolden(RenderReportJson(SampleReport()), "report.json");
}

TEST(ReportGoldenTest, RendersTheSampleRunAsTheGoldenHtml) {
  ExpectGolden(RenderReportHtml(SampleReport()), "report.html");
}

}  // namespace
}  // namespace pe
