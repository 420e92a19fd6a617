#ifndef PIPELINE_EXPORTER_COMMON_TIMESTAMP_H_
#define PIPELINE_EXPORTER_COMMON_TIMESTAMP_H_

#include <optional>
#include <string>
#include <string_view>

namespace pe {

// Parses the ISO-8601 forms the orchestrator writes (state contract,
// "Timestamps") into Unix seconds:
//   2025-12-05T10:11:12            UTC (no offset means UTC)
//   2025-12-05T10:11:12.345678     fraction of 1 to 9 digits
//   2025-12-05T10:11:12Z
//   2025-12-05T10:11:12.345+00:00  any offset +HH:MM / -HH:MM / +HHMM
//   2025-12-05 10:11:12            space separator (SQLite datetime('now'))
// Anything else (garbage, out-of-range fields, trailing text) is nullopt.
std::optional<double> ParseTimestamp(std::string_view text);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_TIMESTAMP_H_
