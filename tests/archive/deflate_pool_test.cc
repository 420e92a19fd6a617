#include "exporter/archive/deflate_pool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "exporter/common/sha256.h"
#include "exporter/common/unique_fd.h"
#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::TempDir;
using pe::testing::WriteFile;

// A raw deflate stream (no zlib or gzip header), inflated.
std::string Inflate(const std::string& compressed) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, -MAX_WBITS), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END) << "not one whole deflate stream";
  inflateEnd(&zs);
  return out;
}

// Text that compresses, varied enough to take several deflate blocks.
std::string Text(std::size_t bytes) {
  std::string s;
  for (int i = 0; s.size() < bytes; ++i) {
    s += "line " + std::to_string(i * 7919 % 10007) + " of the worktree\n";
  }
  s.resize(bytes);
  return s;
}

uint32_t Crc(const std::string& data) {
  return static_cast<uint32_t>(
      crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(data.data()),
            static_cast<uInt>(data.size())));
}

class DeflatePoolTest : public ::testing::Test {
 protected:
  DeflatePoolTest()
      : root_(open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}

  // A file below the root, and its job.
  std::unique_ptr<DeflateJob> Job(const std::string& path,
                                  const std::string& content) {
    WriteFile(tmp_.path() / path, content);
    auto job = std::make_unique<DeflateJob>();
    job->path = path;
    job->size = content.size();
    return job;
  }

  TempDir tmp_;
  UniqueFd root_;
};

TEST_F(DeflatePoolTest, DeflatesEachFileAndDigestsTheBytesItRead) {
  // Bigger than the pool's 256 KiB read chunk, an empty one, one in a
  // subfolder.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"big.txt", Text(700 * 1024)},
      {"empty.txt", ""},
      {"sub/dir/small.txt", "hello\n"},
  };
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  for (const auto& [path, content] : files) jobs.push_back(Job(path, content));
  DeflatePool pool(root_.get(), 6, 2, 64 << 20, nullptr, std::move(jobs));
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& content = files[i].second;
    DeflateJob& job = pool.Wait(i);
    ASSERT_TRUE(job.done);
    ASSERT_TRUE(job.status.ok()) << job.status.ToString();
    EXPECT_EQ(job.failure, ArchiveFailure::kNone);
    EXPECT_EQ(job.read_bytes, content.size());
    EXPECT_EQ(job.crc, Crc(content));
    EXPECT_EQ(job.sha256_hex, Sha256::HexOf(content));
    EXPECT_EQ(Inflate(job.compressed), content) << files[i].first;
    pool.Release(i);
    EXPECT_TRUE(job.compressed.empty());
  }
}

TEST_F(DeflatePoolTest, TheLevelIsTheOneGiven) {
  const std::string content = Text(256 * 1024);
  std::vector<std::unique_ptr<DeflateJob>> fast_jobs, small_jobs;
  fast_jobs.push_back(Job("a.txt", content));
  small_jobs.push_back(Job("a.txt", content));
  DeflatePool fast(root_.get(), 1, 1, 64 << 20, nullptr, std::move(fast_jobs));
  DeflatePool small(root_.get(), 9, 1, 64 << 20, nullptr,
                    std::move(small_jobs));
  const std::size_t fast_size = fast.Wait(0).compressed.size();
  const std::size_t small_size = small.Wait(0).compressed.size();
  EXPECT_LT(small_size, content.size() / 2);
  EXPECT_LE(small_size, fast_size);
  EXPECT_EQ(Inflate(fast.Wait(0).compressed), content);
}

TEST_F(DeflatePoolTest, DigestsWhatIsReadEvenIfTheFileGrewSinceItWasListed) {
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  jobs.push_back(Job("log.txt", "listed"));
  WriteFile(tmp_.path() / "log.txt", "listed, then appended to");
  DeflatePool pool(root_.get(), 6, 1, 64 << 20, nullptr, std::move(jobs));
  DeflateJob& job = pool.Wait(0);
  ASSERT_TRUE(job.status.ok());
  EXPECT_EQ(job.read_bytes, 24u);
  EXPECT_EQ(Inflate(job.compressed), "listed, then appended to");
  EXPECT_EQ(job.sha256_hex, Sha256::HexOf("listed, then appended to"));
}

