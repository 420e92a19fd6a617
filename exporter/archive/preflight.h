#ifndef PIPELINE_EXPORTER_ARCHIVE_PREFLIGHT_H_
#define PIPELINE_EXPORTER_ARCHIVE_PREFLIGHT_H_

#include <cstdint>
#include <string>

#include "exporter/common/status.h"

namespace pe {

// What an archival needs to know before it starts writing.
struct PreflightInfo {
  std::uint64_t input_bytes = 0;  // regular file bytes + symlink texts
  std::uint64_t free_bytes = 0;   // statvfs f_bavail * f_frsize
  std::uint64_t total_bytes = 0;  // statvfs f_blocks * f_frsize
};

// Free and total bytes of the volume holding `dir` (statvfs).
Status VolumeSpace(const std::string& dir, PreflightInfo& info);

// Input bytes of `worktree` (WalkTree: symlinks not followed) and the space
// of the volume of `archive_dir`. A missing worktree is NotFound.
Result<PreflightInfo> RunPreflight(const std::string& worktree,
                                   const std::string& archive_dir);

// OK when free_bytes >= factor * input_bytes; otherwise a Status naming
// both figures (kIoError, so it is not mistaken for bad input).
Status CheckFreeSpace(std::uint64_t input_bytes, std::uint64_t free_bytes,
                      double factor);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_PREFLIGHT_H_
