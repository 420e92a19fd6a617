#include "tools/sim/event_kind.h"

#include <utility>

namespace pe::sim {

const char* EventTypeName(EventKind kind) {
  switch (kind) {
    case EventKind::kRunCreated:
      return "run_created";
    case EventKind::kRunStarted:
      return "run_started";
    case EventKind::kStepStarted:
      return "step_started";
    case EventKind::kStepCompleted:
      return "step_completed";
    case EventKind::kStepFailed:
      return "step_failed";
    case EventKind::kRunCompleted:
      return "run_completed";
    case EventKind::kRunFailed:
      return "run_failed";
    case EventKind::kRunQuarantined:
      return "run_quarantined";
    case EventKind::kRunCanceled:
      return "run_canceled";
    case EventKind::kCheckpointSaved:
      return "checkpoint_saved";
    case EventKind::kStepRetrying:
      return "step_retrying";
    case EventKind::kStepSkipped:
      return "step_skipped";
    case EventKind::kSchedulerHeartbeat:
      return "scheduler_heartbeat";
  }
  return "unknown";
}

const char* DefaultSeverity(EventKind kind) {
  switch (kind) {
    case EventKind::kStepStarted:
    case EventKind::kCheckpointSaved:
    case EventKind::kSchedulerHeartbeat:
      return "debug";
    case EventKind::kStepRetrying:
    case EventKind::kStepSkipped:
    case EventKind::kRunCanceled:
      return "warning";
    case EventKind::kStepFailed:
    case EventKind::kRunFailed:
      return "error";
    case EventKind::kRunQuarantined:
      return "critical";
    default:
      return "info";
  }
}

EventRow MakeEvent(Rng& rng, Micros t, std::optional<std::string> run_id,
                   EventKind kind, std::string data, const char* severity) {
  EventRow row;
  row.run_id = std::move(run_id);
  row.event_type = EventTypeName(kind);
  row.severity = severity != nullptr ? severity : DefaultSeverity(kind);
  row.timestamp = MixedTimestamp(rng, t);
  if (rng.Chance(0.002)) {
    row.data = "{'python': 'repr', 'not': json}";
  } else {
    row.data = std::move(data);
  }
  return row;
}

}  // namespace pe::sim
