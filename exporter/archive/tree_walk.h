#ifndef PIPELINE_EXPORTER_ARCHIVE_TREE_WALK_H_
#define PIPELINE_EXPORTER_ARCHIVE_TREE_WALK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "exporter/common/status.h"

namespace pe {

// One thing found under a worktree root. `path` is relative to the root,
// '/'-separated, valid UTF-8, never empty.
struct TreeEntry {
  enum class Kind { kFile, kDirectory, kSymlink };
  Kind kind = Kind::kFile;
  std::string path;
  std::uint64_t size = 0;   // regular files: st_size at walk time
  std::uint32_t mode = 0;   // permission bits (07777)
  std::int64_t mtime = 0;   // seconds since the epoch
  std::string link_target;  // symlinks: the target text, never followed
};

struct TreeListing {
  std::vector<TreeEntry> entries;  // sorted by path (bytewise)
  std::uint64_t file_bytes = 0;    // sum of regular file sizes
  std::uint64_t link_bytes = 0;    // sum of symlink target lengths
  // Skipped: fifos, sockets, devices (never opened).
  std::uint64_t skipped_special = 0;
  // Skipped: names that are not valid UTF-8 (a directory with such a name
  // is skipped with everything below it, counted once).
  std::uint64_t skipped_bad_name = 0;
};

// Lists everything under `root` without following any symbolic link: each
// directory is opened with openat(O_NOFOLLOW | O_DIRECTORY) relative to its
// parent, entries are classified with fstatat(AT_SYMLINK_NOFOLLOW) and
// symlinks are read with readlinkat. Directories (empty ones included) are
// listed; `root` itself is not. A missing root is NotFound; a root that is
// a symlink or not a directory is InvalidArgument.
Result<TreeListing> WalkTree(const std::string& root);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_TREE_WALK_H_
