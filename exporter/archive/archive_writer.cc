#include "exporter/archive/archive_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_verify.h"
#include "exporter/archive/deflate_pool.h"
#include "exporter/archive/hashing_source.h"
#include "exporter/archive/manifest.h"
#include "exporter/archive/open_beneath.h"
#include "exporter/archive/tree_walk.h"
#include "exporter/archive/zip_handles.h"
#include "exporter/common/run_id_path.h"
#include "exporter/common/unique_fd.h"

namespace pe {
namespace {

constexpr std::size_t kSampleBytes = 64 * 1024;

ArchiveResult Fail(ArchiveFailure why, Status status) {
  ArchiveResult result;
  result.failure = why;
  result.status = std::move(status);
  return result;
}

bool IsNoSpace(int err) {
  return err == ENOSPC || err == EDQUOT || err == EFBIG;
}

bool EndsWithIgnoreCase(const std::string& s, const std::string& suffix) {
  if (suffix.size() > s.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    const char a = s[s.size() - suffix.size() + i];
    const char b = suffix[i];
    if (std::tolower(static_cast<unsigned char>(a)) !=
        std::tolower(static_cast<unsigned char>(b))) {
      return false;
    }
  }
  return true;
}

// True when deflate level 1 does not shrink the file's first 64 KiB by 3%.
bool LooksIncompressible(int root_fd, const std::string& path) {
  UniqueFd fd = OpenBeneath(root_fd, path);
  if (!fd.valid()) return false;  // the write reports the problem
  std::string sample(kSampleBytes, '\0');
  ssize_t n = pread(fd.get(), sample.data(), sample.size(), 0);
  if (n <= 0) return false;
  uLongf out_len = compressBound(static_cast<uLong>(n));
  std::string out(out_len, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &out_len,
                reinterpret_cast<const Bytef*>(sample.data()),
                static_cast<uLong>(n), 1) != Z_OK) {
    return false;
  }
  return out_len * 100 >= static_cast<uLongf>(n) * 97;
}

bool ShouldStore(const TreeEntry& entry, const ArchiveOptions& options,
                 int root_fd) {
  for (const std::string& ext : options.store_extensions) {
    if (EndsWithIgnoreCase(entry.path, ext)) return true;
  }
  return options.store_incompressible && entry.size >= kSampleBytes &&
         LooksIncompressible(root_fd, entry.path);
}

int CancelCallback(zip_t*, void* ud) {
  return static_cast<const ArchiveReadState*>(ud)->Cancelled() ? 1 : 0;
}

// Adds every entry of `listing` under `prefix`; sources are kept alive in
// `files`. Returns a failed result or one with ok status.
// What AddEntries needs per file: stored or not, and its pool job if any.
struct FilePlan {
  std::vector<bool> store;  // by entry index
  std::vector<long> job;    // by entry index, -1 = read by libzip
  std::vector<std::unique_ptr<DeflateJob>> jobs;
};

constexpr std::uint64_t kMaxPooledFileBytes = 16 << 20;
constexpr std::uint64_t kPoolBudgetBytes = 64 << 20;

FilePlan PlanFiles(const TreeListing& listing, const ArchiveOptions& options,
                   int root_fd, bool use_pool) {
  FilePlan plan;
  plan.store.assign(listing.entries.size(), false);
  plan.job.assign(listing.entries.size(), -1);
  for (std::size_t i = 0; i < listing.entries.size(); ++i) {
    const TreeEntry& entry = listing.entries[i];
    if (entry.kind != TreeEntry::Kind::kFile) continue;
    plan.store[i] = ShouldStore(entry, options, root_fd);
    if (use_pool && !plan.store[i] && entry.size > 0 &&
        entry.size <= kMaxPooledFileBytes) {
      auto job = std::make_unique<DeflateJob>();
      job->path = entry.path;
      job->size = entry.size;
      plan.job[i] = static_cast<long>(plan.jobs.size());
      plan.jobs.push_back(std::move(job));
    }
  }
  return plan;
}

// Sources handed to libzip; they must outlive the zip_t.
struct SourceStore {
  std::vector<std::unique_ptr<HashingFileSource>> files;
  std::vector<std::unique_ptr<PrecompressedSource>> pooled;
};

ArchiveResult AddEntries(zip_t* zip, const TreeListing& listing,
                         const std::string& prefix, const FilePlan& plan,
                         DeflatePool* pool, const ArchiveOptions& options,
                         ArchiveReadState& state, SourceStore& sources,
                         ArchiveStats& stats) {
  const auto libzip_failed = [&](const std::string& what) {
    return Fail(ArchiveFailure::kInternal,
                Status::Internal(what + ": " + zip_strerror(zip)));
  };
  const zip_int64_t root_index =
      zip_dir_add(zip, prefix.c_str(), ZIP_FL_ENC_UTF_8);
  if (root_index < 0 ||
      zip_file_set_external_attributes(zip, root_index, 0, ZIP_OPSYS_UNIX,
                                       ((S_IFDIR | 0755) << 16) | 0x10) != 0) {
    return libzip_failed("add '" + prefix + "'");
  }
  for (std::size_t i = 0; i < listing.entries.size(); ++i) {
    const TreeEntry& entry = listing.entries[i];
    const std::string name = prefix + entry.path;
    zip_int64_t index = -1;
    zip_uint32_t attributes = 0;
    switch (entry.kind) {
      case TreeEntry::Kind::kDirectory:
        index = zip_dir_add(zip, name.c_str(), ZIP_FL_ENC_UTF_8);
        if (index < 0) return libzip_failed("add directory '" + name + "'");
        attributes = ((S_IFDIR | entry.mode) << 16) | 0x10;
        ++stats.directories;
        break;
      case TreeEntry::Kind::kSymlink: {
        ZipSource source(zip_source_buffer(zip, entry.link_target.data(),
                                           entry.link_target.size(), 0));
        if (source.get() == nullptr) {
          return libzip_failed("source for '" + name + "'");
        }
        index = zip_file_add(zip, name.c_str(), source.get(), ZIP_FL_ENC_UTF_8);
        if (index < 0) return libzip_failed("add symlink '" + name + "'");
        source.release();
        zip_set_file_compression(zip, index, ZIP_CM_STORE, 0);
        attributes = (S_IFLNK | 0777) << 16;
        state.names.push_back(name);
        state.hashes.push_back(Sha256::HexOf(entry.link_target));
        ++stats.symlinks;
        break;
      }
      case TreeEntry::Kind::kFile: {
        const bool store = plan.store[i];
        zip_source_t* raw = nullptr;
        if (plan.job[i] >= 0) {
          auto pooled = std::make_unique<PrecompressedSource>();
          pooled->state = &state;
          pooled->pool = pool;
          pooled->job_index = static_cast<std::size_t>(plan.job[i]);
          pooled->slot = state.hashes.size();
          pooled->mtime = entry.mtime;
          raw = MakePrecompressedSource(zip, pooled.get());
          sources.pooled.push_back(std::move(pooled));
        } else {
          auto file = std::make_unique<HashingFileSource>();
          file->state = &state;
          file->path = entry.path;
          file->size = entry.size;
          file->mtime = entry.mtime;
          file->slot = state.hashes.size();
          raw = MakeFileSource(zip, file.get());
          sources.files.push_back(std::move(file));
        }
        ZipSource source(raw);
        if (source.get() == nullptr) {
          return libzip_failed("source for '" + name + "'");
        }
        index = zip_file_add(zip, name.c_str(), source.get(), ZIP_FL_ENC_UTF_8);
        if (index < 0) return libzip_failed("add file '" + name + "'");
        source.release();
        state.names.push_back(name);
        state.hashes.emplace_back();
        if (store) ++stats.stored_files;
        // A pooled entry keeps the default method: libzip then copies the
        // deflate data its source reports instead of compressing again.
        if (plan.job[i] < 0 &&
            zip_set_file_compression(
                zip, index, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
                store ? 0 : static_cast<zip_uint32_t>(options.deflate_level)) !=
                0) {
          return libzip_failed("set compression of '" + name + "'");
        }
        attributes = (S_IFREG | entry.mode) << 16;
        ++stats.files;
        break;
      }
    }
    if (zip_file_set_external_attributes(zip, index, 0, ZIP_OPSYS_UNIX,
                                         attributes) != 0) {
      return libzip_failed("set attributes of '" + name + "'");
    }
    if (entry.mtime > 0 &&
        zip_file_set_mtime(zip, index, static_cast<time_t>(entry.mtime), 0) !=
            0) {
      return libzip_failed("set mtime of '" + name + "'");
    }
  }
  return ArchiveResult{};
}

// Classifies a failed zip_close.
ArchiveResult CloseFailure(zip_t* zip, const ArchiveReadState& state,
                           const std::string& temp_path) {
  if (state.failure != ArchiveFailure::kNone) {
    return Fail(state.failure,
                state.status.WithContext("write '" + temp_path + "'"));
  }
  zip_error_t* error = zip_get_error(zip);
  const int code = zip_error_code_zip(error);
  const int sys = zip_error_system_type(error) == ZIP_ET_SYS
                      ? zip_error_code_system(error)
                      : 0;
  const std::string msg =
      "write '" + temp_path + "': " + zip_error_strerror(error);
  if (code == ZIP_ER_CANCELLED) {
    return Fail(ArchiveFailure::kCancelled, Status::Internal(msg));
  }
  if (IsNoSpace(sys)) {
    return Fail(ArchiveFailure::kNoSpace, Status::IoError(msg));
  }
  return Fail(ArchiveFailure::kIo, Status::IoError(msg));
}

// The folder the archive goes to: final_path's (".": none named).
std::string ArchiveDirOf(const std::string& final_path) {
  std::string dir = std::filesystem::path(final_path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

const char* ArchiveFailureName(ArchiveFailure failure) {
  switch (failure) {
    case ArchiveFailure::kNone:
      return "none";
    case ArchiveFailure::kInvalidRunId:
      return "invalid_run_id";
    case ArchiveFailure::kNotFound:
      return "not_found";
    case ArchiveFailure::kBadInput:
      return "bad_input";
    case ArchiveFailure::kNoSpace:
      return "no_space";
    case ArchiveFailure::kIo:
      return "io_error";
    case ArchiveFailure::kCancelled:
      return "cancelled";
    case ArchiveFailure::kVerify:
      return "verify_failed";
    case ArchiveFailure::kInternal:
      return "internal";
  }
  return "internal";
}

ArchiveResult WriteUnverifiedArchive(const std::string& worktree_dir,
                                     const std::string& run_id,
                                     const std::string& final_path,
                                     const ArchiveOptions& options) {
  if (Status s = ValidateRunIdForPath(run_id); !s.ok()) {
    return Fail(ArchiveFailure::kInvalidRunId, s);
  }
  if (options.deflate_level < 1 || options.deflate_level > 9) {
    return Fail(ArchiveFailure::kInternal,
                Status::InvalidArgument("deflate level must be 1..9, not " +
                                        std::to_string(options.deflate_level)));
  }
  Result<TreeListing> listing = WalkTree(worktree_dir);
  if (!listing.ok()) {
    return Fail(listing.status().code() == Status::Code::kNotFound
                    ? ArchiveFailure::kNotFound
                    : ArchiveFailure::kBadInput,
                listing.status());
  }
  const std::string archive_dir = ArchiveDirOf(final_path);
  const std::string temp_path = PartialArchivePath(archive_dir, run_id);
  RemovePartialFiles(archive_dir, run_id);

  ArchiveResult result;
  ArchiveStats& stats = result.stats;
  stats.skipped_special = listing->skipped_special;
  stats.skipped_bad_name = listing->skipped_bad_name;
  stats.input_bytes = listing->file_bytes;

  UniqueFd root(open(worktree_dir.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) {
    return Fail(ArchiveFailure::kBadInput,
                Status::IoError("open '" + worktree_dir +
                                "': " + std::strerror(errno)));
  }
  ArchiveReadState state;
  state.root_fd = root.get();
  state.bytes_total = listing->file_bytes;
  state.progress = options.progress;
  state.cancel = options.cancel;
  int threads = options.deflate_threads;
  if (threads == 0) {
    threads = static_cast<int>(
        std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  }
  FilePlan plan = PlanFiles(*listing, options, root.get(), threads > 0);
  // Declared before the archive so they outlive every source libzip holds.
  DeflatePool pool(root.get(), options.deflate_level, std::max(threads, 1),
                   kPoolBudgetBytes, options.cancel, std::move(plan.jobs));
  SourceStore sources;
  ManifestSource manifest;
  manifest.state = &state;

  {
    int open_error = 0;
    ZipArchive zip(
        zip_open(temp_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &open_error));
    if (!zip) {
      zip_error_t error;
      zip_error_init_with_code(&error, open_error);
      ArchiveResult failed = Fail(
          IsNoSpace(zip_error_code_system(&error)) ? ArchiveFailure::kNoSpace
                                                   : ArchiveFailure::kIo,
          Status::IoError("create '" + temp_path +
                          "': " + zip_error_strerror(&error)));
      zip_error_fini(&error);
      return failed;
    }
    ArchiveResult added = AddEntries(zip.get(), *listing, run_id + "/", plan,
                                     &pool, options, state, sources, stats);
    if (!added.ok()) return added;
    ZipSource manifest_source(MakeManifestSource(zip.get(), &manifest));
    if (manifest_source.get() == nullptr) {
      return Fail(ArchiveFailure::kInternal,
                  Status::Internal("manifest source: " +
                                   std::string(zip_strerror(zip.get()))));
    }
    const zip_int64_t index =
        zip_file_add(zip.get(), std::string(kManifestName).c_str(),
                     manifest_source.get(), ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      return Fail(ArchiveFailure::kInternal,
                  Status::Internal("add manifest: " +
                                   std::string(zip_strerror(zip.get()))));
    }
    manifest_source.release();
    zip_file_set_external_attributes(zip.get(), index, 0, ZIP_OPSYS_UNIX,
                                     (S_IFREG | 0644) << 16);
    stats.entries =
        static_cast<std::uint64_t>(zip_get_num_entries(zip.get(), 0));
    zip_register_cancel_callback_with_state(zip.get(), CancelCallback, nullptr,
                                            &state);
    if (!zip.Close()) {
      ArchiveResult failed = CloseFailure(zip.get(), state, temp_path);
      zip.Discard();
      RemovePartialFiles(archive_dir, run_id);
      return failed;
    }
  }

  const auto fail_after_close = [&](ArchiveFailure why, Status s) {
    RemovePartialFiles(archive_dir, run_id);
    return Fail(why, std::move(s));
  };
  if (state.Cancelled()) {
    return fail_after_close(ArchiveFailure::kCancelled,
                            Status::Internal("archival cancelled"));
  }
  int fsync_errno = 0;
  std::error_code size_error;
  if (Status s = FsyncFile(temp_path, &fsync_errno); !s.ok()) {
    return fail_after_close(
        IsNoSpace(fsync_errno) ? ArchiveFailure::kNoSpace : ArchiveFailure::kIo,
        s);
  }
  stats.archive_bytes = std::filesystem::file_size(temp_path, size_error);
  if (size_error) {
    return fail_after_close(ArchiveFailure::kIo,
                            Status::IoError("size of '" + temp_path +
                                            "': " + size_error.message()));
  }
  if (options.progress) options.progress(state.bytes_total, state.bytes_total);
  return result;
}

ArchiveResult InstallVerifiedArchive(const std::string& run_id,
                                     const std::string& final_path,
                                     std::uint64_t expected_entries) {
  if (Status s = ValidateRunIdForPath(run_id); !s.ok()) {
    return Fail(ArchiveFailure::kInvalidRunId, s);
  }
  const std::string archive_dir = ArchiveDirOf(final_path);
  const std::string temp_path = PartialArchivePath(archive_dir, run_id);
  const auto fail_after_close = [&](ArchiveFailure why, Status s) {
    RemovePartialFiles(archive_dir, run_id);
    return Fail(why, std::move(s));
  };
  std::error_code exists_error;
  if (!std::filesystem::is_regular_file(temp_path, exists_error)) {
    return Fail(ArchiveFailure::kNotFound,
                Status::NotFound("no written archive at '" + temp_path + "'"));
  }
  VerifyResult verify = VerifyArchive(temp_path, run_id);
  if (!verify.ok || verify.entries != expected_entries) {
    return fail_after_close(
        ArchiveFailure::kVerify,
        Status::Corruption(
            "verify '" + temp_path +
            "': " + (verify.ok ? "entry count differs" : verify.problem)));
  }
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return fail_after_close(
        ArchiveFailure::kIo,
        Status::IoError("rename '" + temp_path + "' to '" + final_path +
                        "': " + std::strerror(errno)));
  }
  if (Status s = FsyncDirectory(archive_dir); !s.ok()) {
    // The archive is complete and verified; only its durability is unsure.
    // Report it, but leave the file: removing it could lose the only copy.
    return Fail(ArchiveFailure::kIo, s);
  }
  ArchiveResult result;
  result.stats.entries = verify.entries;
  result.stats.archive_bytes = verify.archive_bytes;
  result.stats.archive_sha256 = verify.archive_sha256;
  return result;
}

ArchiveResult WriteRunArchive(const std::string& worktree_dir,
                              const std::string& run_id,
                              const std::string& final_path,
                              const ArchiveOptions& options) {
  ArchiveResult written =
      WriteUnverifiedArchive(worktree_dir, run_id, final_path, options);
  if (!written.ok()) return written;
  ArchiveResult installed =
      InstallVerifiedArchive(run_id, final_path, written.stats.entries);
  if (!installed.ok()) return installed;
  written.stats.archive_bytes = installed.stats.archive_bytes;
  written.stats.archive_sha256 = installed.stats.archive_sha256;
  return written;
}

}  // namespace pe
