#ifndef PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_WRITER_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_WRITER_H_

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>
#include <vector>

namespace pe::sim {

// Rows of the contract tables as the orchestrator writes them (timestamps are
// already formatted text).
struct RunRow {
  std::string run_id;
  std::string project_id;
  std::string phase_id;
  std::optional<std::string> workstream_id;
  std::string state;
  std::string created_at;
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
  std::optional<std::string> updated_at;
  std::optional<std::string> metadata;
};

struct StepRow {
  std::string run_id;
  std::string step_id;
  std::string name;
  std::string state;
  int attempt = 1;
  std::optional<std::string> started_at;
  std::optional<std::string> ended_at;
  std::optional<std::string> error_message;
};

// The step rows of a new run: one per id (with its name), all pending.
std::vector<StepRow> PendingStepRows(const std::string& run_id,
                                     const std::vector<std::string>& step_ids,
                                     const std::vector<std::string>& names);

struct EventRow {
  std::optional<std::string> run_id;
  std::string event_type;
  std::string severity;
  std::string timestamp;
  std::optional<std::string> data;
};

// The orchestrator's writes, as prepared statements on one connection: the
// one writer of contract rows, for the simulator, the scenario player, the
// bulk loader and the tests' FixtureDb. An update changes what it is given
// and keeps every field it is not given (absent = unchanged, never NULL), as
// the orchestrator sets started_at when a run starts and ended_at when it
// ends (docs/state-contract.md); a run's update also sets updated_at, the
// row's last change. The caller owns transactions. Works on files whose runs
// table lacks updated_at (the value is then dropped). Throws
// SQLite::Exception; every statement is reset after use so no read snapshot
// outlives a call. The database must outlive the writer; not thread-safe.
class ContractWriter {
 public:
  explicit ContractWriter(SQLite::Database& db);
  ContractWriter(const ContractWriter&) = delete;
  ContractWriter& operator=(const ContractWriter&) = delete;

  bool has_updated_at() const { return has_updated_at_; }

  void InsertRun(const RunRow& run);
  void InsertStep(const StepRow& step);
  void InsertEvent(const EventRow& event);

  // Sets a run's state and updated_at; started_at / ended_at only when given.
  void UpdateRun(const std::string& run_id, const std::string& state,
                 const std::optional<std::string>& started_at,
                 const std::optional<std::string>& ended_at,
                 const std::string& updated_at);
  // Sets a step's state; attempt and the optional fields only when given.
  void UpdateStep(const std::string& run_id, const std::string& step_id,
                  const std::string& state, std::optional<int> attempt,
                  const std::optional<std::string>& started_at,
                  const std::optional<std::string>& ended_at,
                  const std::optional<std::string>& error_message);
  // Marks every pending or running step of the run skipped.
  void SkipOpenSteps(const std::string& run_id, const std::string& ended_at);
  // The orchestrator's pruning of one run: its events, steps and row.
  void DeleteRun(const std::string& run_id);

 private:
  bool has_updated_at_;
  SQLite::Statement insert_run_;
  SQLite::Statement insert_step_;
  SQLite::Statement insert_event_;
  SQLite::Statement update_run_;
  SQLite::Statement update_step_;
  SQLite::Statement skip_open_steps_;
  SQLite::Statement delete_events_;
  SQLite::Statement delete_steps_;
  SQLite::Statement delete_run_;
};

// True if the runs table has an updated_at column.
bool RunsHaveUpdatedAt(SQLite::Database& db);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_WRITER_H_
