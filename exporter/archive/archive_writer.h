#ifndef PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_WRITER_H_
#define PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exporter/common/status.h"

namespace pe {

struct ArchiveOptions {
  // 1..9. Level 3 compresses mixed run artifacts nearly as well as level 6,
  // and faster (docs/benchmarks.md).
  int deflate_level = 3;
  // Files whose name ends with one of these (case-insensitive) are stored,
  // not deflated again.
  std::vector<std::string> store_extensions = {
      ".gz", ".zip", ".png", ".jpg", ".jpeg", ".parquet", ".bz2",
      ".xz", ".zst", ".7z",  ".gif", ".webp", ".mp4"};
  // Other files of at least 64 KiB are sampled: when deflate (level 1) does
  // not shrink their first 64 KiB by 3%, they are stored too (random or
  // encrypted data; deflating it costs time and gains nothing).
  bool store_incompressible = true;
  // Worker threads that deflate files of at most 16 MiB ahead of libzip
  // (which writes on the calling thread): 0 = one per core, -1 = none.
  int deflate_threads = 0;
  // Called while files are read, with regular-file bytes done and total
  // (at most once per MiB, and once with done == total at the end).
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Set by another thread to stop the write; nothing is left behind.
  const std::atomic<bool>* cancel = nullptr;
};

// Why an archival failed; a stable name (ArchiveFailureName) for metrics.
enum class ArchiveFailure {
  kNone,
  kInvalidRunId,  // the run id may not become a path
  kNotFound,      // no worktree folder (the caller decides what that means)
  kBadInput,      // worktree not a directory, unreadable entry
  kNoSpace,       // ENOSPC, EDQUOT or EFBIG while writing
  kIo,            // any other file system error
  kCancelled,     // the cancel flag was set
  kVerify,        // the written archive failed VerifyArchive
  kInternal,      // libzip refused something it should not
};
const char* ArchiveFailureName(ArchiveFailure failure);

struct ArchiveStats {
  std::uint64_t files = 0, directories = 0, symlinks = 0;
  std::uint64_t stored_files = 0;  // not deflated
  std::uint64_t skipped_special = 0, skipped_bad_name = 0;
  std::uint64_t input_bytes = 0;    // regular file bytes read
  std::uint64_t archive_bytes = 0;  // size of the final archive
  std::uint64_t entries = 0;        // zip entries incl. the manifest
  std::string archive_sha256;       // hex SHA-256 of the archive file
};

struct ArchiveResult {
  Status status;
  ArchiveFailure failure = ArchiveFailure::kNone;
  ArchiveStats stats;
  bool ok() const { return status.ok(); }
};

// Archives the worktree folder `worktree_dir` of run `run_id` into the zip
// file `final_path` (its directory must exist).
//
// Layout: every entry is under "<run_id>/" (so it unpacks into a folder named
// after the run), starting with "<run_id>/" itself; directories (empty ones
// included) are "<run_id>/dir/" entries; regular files keep their mode and
// mtime; symlinks are entries with unix attributes S_IFLNK|0777 whose content
// is the link target text (never followed, whatever they point to); fifos,
// sockets, devices and names that are not UTF-8 are skipped and counted. The
// last entry is the top-level MANIFEST.sha256 in sha256sum format:
// "<hex>  <run_id>/<path>" for every file and symlink, sorted.
//
// The SHA-256 of a file is computed from exactly the bytes archived: files
// are read through a custom zip_source_function that opens them with
// OpenBeneath (no symlink followed in any component, nothing outside the
// worktree) and hashes while libzip reads them during zip_close; the
// manifest source is last, so it is built after all files are hashed. A
// symlink's manifest line holds the hash of its target text: `sha256sum -c`
// on an unpacked tree checks regular files, but would hash what a link
// points to, so links are only checked by VerifyArchive.
//
// Compression: deflate at options.deflate_level, except the store
// extensions and files found incompressible (see ArchiveOptions), which are
// stored. Progress is counted in bytes by the file sources (libzip's own
// progress callback weighs entries, not bytes); cancel is checked by the
// sources on every read and by libzip's cancel callback between entries.
//
// Sequence: zip_open("<dir>/.<run_id>.zip.partial") (libzip writes
// ".partial.XXXXXX" and renames it in zip_close), zip_close, fsync, verify
// (VerifyArchive), rename to final_path (replacing any file there), fsync
// the directory. On any failure nothing is at final_path that was not there
// before and the temporary files are removed. Blocking; one call per thread.
ArchiveResult WriteRunArchive(const std::string& worktree_dir,
                              const std::string& run_id,
                              const std::string& final_path,
                              const ArchiveOptions& options = {});

// WriteRunArchive's two halves, for a caller that records the written
// archive before it is checked (the completion worker's archive and verify
// stages), so that a restart between them checks instead of writing again.
//
// WriteUnverifiedArchive: the sequence up to and including the fsync; the
// archive is left at PartialArchivePath(<final_path's folder>, run_id) and
// the stats have archive_bytes but no archive_sha256. On failure nothing is
// left behind.
ArchiveResult WriteUnverifiedArchive(const std::string& worktree_dir,
                                     const std::string& run_id,
                                     const std::string& final_path,
                                     const ArchiveOptions& options = {});
// InstallVerifiedArchive: verifies that file (VerifyArchive, and that it
// holds expected_entries entries), renames it to final_path and fsyncs the
// folder. Fails with kNotFound if there is no such file (e.g. removed as a
// leftover), kVerify if the check fails (the file is removed), kIo. The
// stats have entries, archive_bytes and archive_sha256.
ArchiveResult InstallVerifiedArchive(const std::string& run_id,
                                     const std::string& final_path,
                                     std::uint64_t expected_entries);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_WRITER_H_
