#include "exporter/archive/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "exporter/common/unique_fd.h"

namespace pe {
namespace {

constexpr int kMaxDepth = 256;

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " '" + path + "': " + std::strerror(errno));
}

// Empties the directory open as dir_fd (taking ownership), counting what
// it removes. path is for messages only.
Status EmptyDirectory(UniqueFd dir_fd, const std::string& path, int depth,
                      std::uint64_t* removed) {
  if (depth > kMaxDepth) {
    return Status::InvalidArgument(
        "tree deeper than " + std::to_string(kMaxDepth) + " at '" + path + "'");
  }
  const int fd = dir_fd.get();
  DirHandle dir(fdopendir(fd));
  if (!dir) return Errno("list", path);
  dir_fd.release();  // owned by dir now
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (errno != 0) return Errno("list", path);
  for (const std::string& name : names) {
    const std::string child = path + "/" + name;
    struct stat st;
    if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return Errno("stat", child);
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(fd, name.c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) return Errno("open", child);
      if (Status s = EmptyDirectory(std::move(sub), child, depth + 1, removed);
          !s.ok()) {
        return s;
      }
      if (unlinkat(fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return Errno("remove directory", child);
      }
    } else if (unlinkat(fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return Errno("remove", child);
    }
    ++*removed;
  }
  return Status::Ok();
}

}  // namespace

Result<std::uint64_t> RemoveTree(const std::string& parent_dir,
                                 const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string::npos) {
    return Status::InvalidArgument("not a single path component: '" + name +
                                   "'");
  }
  const std::string path = parent_dir + "/" + name;
  UniqueFd parent(open(parent_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid()) {
    if (errno == ENOENT)
      return Status::NotFound("no folder '" + parent_dir + "'");
    return Errno("open", parent_dir);
  }
  UniqueFd root(openat(parent.get(), name.c_str(),
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) {
    if (errno == ENOENT) return Status::NotFound("no folder '" + path + "'");
    if (errno == ELOOP || errno == ENOTDIR) {
      return Status::InvalidArgument("'" + path +
                                     "' is not a directory (a symlink or a "
                                     "file); not removed");
    }
    return Errno("open", path);
  }
  std::uint64_t removed = 0;
  if (Status s = EmptyDirectory(std::move(root), path, 0, &removed); !s.ok()) {
    return s;
  }
  if (unlinkat(parent.get(), name.c_str(), AT_REMOVEDIR) != 0) {
    return Errno("remove directory", path);
  }
  fsync(parent.get());
  return removed + 1;
}

}  // namespace pe
