#ifndef PIPELINE_EXPORTER_COMMON_SQLITE_STATUS_H_
#define PIPELINE_EXPORTER_COMMON_SQLITE_STATUS_H_

#include <string>

#include "exporter/common/status.h"

namespace pe {

// Maps an SQLite result code (primary or extended) and message to a Status
// whose message is "what: message". SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT and
// SQLITE_LOCKED are Busy; CORRUPT and NOTADB Corruption; CANTOPEN and a
// missing table or column NotFound; I/O, full, protocol and read-only
// errors IoError; anything else Internal.
Status SqliteErrorToStatus(int code, const std::string& what,
                           const std::string& message);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_SQLITE_STATUS_H_
