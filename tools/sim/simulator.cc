#include "tools/sim/simulator.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <utility>

#include "exporter/common/json.h"
#include "tools/sim/artifacts.h"
#include "tools/sim/catalog.h"
#include "tools/sim/contract_db.h"
#include "tools/sim/error_text.h"
#include "tools/sim/pruner.h"

namespace pe::sim {
namespace {

constexpr size_t kWritesPerTransaction = 500;
constexpr Micros kHeartbeatEvery = 30 * kMicrosPerSecond;
constexpr Micros kPruneEvery = 60 * kMicrosPerSecond;

}  // namespace

Result<std::unique_ptr<Simulator>> Simulator::Open(
    const std::string& db_path, const SimOptions& options,
    std::chrono::system_clock::time_point now) {
  auto db = OpenContractDb(db_path);
  if (!db.ok()) return db.status();
  try {
    // Each tick commits; a simulator need not fsync every commit (WAL with
    // NORMAL still syncs at checkpoints).
    (*db)->exec("PRAGMA synchronous=NORMAL");
    // Seeds depend on what the file already holds, so a restarted simulator
    // does not replay (and collide with) the ids of its previous session.
    SQLite::Statement salt_query(
        **db,
        "SELECT (SELECT COUNT(*) FROM runs) * 1000003 + "
        "COALESCE((SELECT MAX(id) FROM events), 0)");
    salt_query.executeStep();
    const auto salt = static_cast<uint64_t>(salt_query.getColumn(0).getInt64());
    salt_query.reset();
    std::unique_ptr<Simulator> sim(
        new Simulator(std::move(*db), options, ToMicros(now), salt));
    Status s = sim->Adopt(ToMicros(now));
    if (!s.ok()) return s;
    return sim;
  } catch (const SQLite::Exception& e) {
    return Status::Internal("simulator on '" + db_path + "': " + e.what());
  }
}

Simulator::Simulator(std::unique_ptr<SQLite::Database> db,
                     const SimOptions& options, Micros now, uint64_t salt)
    : db_(std::move(db)),
      writer_(*db_),
      options_(options),
      steps_(std::max(1, options.steps_per_run)),
      rng_(DeriveSeed(options.seed, "live", salt)),
      ids_(DeriveSeed(options.seed, "live-ids", salt)) {
  if (options_.runs_per_minute > 0) {
    Schedule(now + SecondsToMicros(
                       rng_.Exponential(60.0 / options_.runs_per_minute)),
             Action::kCreateRun);
  }
  Schedule(now + kHeartbeatEvery, Action::kHeartbeat);
  if (options_.prune_older_than) Schedule(now, Action::kPrune);
}

Simulator::~Simulator() = default;

Status Simulator::Adopt(Micros now) {
  SQLite::Statement runs(*db_,
                         "SELECT run_id, state FROM runs WHERE state IN "
                         "('pending', 'running') ORDER BY run_id");
  SQLite::Statement steps(*db_,
                          "SELECT step_id, name, state, attempt FROM steps "
                          "WHERE run_id = ? ORDER BY step_id");
  std::vector<std::pair<std::string, bool>> found;  // run_id, running
  while (runs.executeStep()) {
    found.emplace_back(runs.getColumn(0).getString(),
                       runs.getColumn(1).getString() == "running");
  }
  runs.reset();
  for (const auto& [run_id, running] : found) {
    LiveRun run;
    run.id = run_id;
    int first_running = -1, first_pending = -1;
    steps.bind(1, run_id);
    while (steps.executeStep()) {
      const int k = static_cast<int>(run.step_ids.size());
      run.step_ids.push_back(steps.getColumn(0).getString());
      run.step_names.push_back(steps.getColumn(1).getString());
      const std::string state = steps.getColumn(2).getString();
      if (state == "running" && first_running < 0) {
        first_running = k;
        run.attempt = steps.getColumn(3).getInt();
      }
      if (state == "pending" && first_pending < 0) first_pending = k;
      if (state == "failed") run.any_failed = true;
    }
    steps.reset();
    if (run.step_ids.empty()) continue;  // nothing the orchestrator would do
    ++stats_.runs_adopted;
    const uint64_t key = next_key_++;
    const Micros soon = now + SecondsToMicros(rng_.Exponential(2.0));
    if (!running) {
      if (DrawFate(run, 0, true) == Fate::kNeverStart) {
        ++stats_.runs_never_started;
        continue;
      }
      Schedule(soon, Action::kStartRun, key);
    } else if (first_running >= 0) {
      run.current = first_running;
      run.next = first_running + 1;
      run.step_started = now;
      const Fate fate = DrawFate(run, first_running, false);
      if (fate == Fate::kStall && run.fate_step == first_running) {
        ++stats_.runs_stalled;
        continue;
      }
      Schedule(now + SecondsToMicros(rng_.Exponential(options_.step_seconds)),
               fate == Fate::kCancel && run.fate_step == first_running
                   ? Action::kCancel
                   : Action::kEndStep,
               key);
    } else if (first_pending >= 0) {
      run.next = first_pending;
      DrawFate(run, first_pending, false);
      Schedule(soon, Action::kStartStep, key);
    } else {
      if (!options_.complete_runs) continue;  // the exporter's job
      run.next = static_cast<int>(run.step_ids.size());
      Schedule(soon, Action::kFinishRun, key);
    }
    runs_.emplace(key, std::move(run));
  }
  stats_.active = runs_.size();
  return Status::Ok();
}

Simulator::Fate Simulator::DrawFate(LiveRun& run, int first_step,
                                    bool can_stay_pending) {
  const int last = static_cast<int>(run.step_ids.size()) - 1;
  run.fate_step = static_cast<int>(rng_.Between(first_step, last));
  if (rng_.Chance(options_.pending_rate)) {
    run.fate = can_stay_pending ? Fate::kNeverStart : Fate::kSucceed;
  } else if (rng_.Chance(options_.stall_rate)) {
    run.fate = Fate::kStall;
  } else if (rng_.Chance(options_.fail_rate)) {
    run.fate = rng_.Chance(0.2) ? Fate::kFailContinue : Fate::kFail;
    run.quarantine = rng_.Chance(0.25);
  } else if (rng_.Chance(0.02)) {
    run.fate = Fate::kCancel;
  } else {
    run.fate = Fate::kSucceed;
  }
  return run.fate;
}

void Simulator::Schedule(Micros at, Action action, uint64_t run) {
  queue_.push(Scheduled{at, next_seq_++, action, run});
}

Status Simulator::Tick(std::chrono::system_clock::time_point now) {
  const Micros limit = ToMicros(now);
  while (!queue_.empty() && queue_.top().at <= limit) {
    const Scheduled item = queue_.top();
    queue_.pop();
    Perform(item);
  }
  stats_.active = runs_.size();
  Status s = Flush();
  if (s.ok() && prune_cutoff_) {
    s = Prune(*prune_cutoff_);
    prune_cutoff_.reset();
  }
  return s;
}

void Simulator::Perform(const Scheduled& item) {
  switch (item.action) {
    case Action::kCreateRun:
      CreateRun(item.at);
      return;
    case Action::kHeartbeat:
      Heartbeat(item.at);
      return;
    case Action::kPrune:
      prune_cutoff_ =
          item.at - std::chrono::duration_cast<std::chrono::microseconds>(
                        *options_.prune_older_than)
                        .count();
      Schedule(item.at + kPruneEvery, Action::kPrune);
      return;
    default:
      break;
  }
  auto it = runs_.find(item.run);
  if (it == runs_.end()) return;
  LiveRun& run = it->second;
  switch (item.action) {
    case Action::kStartRun:
      StartRun(item.at, run);
      Schedule(item.at + SecondsToMicros(rng_.Exponential(0.2)),
               Action::kStartStep, item.run);
      break;
    case Action::kStartStep:
      StartStep(item.at, item.run, run);
      break;
    case Action::kEndStep:
      EndStep(item.at, item.run, run);
      break;
    case Action::kCancel:
      EndRun(item.at, item.run, run, "canceled");
      break;
    case Action::kFinishRun:
      FinishRun(item.at, item.run, run);
      break;
    default:
      break;
  }
}

void Simulator::CreateRun(Micros t) {
  Schedule(
      t + SecondsToMicros(rng_.Exponential(60.0 / options_.runs_per_minute)),
      Action::kCreateRun);
  const uint64_t key = next_key_++;
  LiveRun run;
  run.id = ids_.Next();
  run.created = t;
  RunRow row;
  row.run_id = run.id;
  row.project_id = PickProject(rng_, options_.projects);
  row.phase_id = PickPhase(rng_);
  row.workstream_id = PickWorkstream(rng_);
  row.state = "pending";
  row.created_at = Ts(t);
  row.updated_at = Ts(t);
  row.metadata = MakeRunMetadata(rng_, /*allow_invalid=*/false);
  for (int k = 0; k < steps_; ++k) {
    run.step_ids.push_back(StepId(k));
    run.step_names.push_back(StepName(k));
  }
  std::vector<StepRow> steps =
      PendingStepRows(run.id, run.step_ids, run.step_names);
  writes_.push_back([row, steps](ContractWriter& w) {
    w.InsertRun(row);
    for (const StepRow& step : steps) w.InsertStep(step);
  });
  Event(t, &run.id, EventKind::kRunCreated,
        JsonObject()
            .Str("project_id", row.project_id)
            .Str("phase_id", row.phase_id)
            .Int("steps", steps_)
            .Build());
  ++stats_.runs_created;
  if (DrawFate(run, 0, true) == Fate::kNeverStart) {
    ++stats_.runs_never_started;
    return;
  }
  Schedule(t + SecondsToMicros(0.01 + rng_.Exponential(2.0)), Action::kStartRun,
           key);
  runs_.emplace(key, std::move(run));
}

void Simulator::StartRun(Micros t, LiveRun& run) {
  writes_.push_back(
      [id = run.id, ts = Ts(t), updated = Ts(t)](ContractWriter& w) {
        w.UpdateRun(id, "running", ts, std::nullopt, updated);
      });
  Event(t, &run.id, EventKind::kRunStarted,
        JsonObject()
            .Str("worker", "worker-" + std::to_string(rng_.Below(8)))
            .Build());
  ++stats_.runs_started;
  Artifacts(run);
}

void Simulator::StartStep(Micros t, uint64_t key, LiveRun& run) {
  const int k = run.next;
  if (k >= static_cast<int>(run.step_ids.size())) {
    FinishRun(t, key, run);
    return;
  }
  const bool fate_step = k == run.fate_step && run.fate != Fate::kSucceed;
  if (!fate_step && rng_.Chance(0.01)) {
    writes_.push_back([id = run.id, step = run.step_ids[k],
                       ended = Ts(t)](ContractWriter& w) {
      w.UpdateStep(id, step, "skipped", 1, std::nullopt, ended, std::nullopt);
    });
    Event(t, &run.id, EventKind::kStepSkipped,
          JsonObject()
              .Str("step_id", run.step_ids[k])
              .Str("reason", "condition not met")
              .Build());
    TouchRun(t, run);
    ++run.next;
    AfterStep(t, key, run);
    return;
  }
  run.current = k;
  run.next = k + 1;
  run.attempt = rng_.Chance(0.05) ? 2 : 1;
  run.step_started = t;
  if (run.attempt > 1) {
    Event(t, &run.id, EventKind::kStepRetrying,
          JsonObject()
              .Str("step_id", run.step_ids[k])
              .Int("attempt", run.attempt)
              .Str("reason", "transient error, retrying")
              .Build());
  }
  writes_.push_back([id = run.id, step = run.step_ids[k], attempt = run.attempt,
                     ts = Ts(t)](ContractWriter& w) {
    w.UpdateStep(id, step, "running", attempt, ts, std::nullopt, std::nullopt);
  });
  TouchRun(t, run);
  Event(t, &run.id, EventKind::kStepStarted,
        JsonObject()
            .Str("step_id", run.step_ids[k])
            .Int("attempt", run.attempt)
            .Build());
  if (fate_step && run.fate == Fate::kStall) {
    ++stats_.runs_stalled;  // the step never ends
    runs_.erase(key);
    return;
  }
  const Micros duration =
      SecondsToMicros(0.05 + rng_.Exponential(options_.step_seconds));
  if (fate_step && run.fate == Fate::kCancel) {
    Schedule(t + duration / 2, Action::kCancel, key);
    return;
  }
  Schedule(t + duration, Action::kEndStep, key);
}

void Simulator::EndStep(Micros t, uint64_t key, LiveRun& run) {
  const int k = run.current;
  run.current = -1;
  const bool fails = k == run.fate_step && (run.fate == Fate::kFail ||
                                            run.fate == Fate::kFailContinue);
  if (fails) {
    std::string error = MakeErrorMessage(rng_, run.step_names[k]);
    const std::string summary = ErrorSummary(error);
    writes_.push_back([id = run.id, step = run.step_ids[k],
                       attempt = run.attempt, ended = Ts(t),
                       error](ContractWriter& w) {
      w.UpdateStep(id, step, "failed", attempt, std::nullopt, ended, error);
    });
    TouchRun(t, run);
    Event(t, &run.id, EventKind::kStepFailed,
          JsonObject()
              .Str("step_id", run.step_ids[k])
              .Int("attempt", run.attempt)
              .Str("error", summary)
              .Build());
    ++stats_.steps_failed;
    run.any_failed = true;
    StepLog(run, k, "FAILED: " + summary);
    if (run.fate == Fate::kFail) {
      EndRun(t, key, run, run.quarantine ? "quarantined" : "failed");
      return;
    }
  } else {
    const double seconds =
        static_cast<double>(t - run.step_started) / kMicrosPerSecond;
    writes_.push_back([id = run.id, step = run.step_ids[k],
                       attempt = run.attempt,
                       ended = Ts(t)](ContractWriter& w) {
      w.UpdateStep(id, step, "completed", attempt, std::nullopt, ended,
                   std::nullopt);
    });
    TouchRun(t, run);
    Event(t, &run.id, EventKind::kStepCompleted,
          JsonObject()
              .Str("step_id", run.step_ids[k])
              .Int("attempt", run.attempt)
              .Num("duration_s", seconds, 3)
              .Build());
    if (rng_.Chance(0.1)) {
      Event(t, &run.id, EventKind::kCheckpointSaved,
            JsonObject()
                .Str("step_id", run.step_ids[k])
                .Int("bytes", static_cast<int64_t>(rng_.Below(1 << 24)))
                .Build());
    }
    ++stats_.steps_completed;
    StepLog(run, k, "completed in " + std::to_string(seconds) + " s");
  }
  AfterStep(t, key, run);
}

void Simulator::AfterStep(Micros t, uint64_t key, LiveRun& run) {
  if (run.next < static_cast<int>(run.step_ids.size())) {
    Schedule(t + SecondsToMicros(rng_.Exponential(0.2)), Action::kStartStep,
             key);
  } else {
    Schedule(t + SecondsToMicros(rng_.Exponential(0.5)), Action::kFinishRun,
             key);
  }
}

void Simulator::FinishRun(Micros t, uint64_t key, LiveRun& run) {
  if (!options_.complete_runs) {
    ++stats_.runs_left_running;  // the exporter's completion worker's job
    runs_.erase(key);
    return;
  }
  EndRun(t, key, run, run.any_failed ? "partial" : "succeeded");
}

void Simulator::EndRun(Micros t, uint64_t key, LiveRun& run,
                       const char* state) {
  const std::string s = state;
  const bool aborted = s == "failed" || s == "quarantined" || s == "canceled";
  writes_.push_back([id = run.id, s, aborted, ended = Ts(t),
                     updated = Ts(t)](ContractWriter& w) {
    if (aborted) w.SkipOpenSteps(id, ended);
    w.UpdateRun(id, s, std::nullopt, ended, updated);
  });
  JsonObject data;
  data.Str("state", s);
  if (run.created > 0) {
    data.Num("duration_s",
             static_cast<double>(t - run.created) / kMicrosPerSecond, 3);
  }
  EventKind kind = EventKind::kRunCompleted;
  const char* severity = nullptr;
  if (s == "succeeded") {
    ++stats_.runs_succeeded;
  } else if (s == "partial") {
    ++stats_.runs_partial;
    severity = "warning";
  } else if (s == "failed") {
    ++stats_.runs_failed;
    kind = EventKind::kRunFailed;
  } else if (s == "quarantined") {
    ++stats_.runs_quarantined;
    kind = EventKind::kRunQuarantined;
  } else {
    ++stats_.runs_canceled;
    kind = EventKind::kRunCanceled;
    data.Str("reason", "canceled by user");
  }
  Event(t, &run.id, kind, data.Build(), severity);
  runs_.erase(key);
}

void Simulator::Heartbeat(Micros t) {
  Schedule(t + kHeartbeatEvery, Action::kHeartbeat);
  JsonObject data;
  data.Int("active_runs", static_cast<int64_t>(runs_.size()));
  const char* severity = nullptr;
  if (rng_.Chance(0.1)) {
    data.Int("disk_free_pct", rng_.Between(1, 9));
    severity = "warning";
  }
  Event(t, nullptr, EventKind::kSchedulerHeartbeat, data.Build(), severity);
}

void Simulator::TouchRun(Micros t, const LiveRun& run) {
  writes_.push_back([id = run.id, updated = Ts(t)](ContractWriter& w) {
    w.UpdateRun(id, "running", std::nullopt, std::nullopt, updated);
  });
}

void Simulator::Event(Micros t, const std::string* run_id, EventKind kind,
                      std::string data, const char* severity) {
  EventRow row = MakeEvent(
      rng_, t, run_id ? std::optional<std::string>(*run_id) : std::nullopt,
      kind, std::move(data), severity);
  writes_.push_back(
      [row = std::move(row)](ContractWriter& w) { w.InsertEvent(row); });
  ++stats_.events;
}

void Simulator::Artifacts(const LiveRun& run) {
  if (!options_.artifacts) return;
  if (!CreateRunArtifacts(options_.worktrees_dir, run.id,
                          static_cast<int>(run.step_ids.size()))
           .ok()) {
    ++stats_.artifact_errors;
  }
}

void Simulator::StepLog(const LiveRun& run, int step, const std::string& line) {
  if (!options_.artifacts) return;
  if (!AppendStepLog(options_.worktrees_dir, run.id, run.step_ids[step], line)
           .ok()) {
    ++stats_.artifact_errors;
  }
}

Status Simulator::Flush() {
  size_t done = 0;
  while (done < writes_.size()) {
    const size_t end = std::min(done + kWritesPerTransaction, writes_.size());
    Status s = WriteTransaction(*db_, "simulate: write changes", [&] {
      for (size_t i = done; i < end; ++i) writes_[i](writer_);
    });
    if (!s.ok()) {
      // Keep what is not written yet for the next Tick.
      writes_.erase(writes_.begin(), writes_.begin() + done);
      return s;
    }
    done = end;
  }
  writes_.clear();
  return Status::Ok();
}

Status Simulator::Prune(Micros cutoff) {
  auto pruned = PruneTerminalRuns(*db_, cutoff);
  if (!pruned.ok()) return pruned.status().WithContext("simulate");
  stats_.runs_pruned += *pruned;
  return Status::Ok();
}

}  // namespace pe::sim
