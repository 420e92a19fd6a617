#ifndef PIPELINE_EXPORTER_ARCHIVE_OPEN_BENEATH_H_
#define PIPELINE_EXPORTER_ARCHIVE_OPEN_BENEATH_H_

#include <string>

#include "exporter/common/unique_fd.h"

namespace pe {

// Opens the regular file at `relative_path` below the directory `root_fd`
// for reading without following a symlink in ANY component and without
// leaving the root: openat2(RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH) on Linux
// >= 5.6; on older kernels openat(O_NOFOLLOW), which guards only the last
// component. Invalid fd with errno set on failure (ELOOP / EXDEV for a
// symlink or an escape).
UniqueFd OpenBeneath(int root_fd, const std::string& relative_path);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_OPEN_BENEATH_H_
