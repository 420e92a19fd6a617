#include "exporter/archive/archive_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <string>

#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::ListNames;
using pe::testing::TempDir;
using pe::testing::WriteFile;
using ::testing::HasSubstr;

constexpr char kRun[] = "01HGW2B5N4Q6Z8R0T2V4X6Z8B0";

TEST(ArchivePathForTest, IsTheRunIdWithZipInTheArchiveDirectory) {
  EXPECT_EQ(ArchivePathFor("/data/archive", kRun),
            std::string("/data/archive/") + kRun + ".zip");
  EXPECT_EQ(ArchivePathFor(".archive", "r1"), ".archive/r1.zip");
}

TEST(PartialArchivePathTest, IsAHiddenNameBesideTheFinalOne) {
  EXPECT_EQ(PartialArchivePath("/data/archive", "r1"),
            "/data/archive/.r1.zip.partial");
  EXPECT_EQ(PartialArchivePath("/data/archive/", "r1"),
            "/data/archive/.r1.zip.partial");
}

TEST(CheckRecordedArchivePathTest, AcceptsTheArchivePathSpelledAnyPlainWay) {
  for (const std::string& recorded : {ArchivePathFor("/data/archive", "r1"),
                                      std::string("/data/archive//r1.zip"),
                                      std::string("/data/./archive/r1.zip"),
                                      std::string("/data/archive/./r1.zip")}) {
    EXPECT_TRUE(CheckRecordedArchivePath("/data/archive", "r1", recorded).ok())
        << recorded;
  }
  EXPECT_TRUE(
      CheckRecordedArchivePath("/data/archive/", "r1", "/data/archive/r1.zip")
          .ok());
  EXPECT_TRUE(
      CheckRecordedArchivePath(".archive", "r1", "./.archive/r1.zip").ok());
}

TEST(CheckRecordedArchivePathTest, RejectsAnyOtherPathSayingWhatWasExpected) {
  for (const char* recorded :
       {"/data/archive/r2.zip", "/data/other/r1.zip",
        "/data/archive/r1.zip.partial", "/data/archive/sub/../r1.zip",
        "/data/archive/../archive/r1.zip", "data/archive/r1.zip", "/etc/passwd",
        ""}) {
    const Status s = CheckRecordedArchivePath("/data/archive", "r1", recorded);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << recorded;
    EXPECT_EQ(s.message(), "archive path '" + std::string(recorded) +
                               "' is not where this exporter writes archives "
                               "(expected '/data/archive/r1.zip')");
  }
}

TEST(CheckRecordedArchivePathTest, RejectsARunIdThatMayNotBeAPath) {
  for (const char* run_id : {"../r1", "a/b", "", ".hidden"}) {
    const std::string recorded =
        std::string("/data/archive/") + run_id + ".zip";
    const Status s =
        CheckRecordedArchivePath("/data/archive", run_id, recorded);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << run_id;
    EXPECT_THAT(s.message(),
                HasSubstr("is not where this exporter writes archives ("))
        << run_id;
  }
}

TEST(CheckRecordedArchivePathTest, RejectsEverythingWithoutAnArchiveDirectory) {
  const Status s = CheckRecordedArchivePath("", "r1", "/r1.zip");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("(no archive directory)"));
}

TEST(IsRealDirectoryTest, OnlyADirectoryItselfCounts) {
  TempDir tmp;
  fs::create_directory(tmp.path() / "dir");
  WriteFile(tmp.path() / "file", "x");
  fs::create_directory_symlink(tmp.path() / "dir", tmp.path() / "link");
  EXPECT_TRUE(IsRealDirectory(tmp.File("dir")));
  EXPECT_FALSE(IsRealDirectory(tmp.File("file")));
  EXPECT_FALSE(IsRealDirectory(tmp.File("link")));
  EXPECT_FALSE(IsRealDirectory(tmp.File("missing")));
}

TEST(FsyncTest, SyncsAFileAndADirectory) {
  TempDir tmp;
  WriteFile(tmp.path() / "a.zip", "zip");
  EXPECT_TRUE(FsyncFile(tmp.File("a.zip")).ok());
  EXPECT_TRUE(FsyncDirectory(tmp.path().string()).ok());
}

