#include "exporter/worker/completion_marker.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>

#include "exporter/worker/iso_time.h"
#include "exporter/worker/worker_event.h"

namespace pe {

Result<std::vector<std::string>> CompletionMarker::FindCandidates(
    std::size_t limit) {
  std::vector<std::string> ids;
  // Scans runs once (no index on runs.state is ours to add) and counts each
  // running run's steps through the steps primary key (run_id, step_id).
  Status status = store_->Read("find finished runs", [&](SQLite::Database& db) {
    ids.clear();
    SQLite::Statement q(
        db,
        "SELECT r.run_id FROM runs AS r JOIN steps AS s ON s.run_id = r.run_id "
        "WHERE r.state = 'running' GROUP BY r.run_id "
        "HAVING SUM(s.state NOT IN ('completed', 'failed', 'skipped')) = 0 "
        "ORDER BY r.run_id LIMIT ?");
    q.bind(1, static_cast<int64_t>(limit));
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return ids;
}

Result<std::vector<std::string>> CompletionMarker::FindCandidatesAmong(
    const std::vector<std::string>& run_ids) {
  // The run by its primary key, its steps by the (run_id, step_id) key.
  return store_->KeepMatching(
      "find finished runs among those read",
      "SELECT 1 FROM runs AS r JOIN steps AS s ON s.run_id = r.run_id "
      "WHERE r.run_id = ? AND r.state = 'running' GROUP BY r.run_id "
      "HAVING SUM(s.state NOT IN ('completed', 'failed', 'skipped')) = 0",
      run_ids);
}

Result<std::optional<std::string>> CompletionMarker::MarkRun(
    const std::string& run_id, double now) {
  std::optional<std::string> new_state;
  const bool has_updated_at = store_->runs_has_updated_at();
  Status status = store_->Write(
      "mark run '" + run_id + "' complete", [&](SQLite::Database& db) {
        new_state.reset();
        {
          SQLite::Statement run(db, "SELECT state FROM runs WHERE run_id = ?");
          run.bind(1, run_id);
          if (!run.executeStep() || run.getColumn(0).getString() != "running") {
            return Status::Ok();
          }
        }
        SQLite::Statement steps(
            db,
            "SELECT COUNT(*), "
            "COALESCE(SUM(state IN ('completed', 'failed', 'skipped')), 0), "
            "COALESCE(SUM(state = 'failed'), 0) FROM steps WHERE run_id = ?");
        steps.bind(1, run_id);
        steps.executeStep();
        const int64_t total = steps.getColumn(0).getInt64();
        const int64_t terminal = steps.getColumn(1).getInt64();
        const int64_t failed = steps.getColumn(2).getInt64();
        steps.reset();
        if (total == 0 || terminal != total) return Status::Ok();

        const std::string state = failed > 0 ? "partial" : "succeeded";
        const std::string stamp = FormatIsoUtc(now);
        SQLite::Statement update(
            db, has_updated_at
                    ? "UPDATE runs SET state = ?1, ended_at = ?2, "
                      "updated_at = ?2 WHERE run_id = ?3 AND state = 'running'"
                    : "UPDATE runs SET state = ?1, ended_at = ?2 "
                      "WHERE run_id = ?3 AND state = 'running'");
        update.bind(1, state);
        update.bind(2, stamp);
        update.bind(3, run_id);
        if (update.exec() != 1) {
          return Status::Internal("run changed inside the transaction");
        }
        Status event = InsertWorkerEvent(
            db,
            {.run_id = run_id,
             .type = "run_completed",
             .severity = "info",
             .data_json = "{\"state\": \"" + state +
                          "\", \"marked_by\": \"pipeline_exporter\"}"},
            now);
        if (!event.ok()) return event;
        new_state = state;
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return new_state;
}

Status CompletionMarker::MarkEach(
    const Result<std::vector<std::string>>& candidates, double now,
    std::vector<Marked>* marked) {
  if (!candidates.ok()) return candidates.status();
  for (const std::string& run_id : *candidates) {
    auto state = MarkRun(run_id, now);
    if (!state.ok()) return state.status();
    if (*state) marked->push_back({run_id, **state});
  }
  return Status::Ok();
}

Status CompletionMarker::MarkFinishedRuns(double now, std::size_t limit,
                                          std::vector<Marked>* marked) {
  return MarkEach(FindCandidates(limit), now, marked);
}

Status CompletionMarker::MarkListedRuns(const std::vector<std::string>& run_ids,
                                        double now,
                                        std::vector<Marked>* marked) {
  return MarkEach(FindCandidatesAmong(run_ids), now, marked);
}

Result<std::vector<CompletionMarker::Marked>>
CompletionMarker::MarkFinishedRuns(double now, std::size_t limit) {
  std::vector<Marked> marked;
  Status status = MarkFinishedRuns(now, limit, &marked);
  if (!status.ok()) return status;
  return marked;
}

}  // namespace pe
