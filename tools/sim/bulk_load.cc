#include "tools/sim/bulk_load.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "exporter/common/json.h"
#include "tools/sim/artifacts.h"
#include "tools/sim/catalog.h"
#include "tools/sim/contract_db.h"
#include "tools/sim/contract_writer.h"
#include "tools/sim/error_text.h"
#include "tools/sim/event_kind.h"
#include "tools/sim/rng.h"
#include "tools/sim/run_id.h"
#include "tools/sim/sim_time.h"

namespace pe::sim {
namespace {

constexpr size_t kRunsPerTransaction = 10000;
constexpr Micros kMinute = 60 * kMicrosPerSecond;

// An event waiting in the time-ordered queue; its text is made on insert.
struct QueuedEvent {
  Micros t;
  uint64_t seq;
  uint32_t run;
  EventKind kind;
  int16_t step;       // -1 when not about a step
  const char* state;  // run state for terminal events, else nullptr
  double seconds;     // a duration for the data payload
  bool operator>(const QueuedEvent& o) const {
    return t != o.t ? t > o.t : seq > o.seq;
  }
};

// A terminal run gets about kNaturalEvents events (created, started, the
// first step started, one step completed, its end, now and then a failure or
// a checkpoint). Each other completed step adds two with this chance, for a
// mean of events_per_run.
constexpr double kNaturalEvents = 5.2;
double StepEventChance(double events_per_run, int steps) {
  if (events_per_run <= kNaturalEvents || steps < 2) return 0;
  return std::min(1.0, (events_per_run - kNaturalEvents) / (2.0 * (steps - 1)));
}

// One bulk load on one connection. Throws SQLite::Exception.
class BulkLoader {
 public:
  BulkLoader(SQLite::Database& db, const SimOptions& options, Micros now,
             uint64_t salt)
      : db_(db),
        options_(options),
        now_(now),
        steps_(std::max(1, options.steps_per_run)),
        step_event_chance_(StepEventChance(options.shape.events_per_run,
                                           std::max(1, options.steps_per_run))),
        writer_(db),
        rng_(DeriveSeed(options.seed, "bulk", salt)),
        ids_(DeriveSeed(options.seed, "bulk-ids", salt)) {}

  void Load(size_t terminal, size_t active);
  const std::vector<std::string>& artifact_runs() const {
    return artifact_runs_;
  }

 private:
  RunRow NewRun(Micros created);
  void AddTerminalRun(Micros created);
  void AddActiveRun(Micros created);
  void Queue(Micros t, uint32_t run, EventKind kind, int step = -1,
             double seconds = 0, const char* state = nullptr,
             std::string error = {});
  void InsertEventsBefore(Micros limit);
  std::string EventData(const QueuedEvent& e);
  Micros StepDuration() {
    return SecondsToMicros(0.05 + rng_.Exponential(options_.step_seconds));
  }
  std::string ErrorMessage(const std::string& step_name);
  std::string RunId();

  SQLite::Database& db_;
  const SimOptions& options_;
  const Micros now_;
  const int steps_;
  // Chance that a completed step also gets step_started and step_completed
  // events (BulkShape::events_per_run).
  const double step_event_chance_;
  ContractWriter writer_;
  Rng rng_;
  RunIdGenerator ids_;
  std::vector<std::string> run_ids_;
  std::vector<std::string> artifact_runs_;
  std::priority_queue<QueuedEvent, std::vector<QueuedEvent>,
                      std::greater<QueuedEvent>>
      events_;
  std::unordered_map<uint64_t, std::string> errors_;  // by event seq
  uint64_t next_seq_ = 0;
};

void BulkLoader::Load(size_t terminal, size_t active) {
  const Micros span =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.bulk_span)
          .count();
  const Micros margin = std::min<Micros>(
      span / 2,
      std::max<Micros>(10 * kMinute,
                       SecondsToMicros(3 * steps_ * options_.step_seconds)));
  const Micros terminal_begin = now_ - span;
  const Micros terminal_step =
      terminal > 0 ? (span - margin) / static_cast<Micros>(terminal) : 0;
  const Micros active_begin = now_ - 60 * kMinute;
  const Micros active_step =
      active > 0
          ? (60 * kMinute - 5 * kMicrosPerSecond) / static_cast<Micros>(active)
          : 0;
  auto terminal_at = [&](size_t i) {
    return terminal_begin + static_cast<Micros>(i) * terminal_step +
           static_cast<Micros>(rng_.Below(std::max<Micros>(terminal_step, 1)));
  };
  auto active_at = [&](size_t i) {
    return active_begin + static_cast<Micros>(i) * active_step +
           static_cast<Micros>(rng_.Below(std::max<Micros>(active_step, 1)));
  };

