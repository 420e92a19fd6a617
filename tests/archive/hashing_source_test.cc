#include "exporter/archive/hashing_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exporter/archive/manifest.h"
#include "exporter/common/sha256.h"
#include "exporter/common/unique_fd.h"
#include "tests/archive/archive_test_util.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using pe::testing::ReadZip;
using pe::testing::TempDir;
using pe::testing::WriteFile;

// One entry of a test archive: a file below the root, read by a
// HashingFileSource or deflated ahead by a DeflatePool.
struct Entry {
  std::string path;
  bool pooled = false;
};

// What zip_close left behind.
struct Closed {
  bool ok = false;
  ArchiveFailure failure = ArchiveFailure::kNone;
  Status status;
  std::vector<std::string> hashes;
  std::string manifest_text;
  std::uint64_t bytes_done = 0;
  std::vector<std::uint64_t> progress;  // bytes done at each report
  bool jobs_released = true;
};

// Writes zip_path from the entries, with the manifest last (or first), as
// the archive writer does, and closes it.
Closed WriteZip(const fs::path& root_dir, const std::string& zip_path,
                const std::vector<Entry>& entries,
                const std::atomic<bool>* cancel = nullptr,
                bool manifest_first = false) {
  const UniqueFd root(open(root_dir.c_str(), O_RDONLY | O_DIRECTORY));
  const int root_fd = root.get();
  ArchiveReadState state;
  state.root_fd = root_fd;
  state.cancel = cancel;
  Closed closed;
  state.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_LT(done, total);
    closed.progress.push_back(done);
  };
  std::vector<std::unique_ptr<DeflateJob>> jobs;
  std::vector<std::size_t> job_of(entries.size(), 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::error_code ec;
    const auto size = fs::file_size(root_dir / entries[i].path, ec);
    state.bytes_total += ec ? 0 : size;
    if (!entries[i].pooled) continue;
    auto job = std::make_unique<DeflateJob>();
    job->path = entries[i].path;
    job->size = ec ? 0 : size;
    job_of[i] = jobs.size();
    jobs.push_back(std::move(job));
  }
  DeflatePool pool(root_fd, 6, 2, 64 << 20, cancel, std::move(jobs));
  std::vector<std::unique_ptr<HashingFileSource>> files;
  std::vector<std::unique_ptr<PrecompressedSource>> pooled;
  ManifestSource manifest;
  manifest.state = &state;

  int error = 0;
  zip_t* zip = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(zip, nullptr);
  const auto add_manifest = [&] {
    zip_source_t* source = MakeManifestSource(zip, &manifest);
    EXPECT_GE(zip_file_add(zip, std::string(kManifestName).c_str(), source,
                           ZIP_FL_ENC_UTF_8),
              0);
  };
  if (manifest_first) add_manifest();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    zip_source_t* source = nullptr;
    if (entries[i].pooled) {
      auto src = std::make_unique<PrecompressedSource>();
      src->state = &state;
      src->pool = &pool;
      src->job_index = job_of[i];
      src->slot = state.hashes.size();
      source = MakePrecompressedSource(zip, src.get());
      pooled.push_back(std::move(src));
    } else {
      auto src = std::make_unique<HashingFileSource>();
      src->state = &state;
      src->path = entries[i].path;
      src->slot = state.hashes.size();
      source = MakeFileSource(zip, src.get());
      files.push_back(std::move(src));
    }
    const zip_int64_t index =
        zip_file_add(zip, entries[i].path.c_str(), source, ZIP_FL_ENC_UTF_8);
    EXPECT_GE(index, 0);
    if (!entries[i].pooled)
      zip_set_file_compression(zip, index, ZIP_CM_DEFLATE, 6);
    state.names.push_back(entries[i].path);
    state.hashes.emplace_back();
  }
  if (!manifest_first) add_manifest();
  closed.ok = zip_close(zip) == 0;
  if (!closed.ok) zip_discard(zip);
  for (const auto& src : pooled) closed.jobs_released &= src->released;
  closed.failure = state.failure;
  closed.status = state.status;
  closed.hashes = state.hashes;
  closed.manifest_text = state.manifest_text;
  closed.bytes_done = state.bytes_done;
  return closed;
}

class HashingSourceTest : public ::testing::Test {
 protected:
  HashingSourceTest()
      : root_dir_(tmp_.path() / "worktree"), zip_path_(tmp_.File("out.zip")) {
    fs::create_directories(root_dir_);
  }

  TempDir tmp_;
  fs::path root_dir_;
  std::string zip_path_;
};

