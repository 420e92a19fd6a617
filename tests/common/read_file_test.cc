#include "exporter/common/read_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace pe {
namespace {

void Write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

TEST(ReadConfigFileTest, ReturnsTheWholeContentByteForByte) {
  testing::TempDir dir;
  const std::string content("a: 1\r\nb: \"x\"\0tail\xFF", 19);
  Write(dir.File("config.yml"), content);
  Result<std::string> read = ReadConfigFile(dir.File("config.yml"), "config");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, content);
}

TEST(ReadConfigFileTest, AnEmptyFileIsAnEmptyString) {
  testing::TempDir dir;
  Write(dir.File("empty.yml"), "");
  Result<std::string> read = ReadConfigFile(dir.File("empty.yml"), "config");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "");
}

TEST(ReadConfigFileTest, AMissingFileIsInvalidArgumentNamingWhatAndPath) {
  testing::TempDir dir;
  const std::string path = dir.File("absent.yml");
  Result<std::string> read = ReadConfigFile(path, "web config file");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(read.status().message(), "web config file '" + path +
                                         "': cannot read: No such file or "
                                         "directory");
}

TEST(ReadConfigFileTest, ADirectoryIsInvalidArgumentSayingSo) {
  testing::TempDir dir;
  const std::string path = dir.File("conf.d");
  std::filesystem::create_directory(path);
  Result<std::string> read = ReadConfigFile(path, "config file");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            "config file '" + path + "': cannot read: is a directory");
}

TEST(ReadConfigFileTest, FollowsASymlinkToAFile) {
  testing::TempDir dir;
  Write(dir.File("real.yml"), "state: {}\n");
  std::filesystem::create_symlink(dir.File("real.yml"), dir.File("link.yml"));
  Result<std::string> read = ReadConfigFile(dir.File("link.yml"), "config");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "state: {}\n");
}

}  // namespace
}  // namespace pe
