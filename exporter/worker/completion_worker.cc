#include "exporter/worker/completion_worker.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/preflight.h"
#include "exporter/common/duration.h"
#include "exporter/common/log.h"
#include "exporter/worker/archive_scrubber.h"
#include "exporter/worker/completion_marker.h"
#include "exporter/worker/iso_time.h"
#include "exporter/worker/job_runner.h"
#include "exporter/worker/retention.h"

namespace pe {
namespace {

constexpr std::size_t kMarkLimit = 200;
constexpr std::size_t kEnqueueLimit = 200;
constexpr std::size_t kForgetLimit = 500;
// History runs queued by one pass at most, and how often progress is logged.
constexpr std::size_t kBackfillLimit = 200;
constexpr double kBackfillLogSeconds = 30;

std::string BackfillText(std::chrono::milliseconds window) {
  if (window >= kBackfillAll) return "all";
  if (window <= kBackfillNone) return "none";
  return FormatDuration(window);
}

std::string DefaultOwner() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
  return std::string(host[0] != '\0' ? host : "unknown") + ":" +
         std::to_string(::getpid()) + ":" + suffix;
}

// Each loop survives anything an iteration throws: the daemon keeps serving
// metrics, and the heartbeat going stale is what reports a stuck worker.
template <typename Fn>
void Guarded(const char* what, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    log::Error("completion worker iteration failed unexpectedly",
               {{"thread", what}, {"err", e.what()}});
  }
}

ScrubOptions ScrubOptionsFor(const CompletionWorkerOptions& options) {
  ScrubOptions scrub;
  scrub.archive_dir = options.archive_dir;
  scrub.worktrees_dir = options.worktrees_dir;
  scrub.interval_seconds =
      std::chrono::duration<double>(options.scrub_interval).count();
  return scrub;
}

}  // namespace

CompletionWorker::CompletionWorker(CompletionWorkerOptions options,
                                   std::shared_ptr<WorkerMetrics> metrics)
    : options_(std::move(options)),
      metrics_(std::move(metrics)),
      // A pass may queue what the rate allows over one interval.
      pacer_(options_.backfill_rate,
             options_.backfill_rate *
                 std::chrono::duration<double>(options_.interval).count()) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
  if (!options_.clock) options_.clock = SystemClock();
  // Fed by no one, the worker acts on what its first pass scans.
  if (!options_.feed) options_.feed = std::make_shared<RunFeed>();
  if (!metrics_) metrics_ = std::make_shared<WorkerMetrics>();
  options_.concurrency =
      std::clamp(options_.concurrency, 1, WorkerMetrics::kMaxProgressSlots);
  maintenance_.owner = options_.owner;
  scrub_.owner = options_.owner;
  for (int i = 0; i < options_.concurrency; ++i) {
    auto lane = std::make_unique<Lane>();
    // Lane 0 keeps the plain owner; the others get "#<n>" so two threads
    // of one process never share a lease.
    lane->owner =
        i == 0 ? options_.owner : options_.owner + "#" + std::to_string(i);
    lane->slot = i;
    archivers_.push_back(std::move(lane));
  }
}

CompletionWorker::~CompletionWorker() { Stop(); }

Status CompletionWorker::Open(Lane& lane) {
  if (lane.store && lane.store->FileReplaced()) {
    log::Warn("the state database file was replaced; reopening it",
              {{"db", options_.db_path}});
    lane.queue.reset();
    lane.store.reset();
  }
  if (lane.store) return Status::Ok();
  auto store = WorkerStore::Open(options_.db_path, options_.busy);
  if (!store.ok()) {
    // Until the database was opened once, a missing file or table is the
    // orchestrator not having created it yet, which the poller logs once
    // ("waiting for the state database"): not a warning of every lane.
    const bool not_created_yet =
        !opened_once_ && store.status().code() == Status::Code::kNotFound;
    if (not_created_yet) {
      log::Debug("completion worker waits for the state database",
                 {{"db", options_.db_path}, {"err", store.status().message()}});
    } else if (store.status().message() != lane.last_open_error) {
      lane.last_open_error = store.status().message();
      log::Warn("completion worker cannot open the state database",
                {{"db", options_.db_path}, {"err", lane.last_open_error}});
    }
    return store.status();
  }
  opened_once_ = true;
  if (!lane.last_open_error.empty()) {
    log::Info("completion worker opened the state database",
              {{"db", options_.db_path}});
    lane.last_open_error.clear();
  }
  // What is history is decided by the first start, recorded by whichever
  // lane of whichever exporter opened the database first.
  auto first_start = (*store)->FirstStart(Now());
  if (!first_start.ok()) {
    log::Warn(
        "completion worker cannot read its first start",
        {{"db", options_.db_path}, {"err", first_start.status().message()}});
    return first_start.status();
  }
  metrics_->SetFirstStart(*first_start);
  lane.store = std::move(*store);
  lane.queue = std::make_unique<JobQueue>(lane.store.get());
  lane.queue->set_window(*first_start,
                         BackfillSince(*first_start, options_.backfill));
  return Status::Ok();
}

