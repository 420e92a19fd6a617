#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <optional>
#include <string>

namespace pe::testing {

// A contract database built by code for a test, written through its own
// connection like the orchestrator would.
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
  void SetRunState(const std::string& run_id, const std::string& state,
                   std::optional<std::string> ended_at);
  void AddStep(const std::string& run_id, const std::string& step_id,
               const std::string& state,
               std::optional<std::string> started_at = std::nullopt,
               std::optional<std::string> ended_at = std::nullopt,
               std::optional<std::string> error = std::nullopt);
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
};

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_FIXTURE_DB_H_
