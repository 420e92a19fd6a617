#include "exporter/report/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "exporter/common/unique_fd.h"

namespace pe {
namespace {

// Removes the temporary file unless Release() was called.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::IoError(what + " '" + path + "': " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status FsyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync directory", dir);
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path target(path);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument("write '" + path + "': not a file name");
  }
  const std::filesystem::path parent = target.parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();

  // A name already taken (a crashed writer's leftover) is skipped.
  std::string temp;
  int raw_fd = -1;
  for (int tries = 0; tries < 100 && raw_fd < 0; ++tries) {
    temp = (std::filesystem::path(dir) /
            ("." + name + "." + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)) + ".tmp"))
               .string();
    raw_fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw_fd < 0 && errno != EEXIST) break;
  }
  if (raw_fd < 0) return ErrnoStatus("create temporary file", temp);
  UniqueFd fd(raw_fd);
  TempFileGuard guard(temp);

  if (Status s = WriteAll(fd.get(), content, temp); !s.ok()) return s;
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", temp);
  if (fd.Close() != 0) return ErrnoStatus("close", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus("rename '" + temp + "' to", path);
  }
  guard.Release();
  return FsyncDirectory(dir);
}

}  // namespace pe
