#include "exporter/report/atomic_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFileTest, CreatesANewFileWithExactlyTheContent) {
  testing::TempDir dir;
  const std::string content("line 1\nbinary \0\xFF end", 21);
  ASSERT_TRUE(WriteFileAtomically(dir.File("out.txt"), content).ok());
  EXPECT_EQ(ReadFile(dir.File("out.txt")), content);
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"out.txt"})
      << "no temporary file is left";
}

TEST(AtomicFileTest, WritesEmptyAndLargeContent) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir.File("empty"), "").ok());
  EXPECT_EQ(fs::file_size(dir.File("empty")), 0u);
  const std::string large(8 << 20, 'x');
  ASSERT_TRUE(WriteFileAtomically(dir.File("large"), large).ok());
  EXPECT_EQ(ReadFile(dir.File("large")), large);
}

TEST(AtomicFileTest, ReplacesTheFileByRenameNotInPlace) {
  testing::TempDir dir;
  const std::string path = dir.File("report.html");
  ASSERT_TRUE(WriteFileAtomically(path, "old content").ok());
  // A reader that opened the old file keeps reading the old file whole: the
  // new content arrives as a new inode, never by truncating the old one.
  std::ifstream reader(path, std::ios::binary);
  ASSERT_TRUE(reader.is_open());
  ASSERT_TRUE(WriteFileAtomically(path, "new, longer content").ok());
  std::stringstream seen;
  seen << reader.rdbuf();
  EXPECT_EQ(seen.str(), "old content");
  EXPECT_EQ(ReadFile(path), "new, longer content");
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"report.html"});
}

TEST(AtomicFileTest, FailsWithContextWhenTheDirectoryIsMissing) {
  testing::TempDir dir;
  const std::string path = dir.File("missing/out.txt");
  const Status s = WriteFileAtomically(path, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("create temporary file"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(dir.File("missing")), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos)
      << s.message();
  EXPECT_TRUE(Entries(dir.path()).empty());
}

TEST(AtomicFileTest, RemovesTheTemporaryFileWhenTheRenameFails) {
  testing::TempDir dir;
  // The target is a non-empty directory: everything succeeds up to rename.
  fs::create_directory(dir.path() / "target");
  std::ofstream(dir.path() / "target" / "keep") << "kept";
  const Status s = WriteFileAtomically(dir.File("target"), "content");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Is a directory"), std::string::npos)
      << s.message();
  EXPECT_EQ(Entries(dir.path()), std::vector<std::string>{"target"})
      << "the temporary file was removed";
  EXPECT_EQ(ReadFile(dir.File("target/keep")), "kept");
}

TEST(AtomicFileTest, RejectsAPathWithoutAFileName) {
  testing::TempDir dir;
  for (const std::string& path : {dir.path().string() + "/", dir.File("."),
                                  dir.File(".."), std::string()}) {
    const Status s = WriteFileAtomically(path, "x");
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "'" << path << "'";
  }
  EXPECT_TRUE(Entries(dir.path()).empty());
}

}  // namespace
}  // namespace pe
