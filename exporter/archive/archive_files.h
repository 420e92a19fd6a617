#ifndef PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_
#define PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_

#include <cstdint>
#include <set>
#include <string>

#include "exporter/common/status.h"

namespace pe {

// Where a run's archive lives: "<archive_dir>/<run_id>.zip". The only
// place the worker writes an archive, and the only path it trusts when it
// reads one back from the database.
std::string ArchivePathFor(const std::string& archive_dir,
                           const std::string& run_id);

// OK if `recorded` (an archive path read from the database) may be opened
// or deleted for run_id: the run id passes ValidateRunIdForPath and the
// path is ArchivePathFor(archive_dir, run_id) component by component,
// ignoring "." and repeated or trailing '/' but never collapsing ".." (a
// symlinked directory would make "a/../b" lead elsewhere). Otherwise
// InvalidArgument saying "is not where this exporter writes archives".
Status CheckRecordedArchivePath(const std::string& archive_dir,
                                const std::string& run_id,
                                const std::string& recorded);

// Whether path names a real directory (lstat: a symlink to one is not).
bool IsRealDirectory(const std::string& path);

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

// Removes every ".<run_id>.zip.partial" and ".<run_id>.zip.partial.*"
// regular file in `archive_dir` (what a crash mid-write leaves) except
// those of the runs in `in_use` (another worker or exporter may be writing
// them now: pass the runs whose job holds a live lease). Returns how many
// were removed; a missing directory is 0.
Result<std::uint64_t> CleanLeftovers(const std::string& archive_dir,
                                     const std::set<std::string>& in_use = {});

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_FILES_H_
