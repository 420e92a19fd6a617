#ifndef PIPELINE_EXPORTER_REPORT_ATOMIC_FILE_H_
#define PIPELINE_EXPORTER_REPORT_ATOMIC_FILE_H_

#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// Replaces the file at `path` with `content` so that a reader, or the file
// system after a crash, sees either the old file (or none) or the complete
// new one, never a part:
//   1. create `.<name>.<pid>-<n>.tmp` in the same directory
//      (O_CREAT|O_EXCL, mode 0644 before umask);
//   2. write everything, fsync it, close it;
//   3. rename it over `path`;
//   4. fsync the directory, so the rename itself is durable.
// The directory must exist. On any failure the temporary file is removed and
// the Status names the step, the path and strerror(errno); `path` is then
// untouched, unless only the final directory fsync failed (the new content
// is in place but may not survive a power loss).
Status WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_ATOMIC_FILE_H_
