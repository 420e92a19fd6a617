#ifndef PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_VERIFY_H_
#define PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_VERIFY_H_

#include <cstdint>
#include <string>

namespace pe {

struct VerifyResult {
  bool ok = false;
  std::uint64_t entries = 0;        // entries in the archive
  std::uint64_t bytes = 0;          // uncompressed bytes read
  std::uint64_t archive_bytes = 0;  // size of the archive file
  std::string archive_sha256;       // hex SHA-256 of the archive file
  std::string problem;              // why !ok (empty when ok)
};

// Checks a run archive end to end: opens it with ZIP_CHECKCONS, reads every
// entry to EOF (libzip checks the CRC there), compares the bytes read with
// the recorded size, checks that every entry is "<run_id>/..." (or the
// top-level MANIFEST.sha256) with no ".." or absolute part, and that the
// manifest lists exactly the file and symlink entries with the SHA-256 of
// their content. Also hashes the archive file itself. Never throws.
VerifyResult VerifyArchive(const std::string& path,
                           const std::string& expected_run_id);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_ARCHIVE_VERIFY_H_
