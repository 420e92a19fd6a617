#include "exporter/worker/worker_event.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>

#include "exporter/worker/iso_time.h"

namespace pe {
namespace {

constexpr std::array<std::string_view, 7> kTypes = {
    "run_completed",
    "run_archived",
    "archival_skipped",
    "archival_failed",
    "archival_preflight_failed",
    "archival_validation_failed",
    "report_generated",
};

constexpr std::array<std::string_view, 5> kSeverities = {
    "debug", "info", "warning", "error", "critical"};

template <typename Array>
bool Contains(const Array& values, std::string_view v) {
  for (std::string_view x : values) {
    if (x == v) return true;
  }
  return false;
}

}  // namespace

bool IsWorkerEventType(std::string_view type) { return Contains(kTypes, type); }

Status ValidateWorkerEvent(const WorkerEvent& event) {
  if (!IsWorkerEventType(event.type)) {
    return Status::InvalidArgument("event type '" + event.type +
                                   "' is not one the exporter may write");
  }
  if (!Contains(kSeverities, event.severity)) {
    return Status::InvalidArgument("unknown event severity '" + event.severity +
                                   "'");
  }
  if (event.run_id.empty()) {
    return Status::InvalidArgument("worker event without run_id");
  }
  return Status::Ok();
}

Status InsertWorkerEvent(SQLite::Database& db, const WorkerEvent& event,
                         double now) {
  Status valid = ValidateWorkerEvent(event);
  if (!valid.ok()) return valid;
  SQLite::Statement q(db,
                      "INSERT INTO events (run_id, event_type, severity, "
                      "timestamp, data) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, event.run_id);
  q.bind(2, event.type);
  q.bind(3, event.severity);
  q.bind(4, FormatIsoUtc(now));
  if (event.data_json.empty()) {
    q.bind(5);
  } else {
    q.bind(5, event.data_json);
  }
  q.exec();
  return Status::Ok();
}

}  // namespace pe
