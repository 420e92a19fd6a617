#include "tools/sim/active_runs.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <utility>
#include <vector>

#include "exporter/common/json.h"
#include "tools/sim/catalog.h"
#include "tools/sim/contract_db.h"
#include "tools/sim/contract_writer.h"
#include "tools/sim/event_kind.h"
#include "tools/sim/rng.h"
#include "tools/sim/run_id.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {
namespace {

struct StepState {
  std::string step_id;
  std::string state;
  int attempt;
};

// One pass over the chosen runs; throws SQLite::Exception.
class Advancer {
 public:
  Advancer(SQLite::Database& db, Rng rng, RunIdGenerator ids, Micros now,
           int steps_per_run)
      : writer_(db),
        steps_query_(db,
                     "SELECT step_id, state, attempt FROM steps WHERE "
                     "run_id = ? ORDER BY step_id"),
        rng_(std::move(rng)),
        ids_(std::move(ids)),
        now_(now),
        steps_per_run_(std::max(1, steps_per_run)) {}

  void Advance(const std::string& run_id, AdvanceResult& result);

 private:
  std::vector<StepState> Steps(const std::string& run_id);
  void Start(const std::string& run_id, const StepState& step);
  void Replace(AdvanceResult& result);
  std::string Ts() { return MixedTimestamp(rng_, now_); }
  void Emit(const std::string& run_id, EventKind kind, std::string data,
            const char* severity = nullptr) {
    writer_.InsertEvent(
        MakeEvent(rng_, now_, run_id, kind, std::move(data), severity));
  }

  ContractWriter writer_;
  SQLite::Statement steps_query_;
  Rng rng_;
  RunIdGenerator ids_;
  const Micros now_;
  const int steps_per_run_;
};

std::vector<StepState> Advancer::Steps(const std::string& run_id) {
  std::vector<StepState> steps;
  steps_query_.bind(1, run_id);
  while (steps_query_.executeStep()) {
    steps.push_back({steps_query_.getColumn(0).getString(),
                     steps_query_.getColumn(1).getString(),
                     steps_query_.getColumn(2).getInt()});
  }
  steps_query_.reset();
  return steps;
}

void Advancer::Start(const std::string& run_id, const StepState& step) {
  writer_.UpdateStep(run_id, step.step_id, "running", step.attempt, Ts(),
                     std::nullopt, std::nullopt);
  Emit(run_id, EventKind::kStepStarted,
       JsonObject()
           .Str("step_id", step.step_id)
           .Int("attempt", step.attempt)
           .Build());
}

void Advancer::Advance(const std::string& run_id, AdvanceResult& result) {
  const std::vector<StepState> steps = Steps(run_id);
  const StepState* running = nullptr;
  const StepState* pending = nullptr;
  bool any_failed = false;
  for (const StepState& step : steps) {
    if (step.state == "running" && running == nullptr) running = &step;
    if (step.state == "pending" && pending == nullptr) pending = &step;
    if (step.state == "failed") any_failed = true;
  }
  ++result.advanced;
  if (running != nullptr) {
    writer_.UpdateStep(run_id, running->step_id, "completed", running->attempt,
                       std::nullopt, Ts(), std::nullopt);
    Emit(run_id, EventKind::kStepCompleted,
         JsonObject()
             .Str("step_id", running->step_id)
             .Int("attempt", running->attempt)
             .Num("duration_s", rng_.Exponential(5.0), 3)
             .Build());
  }
  if (pending != nullptr) {
    Start(run_id, *pending);
    writer_.UpdateRun(run_id, "running", std::nullopt, std::nullopt, Ts());
    return;
  }
  const char* state = any_failed ? "partial" : "succeeded";
  writer_.UpdateRun(run_id, state, std::nullopt, Ts(), Ts());
  Emit(run_id, EventKind::kRunCompleted,
       JsonObject().Str("state", state).Build(),
       any_failed ? "warning" : nullptr);
  ++result.completed;
  Replace(result);
}

void Advancer::Replace(AdvanceResult& result) {
  RunRow run;
  run.run_id = ids_.Next();
  run.project_id = PickProject(rng_, 4);
  run.phase_id = PickPhase(rng_);
  run.workstream_id = PickWorkstream(rng_);
  run.state = "running";
  run.created_at = Ts();
  run.started_at = Ts();
  run.updated_at = Ts();
  run.metadata = MakeRunMetadata(rng_, false);
  writer_.InsertRun(run);
  Emit(run.run_id, EventKind::kRunCreated,
       JsonObject().Int("steps", steps_per_run_).Build());
  Emit(run.run_id, EventKind::kRunStarted, "{}");
  for (int k = 0; k < steps_per_run_; ++k) {
    StepRow step;
    step.run_id = run.run_id;
    step.step_id = StepId(k);
    step.name = StepName(k);
    step.state = "pending";
    writer_.InsertStep(step);
    if (k == 0) Start(run.run_id, {step.step_id, step.state, 1});
  }
  ++result.created;
}

}  // namespace

Result<AdvanceResult> AdvanceActiveRuns(
    SQLite::Database& db, uint64_t seed, size_t k,
    std::chrono::system_clock::time_point now, int steps_per_run) {
  const Micros now_us = ToMicros(now);
  const uint64_t salt = static_cast<uint64_t>(now_us);
  try {
    std::vector<std::string> running;
    {
      SQLite::Statement q(db,
                          "SELECT run_id FROM runs WHERE state = 'running' "
                          "ORDER BY run_id");
      while (q.executeStep()) running.push_back(q.getColumn(0).getString());
    }
    Rng pick(DeriveSeed(seed, "advance-pick", salt));
    const size_t n = std::min(k, running.size());
    for (size_t i = 0; i < n; ++i) {  // partial Fisher-Yates
      std::swap(running[i], running[i + pick.Below(running.size() - i)]);
    }
    running.resize(n);

    AdvanceResult result;
    Status s = WriteTransaction(db, "advance active runs", [&] {
      // A fresh advancer per attempt, so a retry replays the same choices.
      result = AdvanceResult();
      Advancer advancer(db, Rng(DeriveSeed(seed, "advance", salt)),
                        RunIdGenerator(DeriveSeed(seed, "advance-ids", salt)),
                        now_us, steps_per_run);
      for (const std::string& run_id : running) {
        advancer.Advance(run_id, result);
      }
    });
    if (!s.ok()) return s;
    return result;
  } catch (const SQLite::Exception& e) {
    return Status::Internal(std::string("advance active runs: ") + e.what());
  }
}

Result<AdvanceResult> AdvanceActiveRuns(
    const std::string& db_path, uint64_t seed, size_t k,
    std::chrono::system_clock::time_point now) {
  auto db = OpenContractDb(db_path);
  if (!db.ok()) return db.status();
  return AdvanceActiveRuns(**db, seed, k, now);
}

}  // namespace pe::sim
