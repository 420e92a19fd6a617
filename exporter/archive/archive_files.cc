#include "exporter/archive/archive_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "exporter/common/run_id_path.h"
#include "exporter/common/unique_fd.h"

namespace pe {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " '" + path + "': " + std::strerror(errno));
}

// The run id of a partial file's name, or "" if it is not one.
std::string PartialRunId(const std::string& name) {
  if (name.empty() || name[0] != '.') return "";
  const std::string kMark = ".zip.partial";
  const std::size_t pos = name.rfind(kMark);
  if (pos == std::string::npos || pos < 2) return "";
  const std::size_t end = pos + kMark.size();
  if (end != name.size() && name[end] != '.') return "";
  return name.substr(1, pos - 1);
}

Status FsyncOpened(const std::string& path, int flags, int* err) {
  UniqueFd fd(open(path.c_str(), flags | O_CLOEXEC));
  if (fd.valid() && fsync(fd.get()) == 0) return Status::Ok();
  if (err != nullptr) *err = errno;
  return Errno(fd.valid() ? "fsync" : "open for fsync", path);
}

// A path's components without "." and empty ones; ".." is kept.
std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> parts;
  for (const std::filesystem::path& part : std::filesystem::path(path)) {
    if (part.empty() || part == ".") continue;
    parts.push_back(part.string());
  }
  return parts;
}

}  // namespace

std::string ArchivePathFor(const std::string& archive_dir,
                           const std::string& run_id) {
  return archive_dir + "/" + run_id + ".zip";
}

Status CheckRecordedArchivePath(const std::string& archive_dir,
                                const std::string& run_id,
                                const std::string& recorded) {
  const std::string prefix = "archive path '" + recorded +
                             "' is not where this exporter writes archives";
  if (Status valid = ValidateRunIdForPath(run_id); !valid.ok()) {
    return Status::InvalidArgument(prefix + " (" + valid.message() + ")");
  }
  if (archive_dir.empty()) {
    return Status::InvalidArgument(prefix + " (no archive directory)");
  }
  const std::string expected = ArchivePathFor(archive_dir, run_id);
  if (Components(recorded) != Components(expected)) {
    return Status::InvalidArgument(prefix + " (expected '" + expected + "')");
  }
  return Status::Ok();
}

bool IsRealDirectory(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string PartialArchivePath(const std::string& archive_dir,
                               const std::string& run_id) {
  return (std::filesystem::path(archive_dir) / ("." + run_id + ".zip.partial"))
      .string();
}

Status FsyncFile(const std::string& path, int* err) {
  return FsyncOpened(path, O_RDONLY, err);
}

Status FsyncDirectory(const std::string& dir) {
  return FsyncOpened(dir, O_RDONLY | O_DIRECTORY, nullptr);
}

void RemovePartialFiles(const std::string& archive_dir,
                        const std::string& run_id) {
  const std::string base = "." + run_id + ".zip.partial";
  std::error_code ec;
  std::filesystem::directory_iterator it(archive_dir, ec);
  if (ec) return;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name == base || name.rfind(base + ".", 0) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

Result<std::uint64_t> CleanLeftovers(const std::string& archive_dir,
                                     const std::set<std::string>& in_use) {
  std::error_code ec;
  std::filesystem::directory_iterator it(archive_dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return std::uint64_t{0};
  if (ec) {
    return Status::IoError("list '" + archive_dir + "': " + ec.message());
  }
  std::uint64_t removed = 0;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    const std::string run_id = PartialRunId(name);
    if (run_id.empty() || in_use.count(run_id) > 0) continue;
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    if (std::filesystem::remove(entry.path(), ec)) {
      ++removed;
    } else if (ec) {
      return Status::IoError("remove '" + entry.path().string() +
                             "': " + ec.message());
    }
  }
  return removed;
}

}  // namespace pe