TEST_F(DeflatePoolTest, JobsBiggerThanTheBudgetRunOneAtATime) {
  // A budget of one byte: every job is bigger and is admitted alone, once
  // the one before it is released. All finish.
  std::vector<std::string> contents;
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  for (int i = 0; i < 6; ++i) {
    contents.push_back(Text(10000 + i));
    jobs.push_back(Job("f" + std::to_string(i), contents.back()));
  }
  DeflatePool pool(root_.get(), 6, 3, 1, nullptr, std::move(jobs));
  for (std::size_t i = 0; i < contents.size(); ++i) {
    DeflateJob& job = pool.Wait(i);
    ASSERT_TRUE(job.status.ok()) << i;
    EXPECT_EQ(Inflate(job.compressed), contents[i]) << i;
    pool.Release(i);
  }
}

TEST_F(DeflatePoolTest, AMissingFileFailsOnlyItsOwnJob) {
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  jobs.push_back(Job("a.txt", "a"));
  auto gone = std::make_unique<DeflateJob>();
  gone->path = "gone.txt";
  gone->size = 10;
  jobs.push_back(std::move(gone));
  jobs.push_back(Job("c.txt", "c"));
  DeflatePool pool(root_.get(), 6, 2, 64 << 20, nullptr, std::move(jobs));
  EXPECT_TRUE(pool.Wait(0).status.ok());
  pool.Release(0);
  DeflateJob& failed = pool.Wait(1);
  EXPECT_EQ(failed.failure, ArchiveFailure::kBadInput);
  EXPECT_EQ(failed.status.code(), Status::Code::kIoError);
  EXPECT_EQ(failed.status.message(),
            "open 'gone.txt': No such file or directory");
  EXPECT_TRUE(failed.compressed.empty());
  EXPECT_TRUE(failed.sha256_hex.empty());
  pool.Release(1);
  EXPECT_TRUE(pool.Wait(2).status.ok());
  pool.Release(2);
}

TEST_F(DeflatePoolTest, NeverFollowsASymlinkNorReadsADirectory) {
  WriteFile(tmp_.path() / "secret", "outside");
  fs::create_symlink(tmp_.path() / "secret", tmp_.path() / "link");
  fs::create_directory(tmp_.path() / "dir");
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  for (const char* path : {"link", "dir"}) {
    auto job = std::make_unique<DeflateJob>();
    job->path = path;
    job->size = 7;
    jobs.push_back(std::move(job));
  }
  DeflatePool pool(root_.get(), 6, 1, 64 << 20, nullptr, std::move(jobs));
  for (std::size_t i = 0; i < 2; ++i) {
    DeflateJob& job = pool.Wait(i);
    EXPECT_EQ(job.failure, ArchiveFailure::kBadInput) << i;
    EXPECT_EQ(job.status.code(), Status::Code::kIoError) << i;
    EXPECT_TRUE(job.compressed.empty()) << i;
    pool.Release(i);
  }
  EXPECT_EQ(pool.Wait(1).status.message(), "'dir' is no longer a regular file");
}

TEST_F(DeflatePoolTest, ACancelledArchiveCancelsEveryJob) {
  const std::atomic<bool> cancel{true};
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  jobs.push_back(Job("a.txt", Text(1000)));
  jobs.push_back(Job("b.txt", Text(1000)));
  DeflatePool pool(root_.get(), 6, 2, 64 << 20, &cancel, std::move(jobs));
  for (std::size_t i = 0; i < 2; ++i) {
    DeflateJob& job = pool.Wait(i);
    EXPECT_EQ(job.failure, ArchiveFailure::kCancelled);
    EXPECT_EQ(job.status.message(), "archival cancelled");
    EXPECT_TRUE(job.compressed.empty());
    pool.Release(i);
  }
}

TEST_F(DeflatePoolTest, StopsCleanlyWithJobsNeverWaitedFor) {
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  for (int i = 0; i < 20; ++i) {
    jobs.push_back(Job("f" + std::to_string(i), Text(20000)));
  }
  {
    // The budget admits one job at a time and nothing is released: the
    // workers wait, and the destructor must still stop them.
    DeflatePool pool(root_.get(), 6, 4, 1, nullptr, std::move(jobs));
    EXPECT_TRUE(pool.Wait(0).status.ok());
  }
  DeflatePool empty(root_.get(), 6, 4, 1, nullptr, {});
}

}  // namespace
}  // namespace pe
