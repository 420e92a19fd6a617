#ifndef PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_
#define PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_

#include <cstdint>
#include <string>

#include "exporter/common/status.h"

namespace pe {

// Temporary name of a run's archive while it is written, beside the final
// one: "<dir>/.<run_id>.zip.partial". libzip itself first writes
// "<that>.XXXXXX" and renames it to this name in zip_close.
std::string PartialArchivePath(const std::string& archive_dir,
                               const std::string& run_id);

// fsync of a file / of a directory (so a rename in it is durable). On
// failure `err` (if given) receives the errno.
Status FsyncFile(const std::string& path, int* err = nullptr);
Status FsyncDirectory(const std::string& dir);

// Removes one run's temporary files (".<run_id>.zip.partial" and
// ".<run_id>.zip.partial.*") from `archive_dir`.
void RemovePartialFiles(const std::string& archive_dir,
                        const std::string& run_id);

// Removes every ".*.zip.partial" and ".*.zip.partial.*" regular file in
// `archive_dir` (what a crash mid-write leaves); call at start, before any
// writer runs. Returns how many were removed; a missing directory is 0.
Result<std::uint64_t> CleanLeftovers(const std::string& archive_dir);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_
