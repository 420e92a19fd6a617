#include "exporter/report/report_files.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/report/report_html.h"
#include "exporter/report/report_json.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file below `dir`, relative, sorted.
std::vector<std::string> Tree(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    names.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

RunReport Report(std::string run_id) {
  RunReport r;
  r.run_id = std::move(run_id);
  r.status = "succeeded";
  r.archive.integrity = "verified";
  return r;
}

TEST(ReportFilesTest, WritesJsonAndHtmlNamedAfterTheRun) {
  testing::TempDir dir;
  const RunReport report = Report("01JEXAMPLE");
  const Result<ReportPaths> paths = WriteReports(dir.path().string(), report);
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  EXPECT_EQ(paths->json, dir.File("01JEXAMPLE_summary.json"));
  EXPECT_EQ(paths->html, dir.File("01JEXAMPLE_summary.html"));
  EXPECT_EQ(ReadFile(paths->json), RenderReportJson(report));
  EXPECT_EQ(ReadFile(paths->html), RenderReportHtml(report));
  EXPECT_EQ(Tree(dir.path()),
            (std::vector<std::string>{"01JEXAMPLE_summary.html",
                                      "01JEXAMPLE_summary.json"}));
}

TEST(ReportFilesTest, CreatesAMissingReportsDirectory) {
  testing::TempDir dir;
  const std::string reports = dir.File("var/reports");
  ASSERT_TRUE(WriteReports(reports, Report("r1")).ok());
  EXPECT_TRUE(fs::is_regular_file(reports + "/r1_summary.json"));
  EXPECT_TRUE(fs::is_regular_file(reports + "/r1_summary.html"));
}

TEST(ReportFilesTest, ReplacesAnEarlierReportOfTheSameRun) {
  testing::TempDir dir;
  RunReport report = Report("r1");
  ASSERT_TRUE(WriteReports(dir.path().string(), report).ok());
  report.status = "partial";
  ASSERT_TRUE(WriteReports(dir.path().string(), report).ok());
  EXPECT_EQ(ReadFile(dir.File("r1_summary.json")), RenderReportJson(report));
  EXPECT_EQ(Tree(dir.path()).size(), 2u);
}

TEST(ReportFilesTest, WritesNothingForAnUnsafeRunId) {
  testing::TempDir dir;
  fs::create_directory(dir.path() / "reports");
  for (const char* id : {"../escaped", "..", "/tmp/abs", "a b"}) {
    const Result<ReportPaths> paths =
        WriteReports(dir.File("reports"), Report(id));
    EXPECT_EQ(paths.status().code(), Status::Code::kInvalidArgument) << id;
  }
  EXPECT_EQ(Tree(dir.path()), std::vector<std::string>{"reports"});
}

TEST(ReportFilesTest, FailsWithThePathWhenTheReportsDirectoryIsAFile) {
  testing::TempDir dir;
  std::ofstream(dir.File("reports")) << "not a directory";
  const Result<ReportPaths> paths =
      WriteReports(dir.File("reports"), Report("r1"));
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), Status::Code::kIoError);
  EXPECT_NE(paths.status().message().find(dir.File("reports")),
            std::string::npos)
      << paths.status().message();
  EXPECT_EQ(ReadFile(dir.File("reports")), "not a directory");
}

TEST(ReportFilesTest, KeepsTheJsonWhenTheHtmlCannotBeWritten) {
  testing::TempDir dir;
  // The HTML target is a non-empty directory, so only its rename fails.
  fs::create_directories(dir.path() / "r1_summary.html" / "occupied");
  const Result<ReportPaths> paths =
      WriteReports(dir.path().string(), Report("r1"));
  ASSERT_FALSE(paths.ok());
  EXPECT_NE(paths.status().message().find("r1_summary.html"), std::string::npos)
      << paths.status().message();
  EXPECT_EQ(Tree(dir.path()), (std::vector<std::string>{
                                  "r1_summary.html", "r1_summary.html/occupied",
                                  "r1_summary.json"}))
      << "no temporary file is left";
}

}  // namespace
}  // namespace pe
