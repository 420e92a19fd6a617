#include "exporter/archive/preflight.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "exporter/archive/tree_walk.h"

namespace pe {

Status VolumeSpace(const std::string& dir, PreflightInfo& info) {
  struct statvfs vfs;
  if (statvfs(dir.c_str(), &vfs) != 0) {
    return Status::IoError("statvfs '" + dir + "': " + std::strerror(errno));
  }
  info.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  info.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  return Status::Ok();
}

Result<PreflightInfo> RunPreflight(const std::string& worktree,
                                   const std::string& archive_dir) {
  Result<TreeListing> listing = WalkTree(worktree);
  if (!listing.ok()) return listing.status();
  PreflightInfo info;
  info.input_bytes = listing->file_bytes + listing->link_bytes;
  Status s = VolumeSpace(archive_dir, info);
  if (!s.ok()) return s;
  return info;
}

Status CheckFreeSpace(std::uint64_t input_bytes, std::uint64_t free_bytes,
                      double factor) {
  const long double needed =
      std::ceil(static_cast<long double>(input_bytes) * factor);
  if (static_cast<long double>(free_bytes) >= needed) return Status::Ok();
  // Past 2^64 the cast would wrap ("need 0"): say how much it really is.
  const std::string need =
      needed >= 18446744073709551615.0L
          ? std::string("more than 2^64")
          : std::to_string(static_cast<std::uint64_t>(needed));
  return Status::IoError("not enough free space on the archive volume: " +
                         std::to_string(free_bytes) + " bytes free, need " +
                         need + " (" + std::to_string(input_bytes) +
                         " input bytes x " + std::to_string(factor) + ")");
}

}  // namespace pe