  run_ids_.reserve(terminal + active);
  size_t i = 0, j = 0;
  Micros next_terminal = terminal > 0 ? terminal_at(0) : 0;
  Micros next_active = active > 0 ? active_at(0) : 0;
  auto tx = std::make_unique<SQLite::Transaction>(
      db_, SQLite::TransactionBehavior::IMMEDIATE);
  while (i < terminal || j < active) {
    // Merge both streams by creation time so events stay in time order.
    const bool take_terminal =
        i < terminal && (j >= active || next_terminal <= next_active);
    const Micros created = take_terminal ? next_terminal : next_active;
    InsertEventsBefore(created);
    if (take_terminal) {
      AddTerminalRun(created);
      if (++i < terminal) next_terminal = terminal_at(i);
    } else {
      AddActiveRun(created);
      if (++j < active) next_active = active_at(j);
    }
    if ((i + j) % kRunsPerTransaction == 0) {
      tx->commit();
      tx = std::make_unique<SQLite::Transaction>(
          db_, SQLite::TransactionBehavior::IMMEDIATE);
    }
  }
  InsertEventsBefore(INT64_MAX);
  tx->commit();
}

std::string BulkLoader::RunId() {
  std::string id = ids_.Next();
  const size_t bytes = options_.shape.run_id_bytes;
  if (bytes > id.size()) {
    // A ULID with a suffix: "01J...-7KQ..." (opaque, like other ids).
    id += '-';
    while (id.size() < bytes) id += ids_.Next().substr(10);
    id.resize(bytes);
  } else if (bytes > 0 && bytes < id.size()) {
    id = id.substr(id.size() - bytes);  // the random tail: 80 bits at 16
  }
  return id;
}

std::string BulkLoader::ErrorMessage(const std::string& step_name) {
  const size_t mean = options_.shape.error_bytes;
  if (mean == 0) return MakeErrorMessage(rng_, step_name);
  const double bytes =
      std::clamp(rng_.Exponential(static_cast<double>(mean)), 16.0, 65536.0);
  return MakeErrorMessage(rng_, step_name, static_cast<size_t>(bytes));
}

RunRow BulkLoader::NewRun(Micros created) {
  const BulkShape& shape = options_.shape;
  RunRow run;
  run.run_id = RunId();
  run.project_id =
      PadName(PickProject(rng_, options_.projects), shape.project_bytes);
  run.phase_id =
      PadName(NumberedPhaseName(rng_.Below(std::max(1, shape.phases))),
              shape.phase_bytes);
  if (shape.workstreams > 0 && !rng_.Chance(1 - shape.workstream_share)) {
    run.workstream_id = PadName(WorkstreamName(rng_.Below(shape.workstreams)),
                                shape.workstream_bytes);
  }
  run.created_at = MixedTimestamp(rng_, created);
  run.metadata =
      shape.metadata_bytes > 0
          ? MakeRunMetadata(rng_, /*allow_invalid=*/true, shape.metadata_bytes)
          : MakeRunMetadata(rng_, /*allow_invalid=*/true);
  return run;
}

void BulkLoader::AddTerminalRun(Micros created) {
  enum Outcome { kSucceeded, kFailed, kPartial, kQuarantined, kCanceled };
  static constexpr const char* kStates[] = {"succeeded", "failed", "partial",
                                            "quarantined", "canceled"};
  static constexpr EventKind kEndEvents[] = {
      EventKind::kRunCompleted, EventKind::kRunFailed, EventKind::kRunCompleted,
      EventKind::kRunQuarantined, EventKind::kRunCanceled};
  const auto outcome = static_cast<Outcome>(rng_.Weighted({80, 10, 4, 3, 3}));
  RunRow run = NewRun(created);
  const uint32_t index = static_cast<uint32_t>(run_ids_.size());
  run_ids_.push_back(run.run_id);

  const bool fails = outcome == kFailed || outcome == kQuarantined;
  const int fail_at =
      fails || outcome == kPartial ? static_cast<int>(rng_.Below(steps_)) : -1;
  const int second_fail = outcome == kPartial && rng_.Chance(0.3)
                              ? static_cast<int>(rng_.Below(steps_))
                              : -1;
  const int cancel_at =
      outcome == kCanceled ? static_cast<int>(rng_.Below(steps_)) : -1;
  const int reported = static_cast<int>(rng_.Below(steps_));

  const Micros started =
      created + SecondsToMicros(0.05 + rng_.Exponential(3.0));
  Micros t = started;
  bool stopped = false;
  std::vector<StepRow> steps;
  steps.reserve(steps_);
  for (int k = 0; k < steps_; ++k) {
    StepRow step;
    step.run_id = run.run_id;
    step.step_id = StepId(k);
    step.name = StepName(k);
    if (stopped || (outcome == kSucceeded && rng_.Chance(0.02))) {
      step.state = "skipped";
      steps.push_back(std::move(step));
      continue;
    }
    const Micros step_start = t;
    t += StepDuration();
    step.started_at = MixedTimestamp(rng_, step_start);
    step.ended_at = MixedTimestamp(rng_, t);
    if (k == 0) Queue(step_start, index, EventKind::kStepStarted, k);
    if (k == cancel_at) {
      step.state = "skipped";
      stopped = true;
    } else if (k == fail_at || k == second_fail) {
      step.state = "failed";
      step.attempt = rng_.Chance(0.3) ? 2 : 1;
      step.error_message = ErrorMessage(step.name);
      Queue(t, index, EventKind::kStepFailed, k, 0, nullptr,
            ErrorSummary(*step.error_message));
      stopped = fails;
    } else {
      step.state = "completed";
      const bool more = k != reported && step_event_chance_ > 0 &&
                        rng_.Chance(step_event_chance_);
      if (more && k > 0) Queue(step_start, index, EventKind::kStepStarted, k);
      if (k == reported || more) {
        Queue(t, index, EventKind::kStepCompleted, k,
              static_cast<double>(t - step_start) / kMicrosPerSecond);
      }
    }
    steps.push_back(std::move(step));
  }

  run.state = kStates[outcome];
  run.started_at = MixedTimestamp(rng_, started);
  run.ended_at = MixedTimestamp(rng_, t);
  run.updated_at = MixedTimestamp(rng_, t);
  writer_.InsertRun(run);
  for (const StepRow& step : steps) writer_.InsertStep(step);

  Queue(created, index, EventKind::kRunCreated, -1, steps_);
  Queue(started, index, EventKind::kRunStarted);
  if (rng_.Chance(0.03)) {
    Queue(started + (t - started) / 2, index, EventKind::kCheckpointSaved, 0);
  }
  const double duration = static_cast<double>(t - created) / kMicrosPerSecond;
  Queue(t, index, kEndEvents[outcome], -1, duration, kStates[outcome]);
  if (options_.bulk_artifacts) artifact_runs_.push_back(run.run_id);
}

void BulkLoader::AddActiveRun(Micros created) {
  RunRow run = NewRun(created);
  const uint32_t index = static_cast<uint32_t>(run_ids_.size());
  run_ids_.push_back(run.run_id);
  Queue(created, index, EventKind::kRunCreated, -1, steps_);

  std::vector<StepRow> steps(steps_);
  for (int k = 0; k < steps_; ++k) {
    steps[k].run_id = run.run_id;
    steps[k].step_id = StepId(k);
    steps[k].name = StepName(k);
    steps[k].state = "pending";
  }
  Micros updated = created;
  if (rng_.Chance(0.15)) {
    run.state = "pending";
  } else {
    run.state = "running";
    const Micros started = std::min(
        now_ - 1, created + SecondsToMicros(0.05 + rng_.Exponential(3.0)));
    run.started_at = MixedTimestamp(rng_, started);
    Queue(started, index, EventKind::kRunStarted);
    const int done = static_cast<int>(rng_.Below(steps_));
    Micros t = started;
    for (int k = 0; k < steps_; ++k) {
      StepRow& step = steps[k];
      const Micros end = t + StepDuration();
      step.started_at = MixedTimestamp(rng_, t);
      if (k >= done || end >= now_) {
        step.state = "running";
        Queue(t, index, EventKind::kStepStarted, k);
        updated = t;
        break;
      }
      step.ended_at = MixedTimestamp(rng_, end);
      if (rng_.Chance(options_.fail_rate / 4)) {
        step.state = "failed";
        step.error_message = ErrorMessage(step.name);
        Queue(end, index, EventKind::kStepFailed, k, 0, nullptr,
              ErrorSummary(*step.error_message));
      } else {
        step.state = "completed";
        Queue(end, index, EventKind::kStepCompleted, k,
              static_cast<double>(end - t) / kMicrosPerSecond);
      }
      t = end;
    }
    if (options_.bulk_artifacts) artifact_runs_.push_back(run.run_id);
  }
  run.updated_at = MixedTimestamp(rng_, updated);
  writer_.InsertRun(run);
  for (const StepRow& step : steps) writer_.InsertStep(step);
}

void BulkLoader::Queue(Micros t, uint32_t run, EventKind kind, int step,
                       double seconds, const char* state, std::string error) {
  const uint64_t seq = next_seq_++;
  if (!error.empty()) errors_.emplace(seq, std::move(error));
  events_.push(QueuedEvent{t, seq, run, kind, static_cast<int16_t>(step), state,
                           seconds});
}

std::string BulkLoader::EventData(const QueuedEvent& e) {
  JsonObject data;
  if (e.step >= 0) data.Str("step_id", StepId(e.step)).Int("attempt", 1);
  switch (e.kind) {
    case EventKind::kRunCreated:
      data.Int("steps", static_cast<int64_t>(e.seconds));
      break;
    case EventKind::kRunStarted:
      data.Str("worker", "worker-" + std::to_string(e.seq % 8));
      break;
    case EventKind::kStepCompleted:
      data.Num("duration_s", e.seconds, 3);
      break;
    case EventKind::kStepFailed:
      if (auto it = errors_.find(e.seq); it != errors_.end()) {
        data.Str("error", it->second);
        errors_.erase(it);
      }
      break;
    case EventKind::kCheckpointSaved:
      data.Int("bytes", static_cast<int64_t>(e.seq * 7919 % 1000000));
      break;
    default:
      if (e.state != nullptr) {
        data.Str("state", e.state).Num("duration_s", e.seconds, 3);
      }
  }
  return data.Build();
}

void BulkLoader::InsertEventsBefore(Micros limit) {
  while (!events_.empty() && events_.top().t < limit) {
    const QueuedEvent e = events_.top();
    events_.pop();
    const char* severity = nullptr;
    if (e.kind == EventKind::kRunCompleted && e.state != nullptr &&
        std::string_view(e.state) == "partial") {
      severity = "warning";
    }
    writer_.InsertEvent(
        MakeEvent(rng_, e.t, run_ids_[e.run], e.kind, EventData(e), severity));
  }
}

}  // namespace

Status BulkLoad(const std::string& db_path, const SimOptions& options,
                size_t terminal_runs, size_t active_runs,
                std::chrono::system_clock::time_point now) {
  auto db = OpenContractDb(db_path);
  if (!db.ok()) return db.status();
  std::vector<std::string> artifact_runs;
  try {
    // Bulk speed: no fsync per commit (a crash mid-load may lose the file,
    // acceptable for generated data); a large page cache for the indexes.
    (*db)->exec("PRAGMA synchronous=OFF");
    (*db)->exec("PRAGMA cache_size=-262144");
    SQLite::Statement count(**db, "SELECT COUNT(*) FROM runs");
    count.executeStep();
    const uint64_t salt = static_cast<uint64_t>(count.getColumn(0).getInt64());
    count.reset();
    BulkLoader loader(**db, options, ToMicros(now), salt);
    loader.Load(terminal_runs, active_runs);
    artifact_runs = loader.artifact_runs();
  } catch (const SQLite::Exception& e) {
    return Status::Internal("bulk load into '" + db_path + "': " + e.what());
  }
  for (const std::string& run_id : artifact_runs) {
    Status s = CreateRunArtifacts(options.worktrees_dir, run_id,
                                  options.steps_per_run);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace pe::sim
