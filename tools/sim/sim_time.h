#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SIM_TIME_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SIM_TIME_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "tools/sim/rng.h"

namespace pe::sim {

// Simulated instants are Unix microseconds (UTC), like Python's datetime.
using Micros = int64_t;
inline constexpr Micros kMicrosPerSecond = 1'000'000;

inline Micros ToMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             t.time_since_epoch())
      .count();
}
inline Micros SecondsToMicros(double seconds) {
  return static_cast<Micros>(seconds * kMicrosPerSecond);
}

// The ISO-8601 forms the Python orchestrator writes (state contract,
// "Timestamps"); all UTC.
enum class TimestampForm {
  kIsoMicros,  // 2025-12-05T10:11:12.345678   datetime.utcnow().isoformat()
  kIsoMicrosOffset,  // 2025-12-05T10:11:12.345678+00:00  now(timezone.utc)
  kIsoMillisOffset,  // 2025-12-05T10:11:12.345+00:00
  kIsoSecondsZ,      // 2025-12-05T10:11:12Z
  kIsoSeconds,       // 2025-12-05T10:11:12            (isoformat, 0 us)
  kSqliteSeconds,    // 2025-12-05 10:11:12            datetime('now')
};

std::string FormatTimestamp(Micros t, TimestampForm form);

// Picks a form with the mix seen in real files (mostly microseconds).
TimestampForm PickTimestampForm(Rng& rng);

// FormatTimestamp(t, PickTimestampForm(rng)).
std::string MixedTimestamp(Rng& rng, Micros t);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SIM_TIME_H_
