#include "exporter/archive/hashing_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exporter/archive/manifest.h"
#include "exporter/archive/open_beneath.h"

namespace pe {
namespace {

constexpr std::uint64_t kProgressStep = 1 << 20;

ArchiveFailure FailureForErrno(int err) {
  return (err == ENOSPC || err == EDQUOT || err == EFBIG)
             ? ArchiveFailure::kNoSpace
             : ArchiveFailure::kBadInput;
}

zip_int64_t StatReply(void* data, zip_uint64_t len, std::uint64_t size,
                      bool size_known, std::int64_t mtime, zip_error_t* error) {
  auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, error);
  if (st == nullptr) return -1;
  zip_stat_init(st);
  if (size_known) {
    st->size = size;
    st->valid |= ZIP_STAT_SIZE;
  }
  if (mtime != 0) {
    st->mtime = static_cast<time_t>(mtime);
    st->valid |= ZIP_STAT_MTIME;
  }
  return sizeof(zip_stat_t);
}

zip_int64_t FileCallback(void* userdata, void* data, zip_uint64_t len,
                         zip_source_cmd_t cmd) {
  auto* src = static_cast<HashingFileSource*>(userdata);
  ArchiveReadState* state = src->state;
  switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(
          ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
          ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT:
      return StatReply(data, len, src->size, true, src->mtime, &src->error);
    case ZIP_SOURCE_OPEN: {
      if (state->Cancelled()) {
        state->Fail(ArchiveFailure::kCancelled,
                    Status::Internal("archival cancelled"));
        zip_error_set(&src->error, ZIP_ER_CANCELLED, 0);
        return -1;
      }
      src->fd = OpenBeneath(state->root_fd, src->path);
      struct stat st;
      if (!src->fd.valid() || fstat(src->fd.get(), &st) != 0) {
        const int err = errno;
        state->Fail(
            FailureForErrno(err),
            Status::IoError("open '" + src->path + "': " + std::strerror(err)));
        zip_error_set(&src->error, ZIP_ER_OPEN, err);
        return -1;
      }
      if (!S_ISREG(st.st_mode)) {
        state->Fail(
            ArchiveFailure::kBadInput,
            Status::IoError("'" + src->path + "' is no longer a regular file"));
        zip_error_set(&src->error, ZIP_ER_OPEN, 0);
        return -1;
      }
      src->sha.Reset();
      return 0;
    }
    case ZIP_SOURCE_READ: {
      if (state->Cancelled()) {
        state->Fail(ArchiveFailure::kCancelled,
                    Status::Internal("archival cancelled"));
        zip_error_set(&src->error, ZIP_ER_CANCELLED, 0);
        return -1;
      }
      ssize_t n;
      do {
        n = read(src->fd.get(), data, len);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        const int err = errno;
        state->Fail(
            ArchiveFailure::kBadInput,
            Status::IoError("read '" + src->path + "': " + std::strerror(err)));
        zip_error_set(&src->error, ZIP_ER_READ, err);
        return -1;
      }
      if (n == 0) {
        state->hashes[src->slot] = Sha256::Hex(src->sha.Finish());
        return 0;
      }
      src->sha.Update(data, static_cast<std::size_t>(n));
      state->bytes_done += static_cast<std::uint64_t>(n);
      if (state->progress && state->bytes_done >= state->next_report &&
          state->bytes_done < state->bytes_total) {
        state->progress(state->bytes_done, state->bytes_total);
        state->next_report = state->bytes_done + kProgressStep;
      }
      return n;
    }
    case ZIP_SOURCE_CLOSE:
      src->fd.Reset();
      return 0;
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&src->error, data, len);
    case ZIP_SOURCE_FREE:
      return 0;
    default:
      zip_error_set(&src->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

// Waits for the source's job; false (failure recorded) if it failed.
bool AwaitJob(PrecompressedSource* src) {
  if (src->job != nullptr) return true;
  DeflateJob& job = src->pool->Wait(src->job_index);
  if (job.failure != ArchiveFailure::kNone) {
    src->state->Fail(job.failure, job.status);
    zip_error_set(&src->error,
                  job.failure == ArchiveFailure::kCancelled ? ZIP_ER_CANCELLED
                                                            : ZIP_ER_READ,
                  0);
    return false;
  }
  src->job = &job;
  src->comp_size = job.compressed.size();
  src->state->hashes[src->slot] = job.sha256_hex;
  return true;
}

zip_int64_t PrecompressedCallback(void* userdata, void* data, zip_uint64_t len,
                                  zip_source_cmd_t cmd) {
  auto* src = static_cast<PrecompressedSource*>(userdata);
  ArchiveReadState* state = src->state;
  switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(
          ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
          ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT: {
      if (!AwaitJob(src)) return -1;
      auto* st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &src->error);
      if (st == nullptr) return -1;
      zip_stat_init(st);
      st->size = src->job->read_bytes;
      st->comp_size = src->comp_size;
      st->comp_method = ZIP_CM_DEFLATE;
      st->crc = src->job->crc;
      st->encryption_method = ZIP_EM_NONE;
      st->valid |= ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD |
                   ZIP_STAT_CRC | ZIP_STAT_ENCRYPTION_METHOD;
      if (src->mtime != 0) {
        st->mtime = static_cast<time_t>(src->mtime);
        st->valid |= ZIP_STAT_MTIME;
      }
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_OPEN:
      if (state->Cancelled()) {
        state->Fail(ArchiveFailure::kCancelled,
                    Status::Internal("archival cancelled"));
        zip_error_set(&src->error, ZIP_ER_CANCELLED, 0);
        return -1;
      }
      if (!AwaitJob(src) || src->released) {
        if (src->released) zip_error_set(&src->error, ZIP_ER_INTERNAL, 0);
        return -1;
      }
      src->offset = 0;
      return 0;
    case ZIP_SOURCE_READ: {
      const std::string& bytes = src->job->compressed;
      const std::size_t n =
          std::min<std::size_t>(bytes.size() - src->offset, len);
      std::memcpy(data, bytes.data() + src->offset, n);
      src->offset += n;
      if (n == 0) {
        state->bytes_done += src->job->read_bytes;
        if (state->progress && state->bytes_done >= state->next_report &&
            state->bytes_done < state->bytes_total) {
          state->progress(state->bytes_done, state->bytes_total);
          state->next_report = state->bytes_done + kProgressStep;
        }
      }
      return static_cast<zip_int64_t>(n);
    }
    case ZIP_SOURCE_CLOSE:
      if (src->job != nullptr && !src->released) {
        src->pool->Release(src->job_index);
        src->released = true;
      }
      return 0;
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&src->error, data, len);
    case ZIP_SOURCE_FREE:
      return 0;
    default:
      zip_error_set(&src->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

// The manifest text, or "" with a failure recorded if a file is unhashed.
bool BuildManifest(ArchiveReadState* state) {
  Manifest manifest;
  for (std::size_t i = 0; i < state->names.size(); ++i) {
    if (state->hashes[i].empty()) {
      state->Fail(ArchiveFailure::kInternal,
                  Status::Internal("manifest built before '" + state->names[i] +
                                   "' was read"));
      return false;
    }
    manifest[state->names[i]] = state->hashes[i];
  }
  state->manifest_text = FormatManifest(manifest);
  return true;
}

bool AllHashed(const ArchiveReadState* state) {
  for (const std::string& h : state->hashes) {
    if (h.empty()) return false;
  }
  return true;
}

zip_int64_t ManifestCallback(void* userdata, void* data, zip_uint64_t len,
                             zip_source_cmd_t cmd) {
  auto* src = static_cast<ManifestSource*>(userdata);
  ArchiveReadState* state = src->state;
  switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(
          ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
          ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT: {
      // The size is known once every file has been read (libzip stats an
      // entry just before writing it); earlier it is left unknown.
      const bool known = AllHashed(state) && BuildManifest(state);
      return StatReply(data, len, state->manifest_text.size(), known, 0,
                       &src->error);
    }
    case ZIP_SOURCE_OPEN:
      if (!BuildManifest(state)) {
        zip_error_set(&src->error, ZIP_ER_INTERNAL, 0);
        return -1;
      }
      src->offset = 0;
      return 0;
    case ZIP_SOURCE_READ: {
      const std::size_t left = state->manifest_text.size() - src->offset;
      const std::size_t n = std::min<std::size_t>(left, len);
      std::memcpy(data, state->manifest_text.data() + src->offset, n);
      src->offset += n;
      return static_cast<zip_int64_t>(n);
    }
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_FREE:
      return 0;
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&src->error, data, len);
    default:
      zip_error_set(&src->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

}  // namespace

zip_source_t* MakeFileSource(zip_t* zip, HashingFileSource* source) {
  return zip_source_function(zip, FileCallback, source);
}

zip_source_t* MakePrecompressedSource(zip_t* zip, PrecompressedSource* source) {
  return zip_source_function(zip, PrecompressedCallback, source);
}

zip_source_t* MakeManifestSource(zip_t* zip, ManifestSource* source) {
  return zip_source_function(zip, ManifestCallback, source);
}

}  // namespace pe
