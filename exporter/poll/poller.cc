#include "exporter/poll/poller.h"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>
#include <unordered_set>

#include "exporter/common/label_value.h"
#include "exporter/common/log.h"
#include "exporter/poll/latest_event_scan.h"
#include "exporter/poll/side_reader.h"

namespace pe {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The selections of config; a key at fault (which the daemon refuses before
// a poller exists) is logged and selects everything.
Selections SelectionsOf(const Config& config) {
  Result<Selections> selections = SelectionsFromConfig(config);
  if (selections.ok()) return std::move(*selections);
  log::Error("invalid selection, every project and family selected",
             {{"err", selections.status().message()}});
  return {};
}

}  // namespace

Poller::Poller(const Config& config, std::shared_ptr<Composer> composer,
               std::shared_ptr<const Clock> clock)
    : config_(config),
      composer_(std::move(composer)),
      clock_(clock ? std::move(clock) : SystemClock()),
      reader_(config.state_db, config.busy_timeout, &parse_errors_),
      selections_(SelectionsOf(config)),
      tracker_(RunTracker::Options{
          std::chrono::duration<double>(config.recent_window).count(),
          config.max_tracked_runs, selections_.projects}),
      metrics_(config.max_event_types, selections_.families),
      exposition_(config.failure_reason_max_length, selections_.families) {}

void Poller::SetProjectSelection(ProjectSelection projects) {
  std::lock_guard<std::mutex> lock(next_projects_mu_);
  next_projects_ = std::move(projects);
}

void Poller::TakeProjectSelection() {
  std::optional<ProjectSelection> next;
  {
    std::lock_guard<std::mutex> lock(next_projects_mu_);
    next.swap(next_projects_);
  }
  if (!next) return;
  tracker_.SetProjectSelection(std::move(*next));
  resync_requested_ = true;
  requested_reason_ = "reload";
}

StateCondition Poller::Classify(const Status& status) const {
  if (status.ok()) return StateCondition::kOk;
  if (!FileExists(config_.state_db)) return StateCondition::kMissing;
  switch (status.code()) {
    case Status::Code::kBusy:
      return StateCondition::kLocked;
    case Status::Code::kCorruption:
      return StateCondition::kCorrupt;
    case Status::Code::kNotFound:
      return StateCondition::kSchema;
    default:
      return StateCondition::kError;
  }
}

void Poller::PollOnce() {
  const double started = clock_->MonotonicSeconds();
  const double now = clock_->WallSeconds();
  TakeProjectSelection();
  std::string_view result = "error";
  Status status = PollDatabase(now, &result);
  if (!status.ok()) {
    reader_.Close();
    result = "error";
  }

  tracker_.Expire(now);
  RunTracker::Changes changes = tracker_.TakeChanges();
  exposition_.Apply(changes, tracker_);
  metrics_.RecordFinished(changes.finished);
  metrics_.RecordDropped(changes.dropped);
  if (changes.all || !changes.changed.empty() || !changes.removed.empty() ||
      result == "changed") {
    metrics_.UpdateRuns(tracker_);
  }
  metrics_.RecordParseErrors(parse_errors_.totals());

  const StateCondition condition = Classify(status);
  LogCondition(condition, status);
  const double seconds = clock_->MonotonicSeconds() - started;
  metrics_.RecordPoll(result, condition, seconds, now);
  const bool full_read = read_.full_read;
  NotifyReadListener();
  Publish();
  if (status.ok()) composer_->store().MarkReady();
  // A full read churns through every row and renders every bucket on two
  // threads: give the heap they freed back (once served: it takes a few
  // milliseconds at the cap).
  if (full_read) malloc_trim(0);
}

void Poller::LogCondition(StateCondition condition, const Status& status) {
  const bool first_poll = !condition_logged_;
  // Until data was served once, a missing file and missing tables are one
  // state, the orchestrator not having created its database yet: said once,
  // at info level, however often it changes between the two.
  const bool waiting = !served_ && (condition == StateCondition::kMissing ||
                                    condition == StateCondition::kSchema);
  const bool same =
      !first_poll && (condition == condition_ || (waiting && waiting_));
  condition_ = condition;
  condition_logged_ = true;
  if (same) return;
  waiting_ = waiting;
  const log::Fields fields = {{"db", config_.state_db},
                              {"condition", std::string(Name(condition))},
                              {"err", status.message()}};
  if (condition == StateCondition::kOk) {
    if (!first_poll) {
      log::Info(
          served_ ? "state database readable again" : "state database readable",
          {{"db", config_.state_db}});
    }
    served_ = true;
  } else if (waiting) {
    log::Info("waiting for the state database", fields);
  } else if (!served_) {
    log::Warn("cannot read state database", fields);
  } else {
    log::Warn("cannot read state database; serving the last good data", fields);
  }
}

void Poller::UpsertRead(const RunRow& row, double now) {
  tracker_.Upsert(row, now);
  if (row.state == RunState::kRunning || IsTerminal(row.state)) {
    read_.runs.push_back(row.run_id);
  }
}

void Poller::NotifyReadListener() {
  // Also after a poll that failed halfway: what it read was applied.
  if (read_.runs.empty() && !read_.full_read) return;
  if (read_listener_) read_listener_(read_);
  read_ = ReadRuns();
}

void Poller::Publish() {
  // The per-run text is shared with earlier snapshots until a run changes.
  const auto texts = metrics_.Texts();
  composer_->Update({{Composer::Source::kState, {texts.begin(), texts.end()}},
                     {Composer::Source::kRuns, exposition_.Parts()}});
}

Status Poller::PollDatabase(double now, std::string_view* result) {
  bool touched = false;
  if (reader_.is_open()) {
    if (reader_.FileReplaced()) {
      log::Info("state database file was replaced; reopening",
                {{"db", config_.state_db}});
      reader_.Close();
      need_full_load_ = true;
    } else {
      switch (reader_.CheckFile()) {
        case StateReader::FileChange::kNone:
          break;
        case StateReader::FileChange::kWritten:
          touched = true;  // a checkpoint: poll, even if data_version agrees
          break;
        case StateReader::FileChange::kSuspect:
          // Truncated or overwritten behind SQLite's back: in WAL mode the
          // connection's cached pages would hide it, so start afresh.
          reader_.Close();
          touched = true;
          break;
      }
    }
  }
  if (!reader_.is_open()) {
    Status s = reader_.Open();
    if (!s.ok()) return s;
    if (!touched) need_full_load_ = true;  // first open, or after an error
    if (need_full_load_ && initialized_) full_load_reason_ = "reopen";
  }
  auto version = reader_.DataVersion();
  if (!version.ok()) return version.status();
  const bool resync_due =
      resync_requested_ || !last_full_load_ ||
      clock_->MonotonicSeconds() - *last_full_load_ >=
          std::chrono::duration<double>(config_.resync_interval).count();
  if (!need_full_load_ && resync_due) {
    full_load_reason_ = resync_requested_ ? requested_reason_ : "interval";
  }
  if (!need_full_load_ && !resync_due && !more_events_ && !touched &&
      *version == data_version_) {
    *result = "unchanged";
    return Status::Ok();
  }

  Status s = reader_.Begin();
  if (s.ok()) {
    s = (need_full_load_ || resync_due) ? FullLoad(now, full_load_reason_)
                                        : Incremental(now);
  }
  reader_.End();
  if (!s.ok()) return s;
  data_version_ = *version;
  *result = "changed";
  return Status::Ok();
}

Status Poller::ReadEvents() {
  auto events = reader_.EventsAfter(event_watermark_, config_.event_batch);
  if (!events.ok()) return events.status();
  for (const EventRow& e : *events) {
    metrics_.RecordEvent(e.event_type, e.severity);
    event_watermark_ = std::max(event_watermark_, e.id);
    if (e.run_id.empty()) continue;
    pending_reread_.insert(e.run_id);
    if (e.timestamp) {
      double& t = pending_event_times_[e.run_id];
      t = std::max(t, *e.timestamp);
    }
  }
  more_events_ = events->size() >= config_.event_batch;
  return Status::Ok();
}

void Poller::SetSteps(const std::string& run_id, StepSummary steps) {
  // Kept as it is exposed (one line, bounded) rather than as read (up to
  // 4 KiB): the tracked run's reason is only ever rendered, and rendering it
  // again gives the same text.
  if (steps.failure) {
    steps.failure = std::make_shared<const StepFailure>(
        StepFailure{steps.failure->step,
                    SanitizeReason(steps.failure->reason,
                                   config_.failure_reason_max_length)});
  }
  tracker_.SetSteps(run_id, std::move(steps));
}

Status Poller::RefreshPendingSteps() {
  for (auto it = pending_steps_.begin(); it != pending_steps_.end();) {
    if (tracker_.IsTracked(*it)) {
      auto steps = reader_.Steps(*it);
      if (!steps.ok()) return steps.status();
      SetSteps(*it, std::move(steps.value()));
    }
    it = pending_steps_.erase(it);
  }
  return Status::Ok();
}

Status Poller::ReadStepsAndEvents(SideReader* side, bool latest_events) {
  std::unordered_set<std::string_view> tracked;
  if (latest_events) {
    // Only tracked runs keep an event time (RunTracker::NoteEvent).
    tracked.reserve(tracker_.tracked_count());
    tracker_.ForEachTracked(
        [&](std::string_view id, const TrackedRun&) { tracked.insert(id); });
  }
  std::vector<std::pair<std::string, double>> latest;
  if (side != nullptr) {
    // What the side thread has not begun is read here, while it ends its
    // batch and goes on with the events; the tracker's keys, which
    // `tracked` views, stay until LatestEvents.
    for (std::string& id : side->Close(std::move(tracked))) {
      pending_steps_.insert(std::move(id));
    }
    Status applied = RefreshPendingSteps();
    auto steps = side->TakeSteps();
    if (applied.ok()) applied = steps.status();
    if (applied.ok()) {
      for (auto& [id, summary] : *steps) SetSteps(id, std::move(summary));
    }
    auto events = side->LatestEvents();
    if (!applied.ok()) return applied;
    if (!events.ok()) return events.status();
    latest = std::move(events.value());
  } else {
    tracker_.ForEachTracked([this](std::string_view id, const TrackedRun&) {
      pending_steps_.emplace(id);
    });
    if (Status s = RefreshPendingSteps(); !s.ok()) return s;
    if (latest_events) {
      auto found = LatestEventScan(0).Finish(reader_, tracked, &parse_errors_);
      if (!found.ok()) return found.status();
      latest = std::move(found.value());
    }
  }
  // NoteEvent keeps the latest of what it is given.
  for (const auto& [id, t] : latest) tracker_.NoteEvent(id, t);
  ApplyEventTimes();
  return Status::Ok();
}

void Poller::ApplyEventTimes() {
  for (const auto& [id, t] : pending_event_times_) tracker_.NoteEvent(id, t);
  pending_event_times_.clear();
}

Status Poller::Incremental(double now) {
  // What this poll learns is kept in members until it has been applied, so
  // that a poll failing halfway (a lock) loses nothing: the events' runs are
  // re-read at the next poll even though the event watermark moved on.
  // New rows first, so that their events find them tracked.
  auto fresh = reader_.RunsAfterRowid(rowid_watermark_);
  if (!fresh.ok()) return fresh.status();
  std::set<std::string> fresh_ids;
  for (const auto& r : *fresh) {
    UpsertRead(r.run, now);
    rowid_watermark_ = std::max(rowid_watermark_, r.rowid);
    pending_steps_.insert(r.run.run_id);
    fresh_ids.insert(r.run.run_id);
  }
  if (Status s = ReadEvents(); !s.ok()) return s;
  for (auto it = pending_reread_.begin(); it != pending_reread_.end();) {
    if (fresh_ids.count(*it) == 0) {
      auto run = reader_.Run(*it);
      if (!run.ok()) return run.status();
      if (run->has_value()) {
        UpsertRead((*run)->run, now);
        pending_steps_.insert(*it);
      } else {
        tracker_.Remove(*it);  // pruned
      }
    }
    it = pending_reread_.erase(it);
  }
  if (Status s = RefreshPendingSteps(); !s.ok()) return s;
  ApplyEventTimes();

  // Rows pruned (or renumbered by VACUUM) leave the count off: re-read all.
  auto count = reader_.CountRuns();
  if (!count.ok()) return count.status();
  if (static_cast<std::size_t>(*count) != tracker_.known_runs()) {
    log::Info("runs table changed beyond new rows (pruned?); re-reading it",
              {{"db", config_.state_db},
               {"rows", std::to_string(*count)},
               {"known", std::to_string(tracker_.known_runs())}});
    return FullLoad(now, "mismatch");
  }
  return Status::Ok();
}

Status Poller::FullLoad(double now, std::string_view reason) {
  auto max_event = reader_.MaxEventId();
  if (!max_event.ok()) return max_event.status();
  if (!initialized_ || *max_event < event_watermark_) {
    // Start-up, or the events table was reset: start from its end, so that
    // history is not counted as new events.
    event_watermark_ = *max_event;
    more_events_ = false;
  } else if (Status s = ReadEvents(); !s.ok()) {
    return s;
  }

  int64_t max_rowid = 0;
  std::size_t rows = 0;
  auto expected = reader_.CountRuns();
  if (!expected.ok()) return expected.status();
  // The steps of every tracked run are read again, and at start-up the
  // latest event of each: on a second connection while this one scans the
  // runs (SideReader), or on this one after the scan if the second cannot
  // be opened.
  const bool latest_events = !initialized_;
  SideReader side(config_.state_db, config_.busy_timeout, &parse_errors_);
  bool beside = false;
  if (read_beside_scan_) {
    const Status started = side.Start(latest_events);
    beside = started.ok();
    if (!beside) {
      log::Debug("reading steps after the runs scan, not beside it",
                 {{"err", started.message()}});
    }
  }
  tracker_.BeginReconcile(/*count_transitions=*/initialized_,
                          static_cast<std::size_t>(*expected));
  Status read = reader_.ForEachRun([&](int64_t rowid, const RunRowSource& run) {
    max_rowid = std::max(max_rowid, rowid);
    ++rows;
    if (tracker_.ReconcileRow(run, now) && beside) {
      side.Add(run.run_id());
    }
  });
  // A failed read must not forget the runs it did not reach.
  if (!read.ok()) return read;
  tracker_.EndReconcile();
  rowid_watermark_ = max_rowid;
  pending_reread_.clear();  // every run was just read

  if (Status s = ReadStepsAndEvents(beside ? &side : nullptr, latest_events);
      !s.ok()) {
    return s;
  }

  read_.full_read = true;
  metrics_.RecordResync(reason);
  log::Debug("read the whole runs table",
             {{"reason", std::string(reason)},
              {"runs", std::to_string(rows)},
              {"tracked", std::to_string(tracker_.tracked_count())}});
  initialized_ = true;
  need_full_load_ = false;
  full_load_reason_ = "interval";
  last_full_load_ = clock_->MonotonicSeconds();
  resync_requested_ = false;
  requested_reason_ = "interval";
  return Status::Ok();
}

}  // namespace pe
