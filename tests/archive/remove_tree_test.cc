#include "exporter/archive/remove_tree.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

TEST(RemoveTreeTest, RemovesFilesFoldersAndEmptyFoldersCountingThem) {
  testing::TempDir dir;
  const fs::path root = dir.path() / "trees" / "run-1";
  WriteFile(root / "a.txt", "a");
  WriteFile(root / "logs" / "deep" / "b.log", "b");
  fs::create_directories(root / "empty");

  auto removed = RemoveTree((dir.path() / "trees").string(), "run-1");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 6u);  // a.txt, b.log, deep, logs, empty, run-1
  EXPECT_FALSE(fs::exists(root));
  EXPECT_TRUE(fs::exists(dir.path() / "trees"));
}

TEST(RemoveTreeTest, SymlinksAreRemovedAsLinksNeverFollowed) {
  testing::TempDir dir;
  const fs::path outside = dir.path() / "outside";
  WriteFile(outside / "precious.txt", "keep me");
  const fs::path root = dir.path() / "trees" / "run-1";
  fs::create_directories(root);
  fs::create_directory_symlink(outside, root / "dir-link");
  fs::create_symlink(outside / "precious.txt", root / "file-link");

  ASSERT_TRUE(RemoveTree((dir.path() / "trees").string(), "run-1").ok());
  EXPECT_FALSE(fs::exists(root));
  EXPECT_TRUE(fs::exists(outside / "precious.txt"));
}

TEST(RemoveTreeTest, TreeThatIsASymlinkIsRefusedAndKept) {
  testing::TempDir dir;
  const fs::path outside = dir.path() / "outside";
  WriteFile(outside / "precious.txt", "keep me");
  fs::create_directories(dir.path() / "trees");
  fs::create_directory_symlink(outside, dir.path() / "trees" / "run-1");

  auto removed = RemoveTree((dir.path() / "trees").string(), "run-1");
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(fs::exists(outside / "precious.txt"));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "trees" / "run-1"));
}

TEST(RemoveTreeTest, MissingTreeIsNotFoundAndBadNamesAreRefused) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "trees");
  EXPECT_EQ(RemoveTree((dir.path() / "trees").string(), "nope").status().code(),
            Status::Code::kNotFound);
  for (const char* name : {"", ".", "..", "a/b", "../trees"}) {
    EXPECT_EQ(RemoveTree((dir.path() / "trees").string(), name).status().code(),
              Status::Code::kInvalidArgument)
        << name;
  }
}

}  // namespace
}  // namespace pe