void CompletionWorker::MeasureArchiveVolume() {
  // Until the first archive creates the folder, the volume it will be
  // created on: that of its nearest existing parent.
  std::filesystem::path dir = options_.archive_dir;
  std::error_code ec;
  while (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    dir = dir.parent_path();
  }
  PreflightInfo volume;
  if (VolumeSpace(dir.empty() ? "." : dir.string(), volume).ok()) {
    metrics_->SetVolume(volume.free_bytes, volume.total_bytes);
  }
}

Result<int64_t> CompletionWorker::Maintain(Lane& lane) {
  MeasureArchiveVolume();
  if (Status status = Open(lane); !status.ok()) {
    metrics_->Heartbeat(Now());
    return status;
  }
  RunFeed::Batch batch = options_.feed->Take();
  const bool scan = batch.scan || scan_pending_;

  // The full housekeeping runs at the first pass and when the poller read
  // the whole table (not again for each batch of a long scan).
  const bool full = batch.scan || first_pass_;
  first_pass_ = false;
  const double now = options_.clock->MonotonicSeconds();
  if (now >= next_housekeeping_ || full) {
    next_housekeeping_ =
        now +
        std::chrono::duration<double>(options_.housekeeping_interval).count();
    (void)HousekeepOn(lane, full);
  }

  bool complete = true;
  auto added = scan ? ScanRuns(lane, &complete) : ListedRuns(lane, batch.runs);
  if (!added.ok()) {
    options_.feed->Return(std::move(batch));  // nothing is lost
  } else {
    if (scan) scan_pending_ = !complete;
    // History after the fresh work, counted with each completed scan (and
    // until a count succeeds).
    auto history = Backfill(lane, scan ? complete : backfill_pending_ < 0);
    if (history.ok()) added = *added + *history;
  }
  if (auto backlog = lane.queue->Backlog(); backlog.ok()) {
    metrics_->SetBacklog(*backlog);
  }
  metrics_->Heartbeat(Now());
  return added;
}

void CompletionWorker::CountMarked(
    const std::vector<CompletionMarker::Marked>& marked) {
  for (const auto& run : marked) {
    metrics_->CountMarked(run.new_state);
    log::Info("run marked complete",
              {{"run_id", run.run_id}, {"state", run.new_state}});
  }
}

Result<int64_t> CompletionWorker::Backfill(Lane& lane, bool recount) {
  const double first_start = lane.queue->fresh_since();
  if (recount) {
    auto counts = lane.queue->CountHistory();
    if (!counts.ok()) {
      log::Warn("cannot count the runs that ended before the first start",
                {{"err", counts.status().message()}});
      return counts.status();
    }
    if (backfill_pending_ < 0 && (counts->pending > 0 || counts->skipped > 0)) {
      log::Info(
          "runs ended before the worker first ran: taking those within "
          "worker.backfill after fresh work, leaving the rest untouched",
          {{"first_start", FormatIsoUtc(first_start)},
           {"backfill", BackfillText(options_.backfill)},
           {"pending", std::to_string(counts->pending)},
           {"skipped", std::to_string(counts->skipped)}});
    }
    backfill_pending_ = counts->pending;
    metrics_->SetBackfill(counts->pending, counts->skipped);
  }
  if (backfill_pending_ == 0) return int64_t{0};
  // Fresh work (and the last batch) first.
  auto busy = lane.queue->AnyClaimable(Now());
  if (!busy.ok()) return busy.status();
  if (*busy) return int64_t{0};
  const std::size_t allowed =
      pacer_.Allowance(options_.clock->MonotonicSeconds(), kBackfillLimit);
  if (allowed == 0) return int64_t{0};
  auto added = lane.queue->EnqueueBackfill(allowed, Now());
  if (!added.ok()) {
    log::Warn("cannot enqueue runs that ended before the first start",
              {{"err", added.status().message()}});
    return added.status();
  }
  pacer_.Took(static_cast<std::size_t>(*added));
  metrics_->CountBackfillTaken(*added);
  backfill_taken_ += *added;
  if (*added < static_cast<int64_t>(allowed)) {
    backfill_pending_ = 0;  // the window is empty (until the next count)
  } else if (backfill_pending_ > 0) {
    backfill_pending_ = std::max<int64_t>(0, backfill_pending_ - *added);
  }
  if (backfill_pending_ >= 0) metrics_->SetBackfillPending(backfill_pending_);
  LogBackfillProgress(backfill_pending_ == 0);
  return added;
}

