#include "exporter/archive/tree_walk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vector>

#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::TempDir;
using pe::testing::WriteFile;

std::vector<std::string> Paths(const TreeListing& listing) {
  std::vector<std::string> paths;
  for (const TreeEntry& e : listing.entries) paths.push_back(e.path);
  return paths;
}

TEST(TreeWalkTest, ListsFilesDirectoriesAndEmptyDirectoriesSorted) {
  TempDir tmp;
  const fs::path root = tmp.path() / "run";
  WriteFile(root / "b.txt", "bb");
  WriteFile(root / "a" / "nested" / "deep.log", "deep");
  WriteFile(root / "a.b", "x");
  fs::create_directories(root / "empty");
  Result<TreeListing> listing = WalkTree(root.string());
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(Paths(*listing),
            (std::vector<std::string>{"a", "a.b", "a/nested",
                                      "a/nested/deep.log", "b.txt", "empty"}));
  EXPECT_EQ(listing->file_bytes, 7u);
  EXPECT_EQ(listing->entries[5].kind, TreeEntry::Kind::kDirectory);
  EXPECT_EQ(listing->entries[3].kind, TreeEntry::Kind::kFile);
  EXPECT_EQ(listing->entries[3].size, 4u);
}

TEST(TreeWalkTest, KeepsSymlinksAsLinksWithoutFollowingThem) {
  TempDir tmp;
  const fs::path root = tmp.path() / "run";
  const fs::path outside = tmp.path() / "outside";
  WriteFile(outside / "secret.txt", "secret");
  fs::create_directories(root);
  fs::create_directory_symlink(outside, root / "to_dir");
  fs::create_symlink("/etc/passwd", root / "to_file");
  fs::create_symlink("missing", root / "dangling");
  Result<TreeListing> listing = WalkTree(root.string());
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(Paths(*listing),
            (std::vector<std::string>{"dangling", "to_dir", "to_file"}));
  for (const TreeEntry& e : listing->entries) {
    EXPECT_EQ(e.kind, TreeEntry::Kind::kSymlink) << e.path;
  }
  EXPECT_EQ(listing->entries[1].link_target, outside.string());
  EXPECT_EQ(listing->entries[2].link_target, "/etc/passwd");
  EXPECT_EQ(listing->file_bytes, 0u);
}

TEST(TreeWalkTest, SkipsFifosAndNonUtf8NamesWithACount) {
  TempDir tmp;
  const fs::path root = tmp.path() / "run";
  WriteFile(root / "ok.txt", "ok");
  ASSERT_EQ(mkfifo((root / "pipe").c_str(), 0600), 0);
  WriteFile(root / "bad\xff name", "x");
  WriteFile(root / "bad\xc3(dir" / "inner.txt", "x");
  Result<TreeListing> listing = WalkTree(root.string());
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_EQ(Paths(*listing), (std::vector<std::string>{"ok.txt"}));
  EXPECT_EQ(listing->skipped_special, 1u);
  EXPECT_EQ(listing->skipped_bad_name, 2u);
}

TEST(TreeWalkTest, MissingRootIsNotFoundAndSymlinkedRootIsRefused) {
  TempDir tmp;
  Result<TreeListing> missing = WalkTree(tmp.File("nope"));
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  fs::create_directories(tmp.path() / "real");
  fs::create_directory_symlink(tmp.path() / "real", tmp.path() / "link");
  Result<TreeListing> linked = WalkTree(tmp.File("link"));
  EXPECT_EQ(linked.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace pe
