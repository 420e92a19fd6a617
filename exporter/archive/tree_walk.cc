#include "exporter/archive/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exporter/common/unique_fd.h"
#include "exporter/common/utf8.h"

namespace pe {
namespace {

bool IsValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IoError(msg);
}

class DirCloser {
 public:
  explicit DirCloser(DIR* dir) : dir_(dir) {}
  ~DirCloser() {
    if (dir_ != nullptr) closedir(dir_);
  }
  DirCloser(const DirCloser&) = delete;
  DirCloser& operator=(const DirCloser&) = delete;
  DIR* get() const { return dir_; }

 private:
  DIR* dir_;
};

// Walks the directory open as `dir_fd` (ownership taken), whose relative
// path is `prefix` ("" for the root).
Status WalkDir(UniqueFd dir_fd, const std::string& prefix, TreeListing& out) {
  const int fd = dir_fd.get();
  DIR* raw = fdopendir(fd);
  if (raw == nullptr) {
    return ErrnoStatus("open directory", prefix.empty() ? "." : prefix, errno);
  }
  dir_fd.release();  // now owned by the DIR stream
  DirCloser dir(raw);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* ent = readdir(dir.get())) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(std::move(name));
  }
  if (errno != 0) {
    return ErrnoStatus("read directory", prefix.empty() ? "." : prefix, errno);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string rel = prefix.empty() ? name : prefix + "/" + name;
    if (!IsValidUtf8(name)) {
      ++out.skipped_bad_name;
      continue;
    }
    struct stat st;
    if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while we walk
      return ErrnoStatus("stat", rel, errno);
    }
    TreeEntry entry;
    entry.path = rel;
    entry.mode = st.st_mode & 07777;
    entry.mtime = st.st_mtime;
    if (S_ISREG(st.st_mode)) {
      entry.kind = TreeEntry::Kind::kFile;
      entry.size = static_cast<std::uint64_t>(st.st_size);
      out.file_bytes += entry.size;
      out.entries.push_back(std::move(entry));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 256, '\0');
      ssize_t n = readlinkat(fd, name.c_str(), target.data(), target.size());
      if (n < 0) return ErrnoStatus("read link", rel, errno);
      target.resize(static_cast<std::size_t>(n));
      entry.kind = TreeEntry::Kind::kSymlink;
      entry.link_target = std::move(target);
      out.link_bytes += entry.link_target.size();
      out.entries.push_back(std::move(entry));
    } else if (S_ISDIR(st.st_mode)) {
      entry.kind = TreeEntry::Kind::kDirectory;
      out.entries.push_back(std::move(entry));
      UniqueFd child(openat(fd, name.c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child.valid()) return ErrnoStatus("open directory", rel, errno);
      Status s = WalkDir(std::move(child), rel, out);
      if (!s.ok()) return s;
    } else {
      ++out.skipped_special;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TreeListing> WalkTree(const std::string& root) {
  struct stat st;
  if (lstat(root.c_str(), &st) != 0) return ErrnoStatus("stat", root, errno);
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("'" + root +
                                   "' is not a directory (symlinked roots "
                                   "are not followed)");
  }
  UniqueFd fd(
      open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open directory", root, errno);
  TreeListing listing;
  Status s = WalkDir(std::move(fd), "", listing);
  if (!s.ok()) return s.WithContext("walk '" + root + "'");
  // Sorting per directory is not a global bytewise order ("a/b" vs "a.b"):
  // sort the whole list once.
  std::sort(
      listing.entries.begin(), listing.entries.end(),
      [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return listing;
}

}  // namespace pe
