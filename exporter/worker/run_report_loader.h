#ifndef PIPELINE_EXPORTER_WORKER_RUN_REPORT_LOADER_H_
#define PIPELINE_EXPORTER_WORKER_RUN_REPORT_LOADER_H_

#include <optional>
#include <string>

#include "exporter/common/status.h"
#include "exporter/report/run_report.h"
#include "exporter/worker/archival_log.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// Reads what a run's report shows (the run, its steps, its event counts)
// in three short statements outside any transaction; nullopt when the run
// is gone. The archive part is left for the caller.
Result<std::optional<RunReport>> LoadRunReport(WorkerStore& store,
                                               const std::string& run_id);

// The run's archival_log row, nullopt if it has none.
Result<std::optional<ArchivalLogRow>> LoadArchivalLog(
    WorkerStore& store, const std::string& run_id);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_RUN_REPORT_LOADER_H_
