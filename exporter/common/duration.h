#ifndef PIPELINE_EXPORTER_COMMON_DURATION_H_
#define PIPELINE_EXPORTER_COMMON_DURATION_H_

#include <chrono>
#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// Parses a Prometheus-style duration: one or more <integer><unit> terms with
// units y (365d), w, d, h, m, s, ms, largest first and each at most once:
// "500ms", "10s", "1h30m", "0s". Rejects an empty string, signs, fractions,
// a missing or unknown unit, units out of order and values that overflow.
// The error message quotes the input and shows valid examples.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Canonical text for a duration, the inverse of ParseDuration for values
// >= 0: "0s", "500ms", "10s", "1h30m", "1w", "1y2d".
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_DURATION_H_
