#include "exporter/archive/archive_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <random>
#include <vector>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_verify.h"
#include "exporter/common/sha256.h"
#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::ListNames;
using pe::testing::ReadFile;
using pe::testing::ReadZip;
using pe::testing::RunShell;
using pe::testing::TempDir;
using pe::testing::WriteFile;

constexpr char kRun[] = "01HGW2B5N4Q6Z8R0T2V4X6Z8B0";
constexpr char kSecret[] = "TOP-SECRET-OUTSIDE-CONTENT-7f3a";

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Gzip(const std::string& text) {
  uLongf len = compressBound(text.size()) + 32;
  std::string out(len, '\0');
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = text.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = len;
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class ArchiveWriterTest : public ::testing::Test {
 protected:
  fs::path worktree() const { return tmp_.path() / "worktrees" / kRun; }
  fs::path archive_dir() const { return tmp_.path() / "archive"; }
  std::string final_path() const {
    return (archive_dir() / (std::string(kRun) + ".zip")).string();
  }
  void SetUp() override { fs::create_directories(archive_dir()); }

  TempDir tmp_;
};

TEST_F(ArchiveWriterTest, RoundTripKeepsLayoutLinksAndManifest) {
  const fs::path root = worktree();
  std::string log;
  for (int i = 0; i < 2000; ++i) log += "step " + std::to_string(i) + " ok\n";
  WriteFile(root / "logs" / "nested" / "run.log", log);
  WriteFile(root / "with space.txt", "spaced");
  WriteFile(root /
                "\xc3\xbcnic\xc3\xb8"
                "de" /
                "\xd1\x84.txt",
            "unicode");
  WriteFile(root / "data.gz", Gzip(log));
  fs::create_directories(root / "empty" / "dir");
  WriteFile(tmp_.path() / "outside" / "secret.txt", kSecret);
  fs::create_symlink(tmp_.path() / "outside" / "secret.txt", root / "escape");
  ASSERT_EQ(mkfifo((root / "fifo").c_str(), 0600), 0);

  ArchiveResult result = WriteRunArchive(root.string(), kRun, final_path());
  ASSERT_TRUE(result.ok()) << result.status.ToString();
  EXPECT_EQ(result.stats.files, 4u);
  EXPECT_EQ(result.stats.symlinks, 1u);
  EXPECT_EQ(result.stats.skipped_special, 1u);
  EXPECT_EQ(ListNames(archive_dir()),
            (std::set<std::string>{std::string(kRun) + ".zip"}));

  const std::string r = std::string(kRun) + "/";
  auto zip = ReadZip(final_path());
  std::set<std::string> names;
  for (const auto& [name, info] : zip) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{
                       "MANIFEST.sha256", r, r + "data.gz", r + "empty/",
                       r + "empty/dir/", r + "escape", r + "logs/",
                       r + "logs/nested/", r + "logs/nested/run.log",
                       r + "\xc3\xbcnic\xc3\xb8"
                           "de/",
                       r + "\xc3\xbcnic\xc3\xb8"
                           "de/\xd1\x84.txt",
                       r + "with space.txt"}));
  EXPECT_EQ(zip[r + "logs/nested/run.log"].content, log);
  EXPECT_EQ(zip[r + "logs/nested/run.log"].comp_method, ZIP_CM_DEFLATE);
  EXPECT_EQ(zip[r + "data.gz"].comp_method, ZIP_CM_STORE);
  const auto& link = zip[r + "escape"];
  EXPECT_EQ(link.content, (tmp_.path() / "outside" / "secret.txt").string());
  EXPECT_EQ(link.opsys, ZIP_OPSYS_UNIX);
  EXPECT_TRUE(S_ISLNK(link.attributes >> 16));
  EXPECT_EQ(ReadFile(final_path()).find(kSecret), std::string::npos);

  const std::string manifest = zip["MANIFEST.sha256"].content;
  EXPECT_NE(
      manifest.find(Sha256::HexOf(log) + "  " + r + "logs/nested/run.log\n"),
      std::string::npos)
      << manifest;
  EXPECT_NE(manifest.find(Sha256::HexOf(link.content) + "  " + r + "escape\n"),
            std::string::npos);
  EXPECT_EQ(std::count(manifest.begin(), manifest.end(), '\n'), 5);

  EXPECT_EQ(RunShell("unzip -tq '" + final_path() + "' >/dev/null 2>&1"), 0);
  VerifyResult verify = VerifyArchive(final_path(), kRun);
  EXPECT_TRUE(verify.ok) << verify.problem;
  EXPECT_EQ(verify.archive_sha256, result.stats.archive_sha256);
  EXPECT_EQ(Sha256::HexOf(ReadFile(final_path())), verify.archive_sha256);
}

