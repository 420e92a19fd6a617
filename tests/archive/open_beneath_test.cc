#include "exporter/archive/open_beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::TempDir;
using pe::testing::WriteFile;

TEST(ArchiveOpenBeneathTest, OpensFilesBelowTheRootOnly) {
  TempDir tmp;
  const fs::path root = tmp.path() / "run";
  WriteFile(root / "sub" / "in.txt", "inside");
  WriteFile(tmp.path() / "outside" / "secret.txt", "secret");
  fs::create_directory_symlink(tmp.path() / "outside", root / "linkdir");
  fs::create_symlink(tmp.path() / "outside" / "secret.txt", root / "link");
  UniqueFd dir(open(root.c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(dir.valid());

  EXPECT_TRUE(OpenBeneath(dir.get(), "sub/in.txt").valid());
  EXPECT_FALSE(OpenBeneath(dir.get(), "link").valid());
  EXPECT_FALSE(OpenBeneath(dir.get(), "linkdir/secret.txt").valid());
  EXPECT_FALSE(OpenBeneath(dir.get(), "../outside/secret.txt").valid());
  EXPECT_FALSE(
      OpenBeneath(dir.get(), (tmp.path() / "outside" / "secret.txt").string())
          .valid());
}

}  // namespace
}  // namespace pe