void CompletionWorker::LogBackfillProgress(bool finished) {
  const double now = options_.clock->MonotonicSeconds();
  if (backfill_taken_ == 0 || (!finished && now < next_backfill_log_)) return;
  log::Info(
      finished ? "backfill done: every run within worker.backfill queued"
               : "backfill progress",
      {{"queued", std::to_string(backfill_taken_)},
       {"pending", std::to_string(std::max<int64_t>(0, backfill_pending_))},
       {"backfill", BackfillText(options_.backfill)}});
  backfill_taken_ = 0;
  next_backfill_log_ = now + kBackfillLogSeconds;
}

Result<int64_t> CompletionWorker::ScanRuns(Lane& lane, bool* complete) {
  *complete = true;
  if (options_.mark_complete) {
    CompletionMarker marker(lane.store.get());
    std::vector<CompletionMarker::Marked> marked;
    Status status = marker.MarkFinishedRuns(Now(), kMarkLimit, &marked);
    CountMarked(marked);
    if (!status.ok()) {
      log::Warn("cannot mark finished runs", {{"err", status.message()}});
      *complete = false;
    } else if (marked.size() >= kMarkLimit) {
      *complete = false;
    }
  }
  auto added = lane.queue->Enqueue(Now(), kEnqueueLimit);
  if (!added.ok()) {
    log::Warn("cannot enqueue terminal runs",
              {{"err", added.status().message()}});
    *complete = false;
  } else if (*added >= static_cast<int64_t>(kEnqueueLimit)) {
    *complete = false;
  }
  return added;
}

Result<int64_t> CompletionWorker::ListedRuns(
    Lane& lane, const std::vector<std::string>& runs) {
  if (runs.empty()) return int64_t{0};
  if (options_.mark_complete) {
    CompletionMarker marker(lane.store.get());
    std::vector<CompletionMarker::Marked> marked;
    Status status = marker.MarkListedRuns(runs, Now(), &marked);
    CountMarked(marked);
    if (!status.ok()) {
      log::Warn("cannot mark finished runs", {{"err", status.message()}});
      return status;
    }
  }
  // Runs just marked are terminal now: enqueued in the same pass.
  auto added = lane.queue->EnqueueListed(runs, Now());
  if (!added.ok()) {
    log::Warn("cannot enqueue terminal runs",
              {{"err", added.status().message()}});
  }
  return added;
}

Status CompletionWorker::Housekeep() {
  if (Status status = Open(maintenance_); !status.ok()) return status;
  return HousekeepOn(maintenance_, /*full=*/true);
}

