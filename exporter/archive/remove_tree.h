#ifndef PIPELINE_EXPORTER_ARCHIVE_REMOVE_TREE_H_
#define PIPELINE_EXPORTER_ARCHIVE_REMOVE_TREE_H_

#include <cstdint>
#include <string>

#include "exporter/common/status.h"

namespace pe {

// Deletes the directory `parent_dir`/`name` and everything below it without
// ever following a symlink: each level is opened with openat(O_NOFOLLOW |
// O_DIRECTORY) relative to the one above, symlinks are unlinked as links,
// so nothing outside the tree is touched even if it changes meanwhile.
// `name` must be a single path component. A missing tree is NotFound; a
// symlink in its place is InvalidArgument (nothing removed). Returns the
// number of entries removed (the tree itself included).
Result<std::uint64_t> RemoveTree(const std::string& parent_dir,
                                 const std::string& name);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_REMOVE_TREE_H_
