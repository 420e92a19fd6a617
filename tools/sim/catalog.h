#ifndef PIPELINE_EXPORTER_TOOLS_SIM_CATALOG_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_CATALOG_H_

#include <optional>
#include <string>

#include "tools/sim/rng.h"

namespace pe::sim {

// Names the simulated orchestrator uses for projects, phases, workstreams and
// steps, and the free-form metadata it stores with a run.

// "proj-a", "proj-b", ... "proj-z", "proj-aa", ...
std::string ProjectName(size_t index);
std::string PickProject(Rng& rng, int projects);
// "phase1_planning" ... "phase5_execution".
std::string PickPhase(Rng& rng);
// The number of phases PickPhase draws from, and the one at `index`.
size_t PhaseCount();
std::string PhaseName(size_t index);
// Nullopt for about a third of the runs, else one of 40 "ws-NNN" values.
std::optional<std::string> PickWorkstream(Rng& rng);

// Phase `index` of any number of phases: PhaseName's five, then
// "phase6_planning", "phase7_design", ... (the words cycle).
std::string NumberedPhaseName(size_t index);
// "ws-000", "ws-001", ...
std::string WorkstreamName(size_t index);
// `name` lengthened to `bytes` with "-" and words, the same words for the
// same name, so that distinct names stay distinct; unchanged if it already
// has `bytes` or more.
std::string PadName(std::string name, size_t bytes);

// "step_01", "step_02", ...: unique within a run, sorted by position.
std::string StepId(int index);
// A human-readable name for the step at `index` ("checkout", "build", ...).
std::string StepName(int index);

// A JSON object; rarely (`allow_invalid`) a Python repr that is not JSON, as
// old rows hold.
std::string MakeRunMetadata(Rng& rng, bool allow_invalid);
// The same, a JSON object lengthened to `bytes` with a "notes" member (an
// invalid one is left as it is).
std::string MakeRunMetadata(Rng& rng, bool allow_invalid, size_t bytes);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_CATALOG_H_
