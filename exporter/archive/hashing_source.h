#ifndef PIPELINE_EXPORTER_ARCHIVE_HASHING_SOURCE_H_
#define PIPELINE_EXPORTER_ARCHIVE_HASHING_SOURCE_H_

#include <zip.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exporter/archive/archive_writer.h"
#include "exporter/archive/deflate_pool.h"
#include "exporter/common/sha256.h"
#include "exporter/common/status.h"
#include "exporter/common/unique_fd.h"

namespace pe {

// State shared by the sources of one archive while zip_close reads them.
// Only touched from the thread running zip_close.
struct ArchiveReadState {
  int root_fd = -1;  // the worktree, open with O_DIRECTORY
  std::uint64_t bytes_total = 0;
  std::uint64_t bytes_done = 0;
  std::uint64_t next_report = 0;
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;
  // First failure seen by a source (libzip only keeps a code).
  Status status;
  ArchiveFailure failure = ArchiveFailure::kNone;
  // hashes[i] is the hex digest of entry slot i ("" until read to EOF).
  std::vector<std::string> hashes;
  std::vector<std::string> names;  // entry names of the slots
  std::string manifest_text;       // built when the manifest is opened

  bool Cancelled() const { return cancel != nullptr && cancel->load(); }
  void Fail(ArchiveFailure why, Status s) {
    if (failure != ArchiveFailure::kNone) return;
    failure = why;
    status = std::move(s);
  }
};

// One regular file, opened below root_fd with OpenBeneath (no symlink in
// any component) and hashed into hashes[slot] when libzip reads it to EOF.
// Owned by the caller; it must outlive the zip_t (FREE does nothing).
struct HashingFileSource {
  HashingFileSource() { zip_error_init(&error); }
  ~HashingFileSource() { zip_error_fini(&error); }
  HashingFileSource(const HashingFileSource&) = delete;
  HashingFileSource& operator=(const HashingFileSource&) = delete;

  ArchiveReadState* state = nullptr;
  std::string path;  // relative to the root
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
  std::size_t slot = 0;
  UniqueFd fd;
  Sha256 sha;
  zip_error_t error;
};

// Source over the manifest, built from state->hashes when opened (so it
// must be the last entry).
struct ManifestSource {
  ManifestSource() { zip_error_init(&error); }
  ~ManifestSource() { zip_error_fini(&error); }
  ManifestSource(const ManifestSource&) = delete;
  ManifestSource& operator=(const ManifestSource&) = delete;

  ArchiveReadState* state = nullptr;
  std::size_t offset = 0;
  zip_error_t error;
};

// A file deflated ahead by a DeflatePool: reports itself as deflate data
// with known CRC and sizes, so libzip copies the bytes without recompressing.
struct PrecompressedSource {
  PrecompressedSource() { zip_error_init(&error); }
  ~PrecompressedSource() { zip_error_fini(&error); }
  PrecompressedSource(const PrecompressedSource&) = delete;
  PrecompressedSource& operator=(const PrecompressedSource&) = delete;

  ArchiveReadState* state = nullptr;
  DeflatePool* pool = nullptr;
  std::size_t job_index = 0;
  std::size_t slot = 0;
  std::int64_t mtime = 0;
  DeflateJob* job = nullptr;  // set once the job is done
  std::uint64_t comp_size = 0;
  std::size_t offset = 0;
  bool released = false;
  zip_error_t error;
};

zip_source_t* MakeFileSource(zip_t* zip, HashingFileSource* source);
zip_source_t* MakePrecompressedSource(zip_t* zip, PrecompressedSource* source);
zip_source_t* MakeManifestSource(zip_t* zip, ManifestSource* source);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_HASHING_SOURCE_H_
