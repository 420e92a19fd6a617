#include "exporter/worker/worker_recorder.h"

namespace pe {

Status WorkerRecorder::RecordArchive(const std::string& run_id,
                                     const ArchiveRecord& record) {
  return store_->Write("record archive of run '" + run_id + "'",
                       [&](SQLite::Database& db) {
                         UpsertArchive(db, run_id, record);
                         return Status::Ok();
                       });
}

Status WorkerRecorder::RecordReport(const std::string& run_id,
                                    const ReportRecord& record) {
  return store_->Write("record report of run '" + run_id + "'",
                       [&](SQLite::Database& db) {
                         UpsertReport(db, run_id, record);
                         return Status::Ok();
                       });
}

Status WorkerRecorder::AppendEvent(const WorkerEvent& event, double now) {
  Status valid = ValidateWorkerEvent(event);
  if (!valid.ok()) return valid;
  return store_->Write(
      "append event " + event.type + " of run '" + event.run_id + "'",
      [&](SQLite::Database& db) { return InsertWorkerEvent(db, event, now); });
}

Result<std::optional<ArchivalLogRow>> WorkerRecorder::Get(
    const std::string& run_id) {
  std::optional<ArchivalLogRow> row;
  Status status = store_->Read("read archival_log", [&](SQLite::Database& db) {
    row = ReadArchivalLog(db, run_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return row;
}

}  // namespace pe
