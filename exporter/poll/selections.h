#ifndef PIPELINE_EXPORTER_POLL_SELECTIONS_H_
#define PIPELINE_EXPORTER_POLL_SELECTIONS_H_

#include "exporter/common/status.h"
#include "exporter/config/config.h"
#include "exporter/metrics/family_selection.h"
#include "exporter/state/project_selection.h"

namespace pe {

// What the metrics.* selection keys ask for: which projects' runs get
// per-run series, which families are exposed.
struct Selections {
  ProjectSelection projects;
  metrics::FamilySelection families;
};

// From config; InvalidArgument naming the key, e.g.
//   metrics.family-deny: "pipeline_run_infos" matches no metric family ...
// The daemon refuses to start on it (exit 2), as --check-config does.
Result<Selections> SelectionsFromConfig(const Config& config);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_POLL_SELECTIONS_H_
