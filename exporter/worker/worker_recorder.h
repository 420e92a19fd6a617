#ifndef PIPELINE_EXPORTER_WORKER_WORKER_RECORDER_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_RECORDER_H_

#include <optional>
#include <string>

#include "exporter/common/status.h"
#include "exporter/worker/archival_log.h"
#include "exporter/worker/worker_event.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Writes the worker's results (archival_log rows, events) each in its own
// short transaction with busy retry. To record a result together with a
// job's stage change, atomically, use JobQueue::Advance's effects instead.
// REQUIRES: store outlives this object; used from the store's thread.
class WorkerRecorder {
 public:
  explicit WorkerRecorder(WorkerStore* store) : store_(store) {}

  Status RecordArchive(const std::string& run_id, const ArchiveRecord& record);
  Status RecordReport(const std::string& run_id, const ReportRecord& record);
  // InvalidArgument for a type the contract does not let the exporter write.
  Status AppendEvent(const WorkerEvent& event, double now);
  Result<std::optional<ArchivalLogRow>> Get(const std::string& run_id);

 private:
  WorkerStore* store_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_RECORDER_H_
