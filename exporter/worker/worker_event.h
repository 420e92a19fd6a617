#ifndef PIPELINE_EXPORTER_WORKER_WORKER_EVENT_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_EVENT_H_

#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace SQLite {
class Database;
}  // namespace SQLite

namespace pe {

// An event the worker appends to the orchestrator's events table. Only the
// types the state contract allows the exporter to write are accepted:
// run_completed, run_archived, archival_skipped, archival_failed,
// archival_preflight_failed, archival_validation_failed, report_generated.
struct WorkerEvent {
  std::string run_id;
  std::string type;
  std::string severity = "info";  // debug, info, warning, error, critical
  std::string data_json;          // a JSON object; empty means NULL
};

bool IsWorkerEventType(std::string_view type);

// InvalidArgument for an event type or severity the contract does not allow.
Status ValidateWorkerEvent(const WorkerEvent& event);

// Inserts the event stamped with now (Unix seconds, written as ISO-8601 UTC
// with microseconds). REQUIRES: inside the caller's write transaction.
// Throws SQLite::Exception on database errors (the caller's BusyRetry maps
// them).
Status InsertWorkerEvent(SQLite::Database& db, const WorkerEvent& event,
                         double now);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_EVENT_H_