TEST(FsyncTest, FailuresAreIoErrorsWithTheErrno) {
  TempDir tmp;
  int err = 0;
  const Status missing = FsyncFile(tmp.File("absent.zip"), &err);
  EXPECT_EQ(missing.code(), Status::Code::kIoError);
  EXPECT_EQ(err, ENOENT);
  EXPECT_THAT(missing.message(),
              HasSubstr("open for fsync '" + tmp.File("absent.zip") + "'"));
  WriteFile(tmp.path() / "file", "x");
  EXPECT_EQ(FsyncDirectory(tmp.File("file")).code(), Status::Code::kIoError);
}

TEST(RemovePartialFilesTest, RemovesOnlyThatRunsTemporaryFiles) {
  TempDir tmp;
  for (const char* name :
       {".r1.zip.partial", ".r1.zip.partial.AbC123", ".r10.zip.partial",
        ".r1.zip.partialx", "r1.zip", ".r2.zip.partial.x"}) {
    WriteFile(tmp.path() / name, "x");
  }
  RemovePartialFiles(tmp.path().string(), "r1");
  EXPECT_EQ(ListNames(tmp.path()),
            (std::set<std::string>{".r10.zip.partial", ".r1.zip.partialx",
                                   "r1.zip", ".r2.zip.partial.x"}));
  RemovePartialFiles(tmp.File("missing"), "r1");  // nothing to do, no error
}

TEST(ArchiveLeftoversTest, CleanLeftoversRemovesOnlyPartialFiles) {
  TempDir tmp;
  for (const char* name :
       {".r1.zip.partial", ".r2.zip.partial.x7Yz01", "r3.zip", ".hidden",
        "r4.zip.partial", ".r5.zip.partialx"}) {
    WriteFile(tmp.path() / name, "x");
  }
  Result<std::uint64_t> removed = CleanLeftovers(tmp.path().string());
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(ListNames(tmp.path()),
            (std::set<std::string>{"r3.zip", ".hidden", "r4.zip.partial",
                                   ".r5.zip.partialx"}));
  EXPECT_EQ(*CleanLeftovers(tmp.File("missing")), 0u);
}

TEST(ArchiveLeftoversTest, CleanLeftoversSparesRunsSomeoneIsWriting) {
  TempDir tmp;
  for (const char* name : {".busy.zip.partial", ".busy.zip.partial.x7Yz01",
                           ".dead.zip.partial.AbC123"}) {
    WriteFile(tmp.path() / name, "x");
  }
  Result<std::uint64_t> removed = CleanLeftovers(tmp.path().string(), {"busy"});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(
      ListNames(tmp.path()),
      (std::set<std::string>{".busy.zip.partial", ".busy.zip.partial.x7Yz01"}));
}

TEST(ArchiveLeftoversTest, CleanLeftoversLeavesLinksAndDirectoriesAlone) {
  TempDir tmp;
  WriteFile(tmp.path() / "target", "keep");
  fs::create_symlink(tmp.path() / "target", tmp.path() / ".r1.zip.partial");
  fs::create_directory(tmp.path() / ".r2.zip.partial");
  WriteFile(tmp.path() / ".zip.partial", "x");  // names no run
  Result<std::uint64_t> removed = CleanLeftovers(tmp.path().string());
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 0u);
  EXPECT_EQ(ListNames(tmp.path()),
            (std::set<std::string>{"target", ".r1.zip.partial",
                                   ".r2.zip.partial", ".zip.partial"}));
}

TEST(ArchiveLeftoversTest, CleanLeftoversOfAFileIsAnIoError) {
  TempDir tmp;
  WriteFile(tmp.path() / "file", "x");
  Result<std::uint64_t> removed = CleanLeftovers(tmp.File("file"));
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().code(), Status::Code::kIoError);
  EXPECT_THAT(removed.status().message(), HasSubstr("list '"));
}

}  // namespace
}  // namespace pe
