#ifndef PIPELINE_EXPORTER_REPORT_REPORT_FORMAT_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_FORMAT_H_

#include <cstdint>
#include <string>

namespace pe {

// Unix seconds as RFC 3339 UTC: 1764929472 -> "2025-12-05T10:11:12Z".
// Valid for years 0000..9999; anything outside is clamped to that range.
std::string FormatRfc3339(int64_t unix_seconds);

// A duration for people, zero-padded after the leading unit:
//   0.25 -> "250ms", 45 -> "45s", 123 -> "2m 03s", 3723 -> "1h 02m 03s",
//   93784 -> "1d 02h 03m 04s". Whole seconds are truncated; negative or
//   non-finite input gives "-".
std::string FormatHumanDuration(double seconds);

// A byte count in binary units with one decimal: 999 -> "999 B",
// 1536 -> "1.5 KiB", 3 * 2^30 -> "3.0 GiB" (up to PiB).
std::string FormatHumanBytes(uint64_t bytes);

// 1234567 -> "1,234,567".
std::string FormatGrouped(uint64_t value);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_FORMAT_H_
