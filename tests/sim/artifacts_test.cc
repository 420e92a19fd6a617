#include "tools/sim/artifacts.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace pe::sim {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Gunzip(const fs::path& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return "";
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, n);
  gzclose(gz);
  return out;
}

constexpr char kRun[] = "01K00QSWQJJBW9ENG8CGQ1RYY2";

TEST(CreateRunArtifactsTest, BuildsARealisticTree) {
  testing::TempDir dir;
  ASSERT_TRUE(CreateRunArtifacts(dir.path(), kRun, 8).ok());
  const fs::path root = dir.path() / kRun;
  EXPECT_NE(Read(root / "logs" / "orchestrator.log").find(kRun),
            std::string::npos);
  EXPECT_NE(Gunzip(root / "logs" / "previous.log.gz").find("records"),
            std::string::npos);
  EXPECT_NE(
      Read(root / "output data" / "result summary.json").find("\"steps\": 8"),
      std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(root / "output data" / "résumé ü 数据.txt"));
  EXPECT_EQ(Read(root / "work/stage/deep/manifest.txt"), "steps=8\n");
}

TEST(CreateRunArtifactsTest, ContentDependsOnlyOnTheRunId) {
  testing::TempDir a, b;
  ASSERT_TRUE(CreateRunArtifacts(a.path(), kRun, 8).ok());
  ASSERT_TRUE(CreateRunArtifacts(b.path(), kRun, 8).ok());
  EXPECT_EQ(Read(a.path() / kRun / "logs" / "orchestrator.log"),
            Read(b.path() / kRun / "logs" / "orchestrator.log"));
  EXPECT_EQ(fs::exists(a.path() / kRun / "tmp" / "empty"),
            fs::exists(b.path() / kRun / "tmp" / "empty"));
}

TEST(CreateRunArtifactsTest, SomeRunsGetAnEmptyFolder) {
  testing::TempDir dir;
  int with_empty = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string run = "RUN" + std::to_string(i);
    ASSERT_TRUE(CreateRunArtifacts(dir.path(), run, 2).ok());
    if (fs::is_directory(dir.path() / run / "tmp" / "empty")) {
      EXPECT_TRUE(fs::is_empty(dir.path() / run / "tmp" / "empty"));
      ++with_empty;
    }
  }
  EXPECT_GT(with_empty, 0);
  EXPECT_LT(with_empty, 20);
}

TEST(CreateRunArtifactsTest, ReportsAnUnwritableLocation) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";  // a file where a folder must go
  Status s = CreateRunArtifacts(dir.path() / "file", kRun, 8);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
}

TEST(AppendStepLogTest, AppendsLinesInTheRunsFolder) {
  testing::TempDir dir;
  ASSERT_TRUE(CreateRunArtifacts(dir.path(), kRun, 8).ok());
  ASSERT_TRUE(AppendStepLog(dir.path(), kRun, "step_01", "one").ok());
  ASSERT_TRUE(AppendStepLog(dir.path(), kRun, "step_01", "two").ok());
  EXPECT_EQ(Read(dir.path() / kRun / "logs" / "step_01.log"), "one\ntwo\n");
}

TEST(AppendStepLogTest, LeavesARunWithoutFolderAlone) {
  testing::TempDir dir;
  ASSERT_TRUE(AppendStepLog(dir.path(), kRun, "step_01", "one").ok());
  EXPECT_FALSE(fs::exists(dir.path() / kRun));
}

}  // namespace
}  // namespace pe::sim