std::string Bytes(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

TEST_F(HashingSourceTest, FileSourcesHashWhatTheyReadIntoTheirSlots) {
  const std::string a = "alpha\n";
  const std::string b = Bytes(100000, 1);
  WriteFile(root_dir_ / "a.txt", a);
  WriteFile(root_dir_ / "dir/b.bin", b);
  const Closed closed =
      WriteZip(root_dir_, zip_path_, {{"a.txt"}, {"dir/b.bin"}});
  ASSERT_TRUE(closed.ok) << closed.status.ToString();
  EXPECT_EQ(closed.failure, ArchiveFailure::kNone);
  EXPECT_EQ(closed.hashes,
            (std::vector<std::string>{Sha256::HexOf(a), Sha256::HexOf(b)}));
  EXPECT_EQ(closed.bytes_done, a.size() + b.size());
  const auto zip = ReadZip(zip_path_);
  EXPECT_EQ(zip.at("a.txt").content, a);
  EXPECT_EQ(zip.at("dir/b.bin").content, b);
}

TEST_F(HashingSourceTest, TheManifestListsEveryEntrysDigest) {
  WriteFile(root_dir_ / "a.txt", "a");
  WriteFile(root_dir_ / "b.txt", "b");
  const Closed closed =
      WriteZip(root_dir_, zip_path_, {{"a.txt"}, {"b.txt", true}});
  ASSERT_TRUE(closed.ok) << closed.status.ToString();
  const std::string expected = FormatManifest(
      {{"a.txt", Sha256::HexOf("a")}, {"b.txt", Sha256::HexOf("b")}});
  EXPECT_EQ(closed.manifest_text, expected);
  EXPECT_EQ(ReadZip(zip_path_).at(std::string(kManifestName)).content,
            expected);
}

TEST_F(HashingSourceTest, PrecompressedSourcesCopyThePoolsDeflateData) {
  const std::string text = std::string(50000, 'z') + "end";
  const std::string noise = Bytes(30000, 2);
  WriteFile(root_dir_ / "text.txt", text);
  WriteFile(root_dir_ / "noise.bin", noise);
  const Closed closed =
      WriteZip(root_dir_, zip_path_, {{"text.txt", true}, {"noise.bin", true}});
  ASSERT_TRUE(closed.ok) << closed.status.ToString();
  EXPECT_TRUE(closed.jobs_released);
  EXPECT_EQ(closed.hashes, (std::vector<std::string>{Sha256::HexOf(text),
                                                     Sha256::HexOf(noise)}));
  EXPECT_EQ(closed.bytes_done, text.size() + noise.size());
  // libzip checks the CRC the source reported while it inflates.
  const auto zip = ReadZip(zip_path_);
  EXPECT_EQ(zip.at("text.txt").content, text);
  EXPECT_EQ(zip.at("text.txt").comp_method, ZIP_CM_DEFLATE);
  EXPECT_EQ(zip.at("noise.bin").content, noise);
}

TEST_F(HashingSourceTest, ProgressIsReportedAboutEveryMebibyteBeforeTheEnd) {
  WriteFile(root_dir_ / "big.bin", Bytes(5 << 20, 3));
  const Closed closed = WriteZip(root_dir_, zip_path_, {{"big.bin"}});
  ASSERT_TRUE(closed.ok) << closed.status.ToString();
  ASSERT_GE(closed.progress.size(), 3u);
  ASSERT_LE(closed.progress.size(), 5u);
  for (std::size_t i = 1; i < closed.progress.size(); ++i) {
    EXPECT_GE(closed.progress[i] - closed.progress[i - 1], 1u << 20) << i;
  }
}

TEST_F(HashingSourceTest, AFileGoneBeforeItIsReadFailsTheArchiveNamingIt) {
  WriteFile(root_dir_ / "a.txt", "a");
  WriteFile(root_dir_ / "gone.txt", "soon gone");
  fs::remove(root_dir_ / "gone.txt");
  const Closed closed =
      WriteZip(root_dir_, zip_path_, {{"a.txt"}, {"gone.txt"}});
  EXPECT_FALSE(closed.ok);
  EXPECT_EQ(closed.failure, ArchiveFailure::kBadInput);
  EXPECT_EQ(closed.status.code(), Status::Code::kIoError);
  EXPECT_EQ(closed.status.message(),
            "open 'gone.txt': No such file or directory");
}

TEST_F(HashingSourceTest, ASymlinkIsNeverFollowed) {
  WriteFile(tmp_.path() / "secret", "TOP SECRET");
  fs::create_symlink(tmp_.path() / "secret", root_dir_ / "link");
  for (bool pooled : {false, true}) {
    const Closed closed = WriteZip(root_dir_, zip_path_, {{"link", pooled}});
    EXPECT_FALSE(closed.ok) << pooled;
    EXPECT_EQ(closed.failure, ArchiveFailure::kBadInput) << pooled;
    EXPECT_NE(closed.status.message().find("'link'"), std::string::npos)
        << closed.status.message();
  }
}

TEST_F(HashingSourceTest, ACancelledArchiveStopsAtTheNextFile) {
  WriteFile(root_dir_ / "a.txt", "a");
  const std::atomic<bool> cancel{true};
  for (bool pooled : {false, true}) {
    const Closed closed =
        WriteZip(root_dir_, zip_path_, {{"a.txt", pooled}}, &cancel);
    EXPECT_FALSE(closed.ok) << pooled;
    EXPECT_EQ(closed.failure, ArchiveFailure::kCancelled) << pooled;
    EXPECT_EQ(closed.status.message(), "archival cancelled") << pooled;
  }
}

TEST_F(HashingSourceTest, TheManifestMustComeAfterTheFiles) {
  WriteFile(root_dir_ / "a.txt", "a");
  const Closed closed = WriteZip(root_dir_, zip_path_, {{"a.txt"}},
                                 /*cancel=*/nullptr, /*manifest_first=*/true);
  EXPECT_FALSE(closed.ok);
  EXPECT_EQ(closed.failure, ArchiveFailure::kInternal);
  EXPECT_EQ(closed.status.message(), "manifest built before 'a.txt' was read");
}

}  // namespace
}  // namespace pe
