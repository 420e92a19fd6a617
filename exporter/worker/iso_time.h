#ifndef PIPELINE_EXPORTER_WORKER_ISO_TIME_H_
#define PIPELINE_EXPORTER_WORKER_ISO_TIME_H_

#include <string>

namespace pe {

// Formats Unix seconds as the timestamps the worker writes into the
// orchestrator's database: ISO-8601 UTC with microseconds and an explicit
// offset, as Python's datetime.now(timezone.utc).isoformat() does, e.g.
// "2025-12-05T10:11:12.345678+00:00". Rounds to the nearest microsecond.
// pe::ParseTimestamp reads it back.
std::string FormatIsoUtc(double unix_seconds);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_ISO_TIME_H_
