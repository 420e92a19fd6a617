#include "exporter/archive/archive_verify.h"

#include <gtest/gtest.h>
#include <zip.h>

#include "exporter/archive/archive_writer.h"
#include "exporter/common/sha256.h"
#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::ReadFile;
using pe::testing::TempDir;
using pe::testing::WriteFile;

constexpr char kRun[] = "run-42";

// Replaces (or adds) entry `name` of the zip at `path` with `content`.
void PutEntry(const std::string& path, const std::string& name,
              const std::string& content) {
  int err = 0;
  zip_t* zip = zip_open(path.c_str(), 0, &err);
  ASSERT_NE(zip, nullptr);
  zip_source_t* src = zip_source_buffer(zip, content.data(), content.size(), 0);
  ASSERT_GE(zip_file_add(zip, name.c_str(), src, ZIP_FL_OVERWRITE), 0);
  ASSERT_EQ(zip_close(zip), 0);
}

class VerifyArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    for (int i = 0; i < 20000; ++i) {
      log += "2024-01-01T00:00:" + std::to_string(i % 60) + " line " +
             std::to_string(i) + "\n";
    }
    log_ = log;
    WriteFile(tmp_.path() / "tree" / "logs" / "a.log", log);
    WriteFile(tmp_.path() / "tree" / "b.txt", "bee");
    ArchiveResult result =
        WriteRunArchive((tmp_.path() / "tree").string(), kRun, path());
    ASSERT_TRUE(result.ok()) << result.status.ToString();
  }
  std::string path() const { return tmp_.File("run-42.zip"); }
  std::string Bytes() const { return ReadFile(path()); }
  void Overwrite(const std::string& bytes) { WriteFile(path(), bytes); }
  VerifyResult Verify() const { return VerifyArchive(path(), kRun); }

  TempDir tmp_;
  std::string log_;
};

TEST_F(VerifyArchiveTest, AcceptsAnIntactArchive) {
  VerifyResult r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 5u);  // run-42/, b.txt, logs/, a.log, manifest
  EXPECT_GT(r.bytes, log_.size());
  EXPECT_EQ(r.archive_sha256, Sha256::HexOf(Bytes()));
  EXPECT_EQ(r.archive_bytes, Bytes().size());
  EXPECT_TRUE(r.problem.empty());
}

TEST_F(VerifyArchiveTest, FlippedByteInTheMiddleFails) {
  std::string bytes = Bytes();
  bytes[bytes.size() / 3] ^= 0x55;
  Overwrite(bytes);
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.problem.empty());
}

TEST_F(VerifyArchiveTest, TruncatedArchiveFails) {
  std::string bytes = Bytes();
  Overwrite(bytes.substr(0, bytes.size() - 30));
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("open"), std::string::npos) << r.problem;
}

TEST_F(VerifyArchiveTest, AppendedGarbageFails) {
  Overwrite(Bytes() + "garbage after the end of central directory");
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.problem.empty());
}

TEST_F(VerifyArchiveTest, ReplacedManifestFails) {
  const std::string fake = std::string(64, '0') + "  run-42/b.txt\n" +
                           Sha256::HexOf(log_) + "  run-42/logs/a.log\n";
  PutEntry(path(), "MANIFEST.sha256", fake);
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("SHA-256 of 'run-42/b.txt'"), std::string::npos)
      << r.problem;
}

TEST_F(VerifyArchiveTest, FileMissingFromTheManifestFails) {
  PutEntry(path(), "run-42/extra.txt", "smuggled");
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("'run-42/extra.txt' is missing from the manifest"),
            std::string::npos)
      << r.problem;
}

TEST_F(VerifyArchiveTest, ManifestLineWithoutEntryFails) {
  PutEntry(path(), "MANIFEST.sha256",
           Sha256::HexOf("bee") + "  run-42/b.txt\n" + Sha256::HexOf(log_) +
               "  run-42/logs/a.log\n" + std::string(64, 'a') +
               "  run-42/gone.txt\n");
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("'run-42/gone.txt', not in the archive"),
            std::string::npos)
      << r.problem;
}

TEST_F(VerifyArchiveTest, EntriesOutsideTheRunFolderFail) {
  EXPECT_NE(VerifyArchive(path(), "other-run").problem.find("is not under"),
            std::string::npos);
  PutEntry(path(), "run-42/../escape.txt", "x");
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("'..'"), std::string::npos) << r.problem;
}

TEST_F(VerifyArchiveTest, ArchiveWithoutManifestFails) {
  int err = 0;
  zip_t* zip = zip_open(path().c_str(), 0, &err);
  ASSERT_NE(zip, nullptr);
  ASSERT_EQ(zip_delete(zip, zip_name_locate(zip, "MANIFEST.sha256", 0)), 0);
  ASSERT_EQ(zip_close(zip), 0);
  VerifyResult r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "no MANIFEST.sha256 entry");
}

TEST_F(VerifyArchiveTest, NotAZipOrMissingFails) {
  Overwrite("this is not a zip file at all");
  EXPECT_FALSE(Verify().ok);
  VerifyResult missing = VerifyArchive(tmp_.File("none.zip"), kRun);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.problem.find("none.zip"), std::string::npos);
}

}  // namespace
}  // namespace pe
