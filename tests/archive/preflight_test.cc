#include "exporter/archive/preflight.h"

#include <gtest/gtest.h>

#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using pe::testing::TempDir;
using pe::testing::WriteFile;

TEST(PreflightTest, CheckFreeSpaceComparesAgainstFactorTimesInput) {
  struct Case {
    std::uint64_t input, free;
    double factor;
    bool ok;
  } cases[] = {
      {100, 150, 1.5, true},
      {100, 149, 1.5, false},
      {0, 0, 1.5, true},
      {1000, 1000, 1.0, true},
      {1000, 999, 1.0, false},
      {std::uint64_t{1} << 40, std::uint64_t{1} << 41, 1.5, true},
  };
  for (const Case& c : cases) {
    Status s = CheckFreeSpace(c.input, c.free, c.factor);
    EXPECT_EQ(s.ok(), c.ok) << c.input << " " << c.free << " " << c.factor;
    if (!c.ok) {
      EXPECT_NE(s.message().find(std::to_string(c.free) + " bytes free"),
                std::string::npos)
          << s.message();
    }
  }
}

TEST(PreflightTest, NeedBeyond64BitsIsStatedNotWrapped) {
  const std::uint64_t huge = ~std::uint64_t{0};
  Status s = CheckFreeSpace(huge, huge, 1.5);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("need more than 2^64"), std::string::npos)
      << s.message();
}

TEST(PreflightTest, CountsInputBytesWithoutFollowingLinks) {
  TempDir tmp;
  WriteFile(tmp.path() / "run" / "a.txt", std::string(1000, 'a'));
  WriteFile(tmp.path() / "run" / "sub" / "b.txt", std::string(24, 'b'));
  WriteFile(tmp.path() / "big_outside", std::string(100000, 'x'));
  std::filesystem::create_symlink(tmp.path() / "big_outside",
                                  tmp.path() / "run" / "link");
  Result<PreflightInfo> info =
      RunPreflight(tmp.File("run"), tmp.path().string());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->input_bytes,
            1024 + (tmp.path() / "big_outside").string().size());
  EXPECT_GT(info->free_bytes, 0u);
  EXPECT_GE(info->total_bytes, info->free_bytes);
}

TEST(PreflightTest, MissingWorktreeIsNotFound) {
  TempDir tmp;
  EXPECT_EQ(RunPreflight(tmp.File("nope"), tmp.path().string()).status().code(),
            Status::Code::kNotFound);
}

}  // namespace
}  // namespace pe