TEST_F(ArchiveWriterTest, ExtractedTreeMatchesTheSource) {
  WriteFile(worktree() / "a" / "b.txt", "bee");
  WriteFile(worktree() / "c d.txt", "see dee");
  ASSERT_TRUE(WriteRunArchive(worktree().string(), kRun, final_path()).ok());
  const fs::path out = tmp_.path() / "out";
  fs::create_directories(out);
  ASSERT_EQ(RunShell("cd '" + out.string() + "' && unzip -q '" + final_path() +
                     "' && sha256sum -c --quiet MANIFEST.sha256"),
            0);
  EXPECT_EQ(ReadFile(out / kRun / "c d.txt"), "see dee");
}

TEST_F(ArchiveWriterTest, DeflateThreadsDoNotChangeTheContent) {
  std::string log;
  for (int i = 0; i < 5000; ++i) log += "line " + std::to_string(i) + "\n";
  for (int i = 0; i < 12; ++i) {
    WriteFile(worktree() / ("f" + std::to_string(i) + ".log"),
              log.substr(0, log.size() - i * 97));
  }
  WriteFile(worktree() / "empty.txt", "");
  std::map<std::string, std::string> first;
  for (int threads : {-1, 1, 3}) {
    ArchiveOptions options;
    options.deflate_threads = threads;
    const std::string out = (archive_dir() / "t.zip").string();
    ArchiveResult result =
        WriteRunArchive(worktree().string(), kRun, out, options);
    ASSERT_TRUE(result.ok()) << threads << ": " << result.status.ToString();
    std::map<std::string, std::string> contents;
    for (const auto& [name, info] : ReadZip(out)) {
      contents[name] = info.content;
      if (name.ends_with(".log")) {
        EXPECT_EQ(info.comp_method, ZIP_CM_DEFLATE) << name;
      }
    }
    EXPECT_EQ(contents.size(), 15u);
    EXPECT_EQ(RunShell("unzip -tq '" + out + "' >/dev/null 2>&1"), 0);
    if (first.empty()) first = contents;
    EXPECT_EQ(contents, first) << "threads " << threads;
  }
}

TEST_F(ArchiveWriterTest, CancelWhileDeflateThreadsRunLeavesNothing) {
  std::string log;
  for (int i = 0; i < 20000; ++i) log += "line " + std::to_string(i) + "\n";
  for (int i = 0; i < 20; ++i) {
    WriteFile(worktree() / ("f" + std::to_string(i) + ".log"), log);
  }
  std::atomic<bool> cancel{true};
  ArchiveOptions options;
  options.cancel = &cancel;
  options.deflate_threads = 2;
  ArchiveResult result =
      WriteRunArchive(worktree().string(), kRun, final_path(), options);
  EXPECT_EQ(result.failure, ArchiveFailure::kCancelled)
      << result.status.ToString();
  EXPECT_TRUE(ListNames(archive_dir()).empty());
}

TEST_F(ArchiveWriterTest, EmptyWorktreeGivesFolderAndManifest) {
  fs::create_directories(worktree());
  ArchiveResult result =
      WriteRunArchive(worktree().string(), kRun, final_path());
  ASSERT_TRUE(result.ok()) << result.status.ToString();
  auto zip = ReadZip(final_path());
  EXPECT_EQ(zip.size(), 2u);
  EXPECT_TRUE(zip.count(std::string(kRun) + "/"));
  EXPECT_EQ(zip["MANIFEST.sha256"].content, "");
}

TEST_F(ArchiveWriterTest, MissingWorktreeIsNotFoundAndWritesNothing) {
  ArchiveResult result =
      WriteRunArchive(worktree().string(), kRun, final_path());
  EXPECT_EQ(result.failure, ArchiveFailure::kNotFound);
  EXPECT_EQ(result.status.code(), Status::Code::kNotFound);
  EXPECT_TRUE(ListNames(archive_dir()).empty());
}

