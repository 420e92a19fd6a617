#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <optional>
#include <string>

#include "tools/sim/contract_writer.h"

namespace pe::testing {

// A contract database built by code for a test, written through its own
// connection like the orchestrator would: every row goes through the
// simulator's ContractWriter, so an update changes only what it is given and
// keeps the rest (absent = unchanged).
class FixtureDb {
 public:
  // Creates the file with the contract's schema (or the legacy runs table
  // without updated_at), in WAL mode unless wal is false.
  explicit FixtureDb(const std::string& path, bool legacy = false,
                     bool wal = true);

  struct Run {
    std::string run_id;
    std::string project = "proj-a";
    std::string phase = "phase5_execution";
    std::optional<std::string> workstream;
    std::string state = "running";
    std::string created_at = "2025-12-05T10:00:00";
    std::optional<std::string> started_at = "2025-12-05T10:00:05";
    std::optional<std::string> ended_at;
  };
  void AddRun(const Run& run);
  // Sets the state, ended_at when given, and updated_at (where the column
  // exists) to ended_at, or the current time when there is none.
  void SetRunState(const std::string& run_id, const std::string& state,
                   std::optional<std::string> ended_at);
  // A step named "step <step_id>", attempt 1.
  void AddStep(const std::string& run_id, const std::string& step_id,
               const std::string& state,
               std::optional<std::string> started_at = std::nullopt,
               std::optional<std::string> ended_at = std::nullopt,
               std::optional<std::string> error = std::nullopt);
  // Sets the state; ended_at and error only when given.
  void SetStepState(const std::string& run_id, const std::string& step_id,
                    const std::string& state,
                    std::optional<std::string> ended_at = std::nullopt,
                    std::optional<std::string> error = std::nullopt);
  // Appends an event; run_id empty means NULL.
  void AddEvent(const std::string& run_id, const std::string& type,
                const std::string& severity = "info",
                const std::string& timestamp = "2025-12-05T10:00:00Z");
  void DeleteRun(const std::string& run_id);  // prune with steps and events
  void Exec(const std::string& sql);

  SQLite::Database& db() { return *db_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<sim::ContractWriter> writer_;  // on *db_; destroyed first
};

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_
