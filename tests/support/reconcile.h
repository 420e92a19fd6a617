#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_RECONCILE_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_RECONCILE_H_

#include <vector>

#include "exporter/state/run_model.h"
#include "exporter/state/run_tracker.h"

namespace pe::testing {

// A full read of `rows` through the tracker's streamed reconcile, as the
// poller does it (BeginReconcile, ReconcileRow for each, EndReconcile).
inline void ReconcileAll(RunTracker& tracker, const std::vector<RunRow>& rows,
                         double now, bool count_transitions) {
  tracker.BeginReconcile(count_transitions);
  for (const RunRow& row : rows) tracker.ReconcileRow(RunRowValue(row), now);
  tracker.EndReconcile();
}

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_RECONCILE_H_