Status CompletionWorker::HousekeepOn(Lane& lane, bool full) {
  Status result = Status::Ok();
  if (full) {
    // Partial files of runs nobody holds a lease on are what a crash left.
    auto leased = lane.queue->RunsWritingArchives(Now());
    if (!leased.ok()) {
      result = leased.status();
    } else {
      const std::set<std::string> in_use(leased->begin(), leased->end());
      auto removed = CleanLeftovers(options_.archive_dir, in_use);
      if (!removed.ok()) {
        log::Warn("cannot clean archive leftovers",
                  {{"dir", options_.archive_dir},
                   {"err", removed.status().message()}});
      } else if (*removed > 0) {
        log::Info("removed partial archives left by an interrupted write",
                  {{"dir", options_.archive_dir},
                   {"files", std::to_string(*removed)}});
      }
    }

    auto forgotten = lane.queue->ForgetPrunedRuns(kForgetLimit);
    if (!forgotten.ok()) {
      log::Warn("cannot forget jobs of pruned runs",
                {{"err", forgotten.status().message()}});
    } else if (*forgotten > 0) {
      log::Debug("forgot jobs of runs pruned from the database",
                 {{"jobs", std::to_string(*forgotten)}});
    }
  }

  RetentionLimits limits;
  limits.max_count = static_cast<int64_t>(options_.retention_max_count);
  limits.max_bytes = options_.retention_max_bytes;
  limits.max_age_seconds =
      std::chrono::duration<double>(options_.retention_max_age).count();
  RetentionEnforcer enforcer(lane.store.get(), options_.archive_dir,
                             options_.worktrees_dir, limits);
  const double now = Now();
  // Between scans, a pass only when something may be over a limit: an
  // archive recorded (or its job finished) since the last pass, or one that
  // passed the age limit since.
  bool changed = full || archives_changed_.exchange(false) || !last_retention_;
  if (!changed && limits.any()) {
    auto due = enforcer.AgeDue(*last_retention_, now);
    changed = !due.ok() || *due;
  }
  if (full) archives_changed_ = false;
  if (!changed) return result;

  if (limits.any()) {
    auto outcome = enforcer.Enforce(now);
    if (!outcome.ok()) {
      log::Warn("cannot apply retention",
                {{"err", outcome.status().message()}});
      result = outcome.status();
      archives_changed_ = true;  // try again at the next housekeeping
    } else {
      last_retention_ = now;
      for (const Removal& removal : outcome->removed) {
        metrics_->CountRetentionRemoved(removal.reason);
        log::Info("archive removed by retention",
                  {{"run_id", removal.run_id},
                   {"archive", removal.archive_path},
                   {"reason", removal.reason},
                   {"bytes", std::to_string(removal.size_bytes)}});
      }
      // One line per pass, not per archive: after a change of
      // worker.archive-dir every old row would otherwise log each minute.
      if (!outcome->errors.empty()) {
        log::Warn("retention left archives alone",
                  {{"archives", std::to_string(outcome->errors.size())},
                   {"first", outcome->errors.front()}});
        // A removal left undone (a file that would not go) is retried.
        archives_changed_ = true;
      }
      metrics_->SetRetentionKeptUnverified(outcome->kept_unverified);
    }
  } else {
    last_retention_ = now;
  }
  PublishRetained(lane);
  return result;
}

void CompletionWorker::PublishRetained(Lane& lane) {
  ArchiveScrubber scrubber(lane.store.get(), ScrubOptionsFor(options_));
  auto summary = scrubber.Summary();
  if (!summary.ok()) return;
  metrics_->SetRetained(summary->verified, summary->failed, summary->missing,
                        summary->retained_bytes);
  if (summary->oldest_check) metrics_->SetOldestCheck(*summary->oldest_check);
}

Result<bool> CompletionWorker::WorkOne(Lane& lane) {
  if (Status status = Open(lane); !status.ok()) return status;
  const double lease_seconds =
      std::chrono::duration<double>(options_.lease).count();
  auto jobs = lane.queue->Claim(lane.owner, lease_seconds, Now(), 1);
  if (!jobs.ok()) return jobs.status();
  if (jobs->empty()) return false;
  JobRunner runner(options_, metrics_.get(), lane.store.get(), lane.queue.get(),
                   lane.owner, lane.slot, &cancel_);
  const bool worked =
      runner.Process(jobs->front()) != JobRunner::Outcome::kLost;
  if (worked) archives_changed_ = true;  // retention may have work
  metrics_->Heartbeat(Now());
  return worked;
}

Result<bool> CompletionWorker::RunOnce() {
  auto enqueued = Maintain(maintenance_);
  if (!enqueued.ok() && !maintenance_.store) return enqueued.status();
  auto worked = WorkOne(*archivers_.front());
  if (!worked.ok()) return worked.status();
  if (!enqueued.ok()) return enqueued.status();
  return *worked;
}

Result<std::size_t> CompletionWorker::ScrubOnce() { return ScrubOn(scrub_); }

