#ifndef PIPELINE_EXPORTER_ARCHIVE_MANIFEST_H_
#define PIPELINE_EXPORTER_ARCHIVE_MANIFEST_H_

#include <map>
#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// Name of the manifest entry at the top of every run archive.
inline constexpr std::string_view kManifestName = "MANIFEST.sha256";

// The manifest maps an entry name ("<run_id>/<path>") to the lower-case hex
// SHA-256 of its content (a regular file's bytes, a symlink's target text).
using Manifest = std::map<std::string, std::string>;

// `sha256sum` format, one "<hex>  <name>\n" line per entry in name order. A
// name holding '\\' or '\n' is escaped as sha256sum does it: the line starts
// with '\\' and the name has "\\\\" and "\\n", so `sha256sum -c` reads it.
std::string FormatManifest(const Manifest& manifest);

// Reads FormatManifest's output back. Corruption names the first bad line.
Result<Manifest> ParseManifest(std::string_view text);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_MANIFEST_H_