TEST_F(ArchiveWriterTest, HostileRunIdsAreRejectedBeforeTouchingAPath) {
  fs::create_directories(worktree());
  const std::vector<std::string> ids = {"../x", "..", "/etc/passwd",
                                        "a b",  ".x", std::string(300, 'r')};
  for (const std::string& id : ids) {
    ArchiveResult result = WriteRunArchive(
        worktree().string(), id, (archive_dir() / "out.zip").string());
    EXPECT_EQ(result.failure, ArchiveFailure::kInvalidRunId) << id;
    EXPECT_STREQ(ArchiveFailureName(result.failure), "invalid_run_id");
  }
  EXPECT_TRUE(ListNames(archive_dir()).empty());
}

TEST_F(ArchiveWriterTest, AlreadyCompressedAndIncompressibleFilesAreStored) {
  WriteFile(worktree() / "photo.PNG", std::string(1000, 'a'));
  WriteFile(worktree() / "random.bin", RandomBytes(200 * 1024, 7));
  WriteFile(worktree() / "text.bin", std::string(200 * 1024, 't'));
  ArchiveResult result =
      WriteRunArchive(worktree().string(), kRun, final_path());
  ASSERT_TRUE(result.ok()) << result.status.ToString();
  auto zip = ReadZip(final_path());
  const std::string r = std::string(kRun) + "/";
  EXPECT_EQ(zip[r + "photo.PNG"].comp_method, ZIP_CM_STORE);
  EXPECT_EQ(zip[r + "random.bin"].comp_method, ZIP_CM_STORE);
  EXPECT_EQ(zip[r + "text.bin"].comp_method, ZIP_CM_DEFLATE);
  EXPECT_EQ(result.stats.stored_files, 2u);
}

TEST_F(ArchiveWriterTest, ProgressReachesTheTotal) {
  WriteFile(worktree() / "big.bin", RandomBytes(3 << 20, 1));
  WriteFile(worktree() / "small.txt", "x");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  ArchiveOptions options;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    calls.emplace_back(done, total);
  };
  ASSERT_TRUE(
      WriteRunArchive(worktree().string(), kRun, final_path(), options).ok());
  ASSERT_GE(calls.size(), 3u);
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].first, calls[i - 1].first);
  }
  EXPECT_EQ(calls.back().first, (3u << 20) + 1);
  EXPECT_EQ(calls.back().second, (3u << 20) + 1);
}

TEST_F(ArchiveWriterTest, CancelStopsTheWriteAndLeavesNothing) {
  WriteFile(worktree() / "big.bin", RandomBytes(4 << 20, 2));
  std::atomic<bool> cancel{false};
  ArchiveOptions options;
  options.cancel = &cancel;
  options.progress = [&](std::uint64_t, std::uint64_t) { cancel = true; };
  ArchiveResult result =
      WriteRunArchive(worktree().string(), kRun, final_path(), options);
  EXPECT_EQ(result.failure, ArchiveFailure::kCancelled)
      << result.status.ToString();
  EXPECT_TRUE(ListNames(archive_dir()).empty());
}

TEST_F(ArchiveWriterTest, FileSizeLimitFailsAsNoSpaceAndCleansUp) {
  const std::string content = RandomBytes(2 << 20, 3);
  WriteFile(worktree() / "payload.bin", content);
  WriteFile(worktree() / "note.txt", "keep me");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {256 * 1024, 256 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    ArchiveResult result =
        WriteRunArchive(worktree().string(), kRun, final_path());
    _exit(static_cast<int>(result.failure));
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), static_cast<int>(ArchiveFailure::kNoSpace));
  EXPECT_TRUE(ListNames(archive_dir()).empty());
  EXPECT_EQ(ReadFile(worktree() / "payload.bin"), content);
  EXPECT_EQ(ReadFile(worktree() / "note.txt"), "keep me");
}

TEST_F(ArchiveWriterTest, ReplacesStaleTemporaryFilesOfTheSameRun) {
  WriteFile(worktree() / "a.txt", "a");
  const std::string partial = PartialArchivePath(archive_dir().string(), kRun);
  WriteFile(partial, "junk");
  WriteFile(partial + ".AbC123", "junk");
  ASSERT_TRUE(WriteRunArchive(worktree().string(), kRun, final_path()).ok());
  EXPECT_EQ(ListNames(archive_dir()),
            (std::set<std::string>{std::string(kRun) + ".zip"}));
}

}  // namespace
}  // namespace pe
