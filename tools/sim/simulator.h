#ifndef PIPELINE_EXPORTER_TOOLS_SIM_SIMULATOR_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_SIMULATOR_H_

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "tools/sim/contract_writer.h"
#include "tools/sim/event_kind.h"
#include "tools/sim/rng.h"
#include "tools/sim/run_id.h"
#include "tools/sim/sim_options.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {

// What the live simulator has done so far.
struct SimStats {
  uint64_t runs_created = 0;
  uint64_t runs_adopted = 0;  // active runs found in the file at Open
  uint64_t runs_started = 0;
  uint64_t runs_succeeded = 0;
  uint64_t runs_partial = 0;
  uint64_t runs_failed = 0;
  uint64_t runs_quarantined = 0;
  uint64_t runs_canceled = 0;
  uint64_t runs_stalled = 0;        // stopped progressing while running
  uint64_t runs_never_started = 0;  // left pending for good
  uint64_t runs_left_running = 0;   // all steps terminal, run not completed
  uint64_t steps_completed = 0;
  uint64_t steps_failed = 0;
  uint64_t events = 0;
  uint64_t runs_pruned = 0;
  uint64_t artifact_errors = 0;
  uint64_t active = 0;  // runs the simulator is still driving

  uint64_t finished() const {
    return runs_succeeded + runs_partial + runs_failed + runs_quarantined +
           runs_canceled;
  }
};

// Plays the orchestrator on a state database: creates runs at
// options.runs_per_minute, starts them, runs their steps, fails, stalls,
// cancels and completes them, appends the matching events, and prunes old
// runs. All decisions come from generators seeded with options.seed and are
// taken in simulated-time order, so driving Tick with the same instants on
// the same starting file gives identical content, however the instants are
// grouped into ticks. Not thread-safe; one connection of its own.
class Simulator {
 public:
  // Opens (creating if needed) the database and adopts the pending and
  // running runs already in it, which then progress like new ones. `now` is
  // the simulated start time.
  static Result<std::unique_ptr<Simulator>> Open(
      const std::string& db_path, const SimOptions& options,
      std::chrono::system_clock::time_point now);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Performs everything due up to `now`, then writes it in short IMMEDIATE
  // transactions (retried on SQLITE_BUSY). Artifact folders are written
  // outside any transaction. If a write fails, its changes are kept and
  // retried by the next Tick, and the error is returned.
  Status Tick(std::chrono::system_clock::time_point now);

  const SimStats& stats() const { return stats_; }

 private:
  enum class Fate {
    kSucceed,
    kNeverStart,
    kStall,
    kFail,
    kFailContinue,
    kCancel
  };
  enum class Action {
    kCreateRun,
    kStartRun,
    kStartStep,
    kEndStep,
    kCancel,
    kFinishRun,
    kHeartbeat,
    kPrune
  };
  struct LiveRun {
    std::string id;
    std::vector<std::string> step_ids;
    std::vector<std::string> step_names;
    Fate fate = Fate::kSucceed;
    int fate_step = 0;
    bool quarantine = false;
    int current = -1;  // running step
    int next = 0;      // next step to start
    int attempt = 1;   // of the running step
    bool any_failed = false;
    Micros created = 0;  // 0 for adopted runs
    Micros step_started = 0;
  };
  struct Scheduled {
    Micros at;
    uint64_t seq;
    Action action;
    uint64_t run;
    bool operator>(const Scheduled& o) const {
      return at != o.at ? at > o.at : seq > o.seq;
    }
  };
  using Write = std::function<void(ContractWriter&)>;

  Simulator(std::unique_ptr<SQLite::Database> db, const SimOptions& options,
            Micros now, uint64_t salt);
  Status Adopt(Micros now);
  void Schedule(Micros at, Action action, uint64_t run = 0);
  void Perform(const Scheduled& item);
  void CreateRun(Micros t);
  void StartRun(Micros t, LiveRun& run);
  void StartStep(Micros t, uint64_t key, LiveRun& run);
  void EndStep(Micros t, uint64_t key, LiveRun& run);
  void AfterStep(Micros t, uint64_t key, LiveRun& run);
  void FinishRun(Micros t, uint64_t key, LiveRun& run);
  void EndRun(Micros t, uint64_t key, LiveRun& run, const char* state);
  void Heartbeat(Micros t);
  // Decides how the run ends; only a run that has not started can be left
  // pending for good.
  Fate DrawFate(LiveRun& run, int first_step, bool can_stay_pending);
  void Event(Micros t, const std::string* run_id, EventKind kind,
             std::string data, const char* severity = nullptr);
  void TouchRun(Micros t, const LiveRun& run);
  void Artifacts(const LiveRun& run);
  void StepLog(const LiveRun& run, int step, const std::string& line);
  Status Flush();
  Status Prune(Micros cutoff);
  std::string Ts(Micros t) { return MixedTimestamp(rng_, t); }

  std::unique_ptr<SQLite::Database> db_;
  ContractWriter writer_;
  const SimOptions options_;
  const int steps_;
  Rng rng_;
  RunIdGenerator ids_;
  std::priority_queue<Scheduled, std::vector<Scheduled>,
                      std::greater<Scheduled>>
      queue_;
  std::map<uint64_t, LiveRun> runs_;
  uint64_t next_key_ = 1;
  uint64_t next_seq_ = 0;
  std::vector<Write> writes_;
  std::optional<Micros> prune_cutoff_;
  SimStats stats_;
};

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_SIMULATOR_H_
