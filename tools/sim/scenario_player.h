#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_PLAYER_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_PLAYER_H_

#include <SQLiteCpp/Database.h>

#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "tools/sim/contract_writer.h"
#include "tools/sim/ground_truth.h"
#include "tools/sim/rng.h"
#include "tools/sim/run_id.h"
#include "tools/sim/scenario.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {

// Where the play writes: the state database, the runs' worktrees, the
// exporter's archive folder (a retained zip is damaged there) and a folder on
// the archive volume for the ballast that fills it.
struct PlayPaths {
  std::string db;
  std::string worktrees;
  std::string archive_dir;
  std::string ballast_dir;
};

// Writes the history that precedes the day (scenario.history) into the state
// database, creating it with the contract schema; `now` is the wall clock.
// History times are compressed like the play's: "12h ago" is 12h/compression
// of wall time before `now`.
Status PrepareScenario(const Scenario& scenario, const std::string& db_path,
                       Micros now);

// Plays a scenario on a prepared state database. Simulated time s maps to the
// wall instant wall_start + s / compression, and every timestamp written is
// that wall instant, so the exporter and Prometheus see the day compressed.
// Background runs all succeed; each incident is injected as declared and
// recorded in the ground truth. Actions the player cannot take itself
// (stopping and starting the exporter) go to `act` as one JSON object each.
// Tick() does everything due up to a wall instant; not thread-safe.
class ScenarioPlayer {
 public:
  using ActionSink = std::function<void(const std::string& json)>;

  static Result<std::unique_ptr<ScenarioPlayer>> Open(const Scenario& scenario,
                                                      const PlayPaths& paths,
                                                      Micros wall_start,
                                                      ActionSink act);
  ~ScenarioPlayer();
  ScenarioPlayer(const ScenarioPlayer&) = delete;
  ScenarioPlayer& operator=(const ScenarioPlayer&) = delete;

  // Performs everything due up to the wall instant `wall_now`, then writes it
  // in one IMMEDIATE transaction (kept and retried by the next Tick on
  // SQLITE_BUSY, and held back while the database is made unreadable).
  Status Tick(Micros wall_now);
  // True once the scenario's duration has been played and written.
  bool done() const;
  // Goes on past the scenario's duration with background runs only (no
  // clamp at the end), so that a harness can watch every alert resolve
  // without frozen runs turning into stalls.
  void Linger();
  // Restores what an interrupted play left broken (the database's name, the
  // ballast, a broken worktree) and stamps the truth's end.
  void Finish(Micros wall_now);

  const GroundTruth& truth() const { return truth_; }

 private:
  struct Plan;
  struct Item {
    Micros at;
    uint64_t seq;
    std::function<void(Micros)> run;
    bool operator>(const Item& o) const {
      return at != o.at ? at > o.at : seq > o.seq;
    }
  };
  using Write = std::function<void(ContractWriter&)>;

  ScenarioPlayer(const Scenario& scenario, const PlayPaths& paths,
                 Micros wall_start, ActionSink act);
  Status OpenDb();
  void Schedule(Micros at, std::function<void(Micros)> run);
  void ScheduleBackground(Micros t);
  void ScheduleIncident(size_t index);
  std::shared_ptr<Plan> NewPlan(Micros created, const std::string& project);
  void Launch(std::shared_ptr<Plan> plan);
  void CreateRun(Micros t, Plan& plan);
  void StartRun(Micros t, std::shared_ptr<Plan> plan);
  void StartStep(Micros t, std::shared_ptr<Plan> plan, int k);
  void EndStep(Micros t, std::shared_ptr<Plan> plan, int k);
  void EndRun(Micros t, Plan& plan, const char* state);
  void Event(Micros t, const std::string& run_id, int kind, std::string data);
  void CorruptArchive(Micros t, Incident& incident, Micros give_up);
  void FillVolume(Micros t, Incident& incident, Micros ramp_end, double from,
                  double to);
  void RemoveBallast();
  void MakeDbUnreadable(Micros t);
  void RestoreDb(Micros t);
  void Act(const char* action, const Incident& incident);
  std::string Ts(Micros sim);
  std::string Project(const std::string& wanted);
  Status Flush();

  const Scenario scenario_;
  const PlayPaths paths_;
  const Micros wall_start_;
  const ActionSink act_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<ContractWriter> writer_;
  bool db_unreadable_ = false;
  Rng rng_;
  RunIdGenerator ids_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;
  uint64_t next_seq_ = 0;
  std::vector<Write> writes_;
  Micros played_ = -1;  // simulated instant written so far
  // Background runs that ended, (sim end, run id), for the damaged archive.
  std::vector<std::pair<Micros, std::string>> ended_;
  std::set<std::string> broken_worktrees_;
  bool ballast_ = false;
  bool linger_ = false;
  std::optional<Micros> next_background_;  // not scheduled: past the end
  GroundTruth truth_;
};

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SCENARIO_PLAYER_H_