Result<std::size_t> CompletionWorker::ScrubOn(Lane& lane) {
  if (options_.scrub_interval.count() <= 0) return std::size_t{0};
  if (Status status = Open(lane); !status.ok()) return status;
  ArchiveScrubber scrubber(lane.store.get(), ScrubOptionsFor(options_));
  auto checks = scrubber.RunDue(Now(), &cancel_);
  if (!checks.ok()) return checks.status();
  for (const ScrubCheck& check : *checks) {
    metrics_->CountIntegrityCheck("scrub", ScrubResultName(check.result));
    if (check.result == ScrubResult::kOk) {
      log::Debug("archive verified by scrub",
                 {{"run_id", check.run_id}, {"archive", check.archive_path}});
    } else {
      log::Error("archive failed its integrity check",
                 {{"run_id", check.run_id},
                  {"archive", check.archive_path},
                  {"result", ScrubResultName(check.result)},
                  {"problem", check.problem},
                  {"action", check.requeued ? "archiving again"
                                            : "kept (no worktree left)"}});
    }
  }
  if (!checks->empty()) {
    // The counts change only with an integrity; otherwise only the oldest
    // check moved, a lookup instead of a read of every retained row.
    if (std::any_of(checks->begin(), checks->end(),
                    [](const ScrubCheck& c) { return c.integrity_changed; })) {
      PublishRetained(lane);
    } else if (auto oldest = scrubber.OldestCheck(); oldest.ok() && *oldest) {
      metrics_->SetOldestCheck(**oldest);
    }
    if (std::any_of(checks->begin(), checks->end(),
                    [](const ScrubCheck& c) { return c.requeued; })) {
      Wake();
    }
  }
  return checks->size();
}

void CompletionWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!threads_.empty()) return;
  stop_ = false;
  cancel_ = false;
  log::Info("completion worker started",
            {{"owner", options_.owner},
             {"concurrency", std::to_string(options_.concurrency)},
             {"worktrees", options_.worktrees_dir},
             {"archive_dir", options_.archive_dir},
             {"reports_dir", options_.reports_dir}});
  auto run = [this](auto loop) {
    ++running_;
    threads_.emplace_back([this, loop] {
      loop();
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      cv_.notify_all();
    });
  };
  run([this] { MaintenanceLoop(); });
  for (auto& lane : archivers_) {
    run([this, lane = lane.get()] { ArchiveLoop(lane); });
  }
  if (options_.scrub_interval.count() > 0) run([this] { ScrubLoop(); });
}

void CompletionWorker::Stop() {
  if (threads_.empty()) {
    cancel_ = true;
    return;
  }
  // A wait, so real time (the class comment), not options_.clock.
  const auto deadline =
      std::chrono::steady_clock::now() + options_.shutdown_grace;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stop_ = true;  // no thread claims, enqueues or scrubs anything new
    cv_.notify_all();
    if (running_ > 0 && options_.shutdown_grace.count() > 0) {
      log::Info("completion worker stopping; waiting for archives in progress",
                {{"grace", std::to_string(std::chrono::duration<double>(
                                              options_.shutdown_grace)
                                              .count()) +
                               "s"}});
    }
    if (!cv_.wait_until(lock, deadline, [this] { return running_ == 0; })) {
      log::Warn(
          "shutdown grace period over: abandoning the archives in progress "
          "(nothing is left behind; they are redone at the next start)");
    }
    cancel_ = true;
  }
  cv_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  log::Info("completion worker stopped", {{"owner", options_.owner}});
  threads_.clear();
}

bool CompletionWorker::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t seen = wakeups_;
  cv_.wait_for(lock, timeout, [&] { return stop_ || wakeups_ != seen; });
  return stop_;
}

bool CompletionWorker::Stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void CompletionWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

void CompletionWorker::MaintenanceLoop() {
  do {
    Guarded("maintenance", [&] {
      auto enqueued = Maintain(maintenance_);
      if (enqueued.ok() && *enqueued > 0) Wake();
    });
    metrics_->Publish();
  } while (!Wait(options_.interval));
}

void CompletionWorker::ArchiveLoop(Lane* lane) {
  for (;;) {
    bool worked = false;
    Guarded("archive", [&] {
      auto result = WorkOne(*lane);
      worked = result.ok() && *result;
    });
    if (worked) metrics_->Publish();
    if (Stopping()) return;
    if (!worked && Wait(options_.interval)) return;
  }
}

void CompletionWorker::ScrubLoop() {
  for (;;) {
    std::size_t checked = 0;
    Guarded("scrub", [&] {
      auto result = ScrubOn(scrub_);
      if (result.ok()) checked = *result;
    });
    if (checked > 0) metrics_->Publish();
    if (Stopping()) return;
    if (checked == 0 && Wait(options_.interval)) return;
  }
}

}  // namespace pe
