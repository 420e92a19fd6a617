#ifndef PIPELINE_EXPORTER_WORKER_COMPLETION_MARKER_H_
#define PIPELINE_EXPORTER_WORKER_COMPLETION_MARKER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Closes runs the orchestrator left `running` although all their steps are
// terminal (state contract, "What the exporter may write"): such a run
// becomes `succeeded` if no step failed, else `partial`, with ended_at (and
// updated_at where the column exists) set to now, and a `run_completed`
// event (severity info, data {"state": ..., "marked_by": "pipeline_exporter"}).
//
// Two phases: one read query picks candidates (running runs joined with
// their step counts, at most limit, no write lock; or the listed runs looked
// up by key, MarkListedRuns); then each run is marked
// in its own short IMMEDIATE transaction that checks the condition again,
// so a run that changed in between (a step went back to running, the
// orchestrator finished it itself, it was pruned) is left alone.
//
// REQUIRES: store outlives this object; used from the store's thread.
class CompletionMarker {
 public:
  explicit CompletionMarker(WorkerStore* store) : store_(store) {}

  struct Marked {
    std::string run_id;
    std::string new_state;  // "succeeded" or "partial"

    bool operator==(const Marked&) const = default;
  };

  // Both phases for up to limit runs, marking each with time now (Unix
  // seconds). Stops at the first error (e.g. Busy after the retry budget);
  // runs marked before it stay marked and the rest stay candidates for the
  // next call. Runs skipped by the re-check are not in the result.
  Result<std::vector<Marked>> MarkFinishedRuns(double now, std::size_t limit);
  // The same, appending each run to *marked as soon as it is committed, so
  // that after an error the caller still knows (and can count) what was
  // marked.
  Status MarkFinishedRuns(double now, std::size_t limit,
                          std::vector<Marked>* marked);

  // The same for the listed runs only (those the poller read, RunFeed):
  // each is looked up by key, so the cost is that of the list, not of the
  // runs table. Ids that are not running with all steps terminal are
  // ignored.
  Status MarkListedRuns(const std::vector<std::string>& run_ids, double now,
                        std::vector<Marked>* marked);

  // Phase one: ids of running runs whose steps are all terminal (at least
  // one step), at most limit, in run_id order.
  Result<std::vector<std::string>> FindCandidates(std::size_t limit);
  // Phase one among run_ids, by key; in the order given.
  Result<std::vector<std::string>> FindCandidatesAmong(
      const std::vector<std::string>& run_ids);

  // Phase two for one run: the new state, or nullopt if the run no longer
  // qualifies (nothing written then).
  Result<std::optional<std::string>> MarkRun(const std::string& run_id,
                                             double now);

 private:
  // Phase two for each candidate, appending to *marked as it goes.
  Status MarkEach(const Result<std::vector<std::string>>& candidates,
                  double now, std::vector<Marked>* marked);

  WorkerStore* store_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_COMPLETION_MARKER_H_
