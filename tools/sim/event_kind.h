#ifndef PIPELINE_EXPORTER_TOOLS_SIM_EVENT_KIND_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_EVENT_KIND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "tools/sim/contract_writer.h"
#include "tools/sim/rng.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {

// The events the simulated orchestrator appends. The last four are types the
// contract does not list: the exporter must count them, not reject them.
enum class EventKind : uint8_t {
  kRunCreated,
  kRunStarted,
  kStepStarted,
  kStepCompleted,
  kStepFailed,
  kRunCompleted,
  kRunFailed,
  kRunQuarantined,
  kRunCanceled,
  kCheckpointSaved,
  kStepRetrying,
  kStepSkipped,
  kSchedulerHeartbeat,
};

const char* EventTypeName(EventKind kind);
// The severity the orchestrator usually gives this kind.
const char* DefaultSeverity(EventKind kind);

// An event row at `t` (in a mixed timestamp form) with the kind's default
// severity unless `severity` is given. `data` is a JSON object; about one
// event in 500 gets a Python-repr payload that is not valid JSON instead.
EventRow MakeEvent(Rng& rng, Micros t, std::optional<std::string> run_id,
                   EventKind kind, std::string data,
                   const char* severity = nullptr);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_EVENT_KIND_H_
