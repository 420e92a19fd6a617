#include "exporter/worker/completion_worker.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_writer.h"
#include "exporter/archive/preflight.h"
#include "exporter/archive/run_id_path.h"
#include "exporter/common/log.h"
#include "exporter/common/timestamp.h"
#include "exporter/report/report_files.h"
#include "exporter/report/report_json.h"
#include "exporter/report/run_report.h"
#include "exporter/worker/completion_marker.h"

namespace pe {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMarkLimit = 200;
constexpr std::size_t kEnqueueLimit = 200;
constexpr int64_t kMaxAttempts = 20;  // then the job becomes failed
constexpr double kMaxBackoffSeconds = 3600;
constexpr std::chrono::seconds kProgressLogInterval{10};

double WallClock() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

// A flat JSON object of string and number fields, for event data.
class JsonFields {
 public:
  JsonFields& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(&text_, value);
    return *this;
  }
  JsonFields& Num(std::string_view key, double value) {
    Key(key);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", std::isfinite(value) ? value : 0);
    text_ += buf;
    return *this;
  }
  std::string Build() const { return text_ + "}"; }

 private:
  void Key(std::string_view key) {
    if (text_.size() > 1) text_ += ",";
    AppendJsonString(&text_, key);
    text_ += ":";
  }
  std::string text_ = "{";
};

std::optional<int64_t> WholeSeconds(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  std::optional<double> t = ParseTimestamp(column.getString());
  if (!t) return std::nullopt;
  return static_cast<int64_t>(std::floor(*t));
}

std::optional<std::string> OptionalText(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
}

// Reads what a run's report shows, in three short statements outside any
// transaction; nullopt when the run is gone.
Result<std::optional<RunReport>> LoadRunReport(WorkerStore& store,
                                               const std::string& run_id) {
  std::optional<RunReport> loaded;
  Status status = store.Read("read run for report", [&](SQLite::Database& db) {
    loaded.reset();
    SQLite::Statement run(db,
                          "SELECT project_id, phase_id, workstream_id, state, "
                          "created_at, started_at, ended_at FROM runs "
                          "WHERE run_id = ?");
    run.bind(1, run_id);
    if (!run.executeStep()) return Status::Ok();
    RunReport report;
    report.run_id = run_id;
    report.project = run.getColumn(0).getString();
    report.phase = run.getColumn(1).getString();
    report.workstream = OptionalText(run.getColumn(2));
    report.status = run.getColumn(3).getString();
    report.created = WholeSeconds(run.getColumn(4));
    report.started = WholeSeconds(run.getColumn(5));
    report.ended = WholeSeconds(run.getColumn(6));
    const std::optional<int64_t> from =
        report.started ? report.started : report.created;
    if (from && report.ended) {
      report.duration_seconds = static_cast<double>(*report.ended - *from);
    }

    SQLite::Statement steps(
        db,
        "SELECT step_id, name, state, attempt, started_at, ended_at, "
        "error_message FROM steps WHERE run_id = ? "
        "ORDER BY COALESCE(started_at, ''), step_id");
    steps.bind(1, run_id);
    while (steps.executeStep()) {
      ++report.steps_total;
      const std::string state = steps.getColumn(2).getString();
      if (state == "completed") ++report.steps_completed;
      if (state == "skipped") ++report.steps_skipped;
      if (state != "failed") continue;
      ++report.steps_failed;
      FailedStepReport failed;
      failed.step_id = steps.getColumn(0).getString();
      failed.name = steps.getColumn(1).getString();
      failed.attempt = steps.getColumn(3).getInt64();
      failed.started = WholeSeconds(steps.getColumn(4));
      failed.ended = WholeSeconds(steps.getColumn(5));
      failed.error_message = OptionalText(steps.getColumn(6));
      report.failed_steps.push_back(std::move(failed));
    }

    SQLite::Statement events(
        db,
        "SELECT COUNT(*), COALESCE(SUM(severity IN ('error', 'critical')), 0) "
        "FROM events WHERE run_id = ?");
    events.bind(1, run_id);
    if (events.executeStep()) {
      report.events_total = events.getColumn(0).getInt64();
      report.events_errors = events.getColumn(1).getInt64();
    }
    loaded = std::move(report);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return loaded;
}

Result<std::optional<ArchivalLogRow>> ReadLog(WorkerStore& store,
                                              const std::string& run_id) {
  std::optional<ArchivalLogRow> row;
  Status status = store.Read("read archival_log", [&](SQLite::Database& db) {
    row = ReadArchivalLog(db, run_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return row;
}

}  // namespace

CompletionWorkerOptions CompletionWorkerOptions::FromConfig(
    const Config& config) {
  CompletionWorkerOptions options;
  options.db_path = config.state_db;
  options.worktrees_dir = config.worker_worktrees_dir;
  options.archive_dir = config.worker_archive_dir;
  options.reports_dir = config.worker_reports_dir;
  options.mark_complete = config.worker_mark_complete;
  options.interval = config.worker_interval;
  options.lease = config.worker_lease;
  options.deflate_level = config.worker_deflate_level;
  options.free_space_factor = config.worker_free_space_factor;
  options.retry_backoff = config.worker_retry_backoff;
  options.busy.busy_timeout = config.busy_timeout;
  return options;
}

CompletionWorker::CompletionWorker(CompletionWorkerOptions options,
                                   std::shared_ptr<WorkerMetrics> metrics)
    : options_(std::move(options)), metrics_(std::move(metrics)) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
  if (!options_.clock) options_.clock = WallClock;
  if (!metrics_) metrics_ = std::make_shared<WorkerMetrics>();
}

CompletionWorker::~CompletionWorker() { Stop(); }

double CompletionWorker::Now() const { return options_.clock(); }

Status CompletionWorker::OpenStore() {
  if (store_) return Status::Ok();
  auto store = WorkerStore::Open(options_.db_path, options_.busy);
  if (!store.ok()) {
    if (store.status().message() != last_open_error_) {
      last_open_error_ = store.status().message();
      log::Warn("completion worker cannot open the state database",
                {{"db", options_.db_path}, {"err", last_open_error_}});
    }
    return store.status();
  }
  if (!last_open_error_.empty()) {
    log::Info("completion worker opened the state database",
              {{"db", options_.db_path}});
    last_open_error_.clear();
  }
  store_ = std::move(*store);
  queue_ = std::make_unique<JobQueue>(store_.get());
  return Status::Ok();
}

void CompletionWorker::MarkAndEnqueue(double now) {
  if (options_.mark_complete) {
    CompletionMarker marker(store_.get());
    std::vector<CompletionMarker::Marked> marked;
    Status status = marker.MarkFinishedRuns(now, kMarkLimit, &marked);
    for (const auto& run : marked) {
      metrics_->CountMarked(run.new_state);
      log::Info("run marked complete",
                {{"run_id", run.run_id}, {"state", run.new_state}});
    }
    if (!status.ok()) {
      log::Warn("cannot mark finished runs", {{"err", status.message()}});
    }
  }
  auto added = queue_->Enqueue(now, kEnqueueLimit);
  if (!added.ok()) {
    log::Warn("cannot enqueue terminal runs",
              {{"err", added.status().message()}});
  }
}

Result<bool> CompletionWorker::RunOnce() {
  if (Status status = OpenStore(); !status.ok()) {
    metrics_->Heartbeat(Now());
    return status;
  }
  if (!cleaned_) {
    auto removed = CleanLeftovers(options_.archive_dir);
    if (!removed.ok()) {
      log::Warn(
          "cannot clean archive leftovers",
          {{"dir", options_.archive_dir}, {"err", removed.status().message()}});
    } else if (*removed > 0) {
      log::Info(
          "removed partial archives left by an earlier run",
          {{"dir", options_.archive_dir}, {"files", std::to_string(*removed)}});
    }
    cleaned_ = true;
  }
  MarkAndEnqueue(Now());

  const double lease_seconds =
      std::chrono::duration<double>(options_.lease).count();
  auto jobs = queue_->Claim(options_.owner, lease_seconds, Now(), 1);
  Status result = jobs.ok() ? Status::Ok() : jobs.status();
  bool worked = false;
  if (jobs.ok() && !jobs->empty()) {
    worked = ProcessJob(jobs->front()) != Outcome::kLost;
  }
  if (auto backlog = queue_->Backlog(); backlog.ok()) {
    metrics_->SetBacklog(*backlog);
  }
  metrics_->Heartbeat(Now());
  if (!result.ok()) return result;
  return worked;
}

CompletionWorker::Outcome CompletionWorker::ProcessJob(const Job& job) {
  Outcome outcome = Outcome::kProgress;
  switch (job.stage) {
    case JobStage::kQueued:
      outcome = ArchiveStage(job);
      break;
    case JobStage::kArchived:
    case JobStage::kVerified:
      outcome = ReportStage(job, "");
      break;
    case JobStage::kReported:
      outcome = CheckLease(
          queue_->Advance(options_.owner, job.run_id, JobStage::kDone, Now()),
          job, "finish job");
      break;
    default:
      break;
  }
  if (outcome == Outcome::kProgress) metrics_->Succeeded(Now());
  return outcome;
}

CompletionWorker::Outcome CompletionWorker::CheckLease(
    const Result<LeaseStatus>& status, const Job& job, const char* what) {
  if (!status.ok()) {
    log::Warn("completion worker cannot record progress",
              {{"run_id", job.run_id},
               {"step", what},
               {"err", status.status().message()}});
    (void)queue_->Release(options_.owner, job.run_id, Now());
    return Outcome::kLost;
  }
  if (*status == LeaseStatus::kLost) {
    log::Warn("lease lost; another worker took the job over",
              {{"run_id", job.run_id}, {"step", what}});
    return Outcome::kLost;
  }
  return Outcome::kProgress;
}

CompletionWorker::Outcome CompletionWorker::Skip(const Job& job,
                                                 const std::string& reason,
                                                 const std::string& detail) {
  metrics_->ArchiveSkipped(reason);
  log::Info("run not archived",
            {{"run_id", job.run_id}, {"reason", reason}, {"detail", detail}});
  AdvanceEffects effects;
  effects.events.push_back(
      {job.run_id, "archival_skipped", "warning",
       JsonFields().Str("reason", reason).Str("detail", detail).Build()});
  return CheckLease(queue_->Advance(options_.owner, job.run_id,
                                    JobStage::kSkipped, Now(), effects),
                    job, "skip");
}

CompletionWorker::Outcome CompletionWorker::Retry(
    const Job& job, const std::string& error, const std::string& event_type,
    const std::string& data_json) {
  const double now = Now();
  std::optional<double> retry_at;
  if (job.attempts + 1 < kMaxAttempts) {
    const double base =
        std::chrono::duration<double>(options_.retry_backoff).count();
    const double backoff =
        std::min(kMaxBackoffSeconds,
                 base * std::pow(2.0, static_cast<double>(std::min<int64_t>(
                                          job.attempts, 30))));
    retry_at = now + backoff;
  }
  log::Warn("completion job failed; will retry",
            {{"run_id", job.run_id},
             {"err", error},
             {"attempt", std::to_string(job.attempts + 1)},
             {"retry_in", retry_at ? std::to_string(*retry_at - now) + "s"
                                   : std::string("never")}});
  std::vector<WorkerEvent> events;
  if (!event_type.empty()) {
    events.push_back({job.run_id, event_type, "error", data_json});
  }
  Outcome outcome = CheckLease(
      queue_->Fail(options_.owner, job.run_id, error, retry_at, now, events),
      job, "record failure");
  return outcome == Outcome::kProgress ? Outcome::kRetry : outcome;
}

CompletionWorker::Outcome CompletionWorker::ArchiveStage(const Job& job) {
  if (Status valid = ValidateRunIdForPath(job.run_id); !valid.ok()) {
    return Skip(job, "invalid_run_id", valid.message());
  }
  const std::string worktree = options_.worktrees_dir + "/" + job.run_id;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(worktree, ec);
  if (!fs::exists(st)) return ReportStage(job, "no_worktree");

  auto fail = [&](std::string_view reason, const std::string& type,
                  const std::string& error) {
    metrics_->ArchiveFailed(reason);
    return Retry(
        job, error, type,
        JsonFields().Str("reason", reason).Str("error", error).Build());
  };

  fs::create_directories(options_.archive_dir, ec);
  if (ec || !fs::is_directory(options_.archive_dir)) {
    return fail("io", "archival_failed",
                "cannot create archive directory " + options_.archive_dir +
                    ": " + (ec ? ec.message() : "not a directory"));
  }
  auto preflight = RunPreflight(worktree, options_.archive_dir);
  if (!preflight.ok()) {
    if (preflight.status().code() == Status::Code::kNotFound) {
      return ReportStage(job, "no_worktree");
    }
    return fail("preflight", "archival_preflight_failed",
                preflight.status().message());
  }
  metrics_->SetVolume(preflight->free_bytes, preflight->total_bytes);
  if (Status space =
          CheckFreeSpace(preflight->input_bytes, preflight->free_bytes,
                         options_.free_space_factor);
      !space.ok()) {
    return fail("preflight", "archival_preflight_failed", space.message());
  }

  // The lease is renewed from the progress callback, under a mutex in case
  // the archiver reports from more than one thread; this thread is blocked
  // in WriteRunArchive meanwhile, so the store is never used concurrently.
  const double lease_seconds =
      std::chrono::duration<double>(options_.lease).count();
  std::mutex progress_mu;
  const auto begun = std::chrono::steady_clock::now();
  auto last_renew = begun;
  auto last_log = begun;
  ArchiveOptions archive_options;
  archive_options.deflate_level = options_.deflate_level;
  archive_options.cancel = &cancel_;
  archive_options.progress = [&](std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> lock(progress_mu);
    metrics_->SetProgress(total == 0 ? 1.0
                                     : static_cast<double>(done) /
                                           static_cast<double>(total));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log >= kProgressLogInterval) {
      last_log = now;
      const double elapsed = std::chrono::duration<double>(now - begun).count();
      log::Info(
          "archiving",
          {{"run_id", job.run_id},
           {"percent", std::to_string(total == 0 ? 100 : done * 100 / total)},
           {"bytes", std::to_string(done)},
           {"total_bytes", std::to_string(total)},
           {"mib_per_second",
            std::to_string(elapsed > 0 ? done / elapsed / 1048576.0 : 0.0)}});
    }
    if (now - last_renew < options_.lease / 3) return;
    last_renew = now;
    auto renewed =
        queue_->Renew(options_.owner, job.run_id, lease_seconds, Now());
    if (!renewed.ok() || *renewed == LeaseStatus::kLost) {
      log::Warn("cannot renew the lease while archiving",
                {{"run_id", job.run_id}});
    }
  };

  const std::string final_path =
      options_.archive_dir + "/" + job.run_id + ".zip";
  const auto started = std::chrono::steady_clock::now();
  metrics_->SetProgress(0);
  ArchiveResult archived =
      WriteRunArchive(worktree, job.run_id, final_path, archive_options);
  metrics_->SetProgress(0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  if (!archived.ok()) {
    if (archived.failure == ArchiveFailure::kCancelled) {
      (void)queue_->Release(options_.owner, job.run_id, Now());
      return Outcome::kLost;
    }
    if (archived.failure == ArchiveFailure::kNotFound) {
      return ReportStage(job, "no_worktree");
    }
    const std::string reason = ArchiveFailureName(archived.failure);
    return fail(reason,
                archived.failure == ArchiveFailure::kVerify
                    ? "archival_validation_failed"
                    : "archival_failed",
                archived.status.message());
  }

  metrics_->ArchiveCreated(archived.stats.input_bytes,
                           archived.stats.archive_bytes, seconds);
  log::Info("run archived",
            {{"run_id", job.run_id},
             {"archive", final_path},
             {"input_bytes", std::to_string(archived.stats.input_bytes)},
             {"archive_bytes", std::to_string(archived.stats.archive_bytes)},
             {"seconds", std::to_string(seconds)}});
  AdvanceEffects effects;
  ArchiveRecord record;
  record.archive_path = final_path;
  record.size_bytes = static_cast<int64_t>(archived.stats.archive_bytes);
  record.sha256 = archived.stats.archive_sha256;
  record.integrity = "verified";
  record.archived_at = Now();
  effects.archive = record;
  effects.events.push_back(
      {job.run_id, "run_archived", "info",
       JsonFields()
           .Str("archive_path", final_path)
           .Num("size_bytes", static_cast<double>(record.size_bytes))
           .Str("sha256", record.sha256)
           .Num("input_bytes", static_cast<double>(archived.stats.input_bytes))
           .Num("files", static_cast<double>(archived.stats.files))
           .Num("duration_seconds", seconds)
           .Build()});
  Outcome outcome =
      CheckLease(queue_->Advance(options_.owner, job.run_id,
                                 JobStage::kVerified, Now(), effects),
                 job, "record archive");
  if (outcome != Outcome::kProgress) return outcome;
  return ReportStage(job, "");
}

CompletionWorker::Outcome CompletionWorker::ReportStage(
    const Job& job, const std::string& skip_reason) {
  auto loaded = LoadRunReport(*store_, job.run_id);
  if (!loaded.ok()) {
    metrics_->ReportFailed();
    return Retry(job, loaded.status().message(), "", "");
  }
  if (!loaded->has_value()) {
    // Pruned by the orchestrator since it was queued: nothing to report.
    return Skip(job, "run_missing", "the run is no longer in the database");
  }
  RunReport report = std::move(**loaded);
  report.generated_at = static_cast<int64_t>(Now());
  if (!skip_reason.empty()) {
    report.archive.integrity = "not archived: " + skip_reason;
  } else {
    auto row = ReadLog(*store_, job.run_id);
    if (!row.ok()) {
      metrics_->ReportFailed();
      return Retry(job, row.status().message(), "", "");
    }
    if (row->has_value() && !(*row)->archive_path.empty()) {
      report.archive.path = (*row)->archive_path;
      if ((*row)->size_bytes) {
        report.archive.size_bytes = static_cast<uint64_t>(*(*row)->size_bytes);
      }
      report.archive.sha256 = (*row)->sha256;
      report.archive.integrity = (*row)->integrity;
    } else {
      report.archive.integrity = "not archived: no archival_log row";
    }
  }

  auto paths = WriteReports(options_.reports_dir, report);
  if (!paths.ok()) {
    metrics_->ReportFailed();
    return Retry(job, paths.status().message(), "", "");
  }
  metrics_->ReportGenerated();
  AdvanceEffects effects;
  effects.report = ReportRecord{paths->json, paths->html};
  JobStage next = JobStage::kDone;
  if (!skip_reason.empty()) {
    next = JobStage::kSkipped;
    metrics_->ArchiveSkipped(skip_reason);
    effects.events.push_back({job.run_id, "archival_skipped", "warning",
                              JsonFields().Str("reason", skip_reason).Build()});
  }
  effects.events.push_back({job.run_id, "report_generated", "info",
                            JsonFields()
                                .Str("json_path", paths->json)
                                .Str("html_path", paths->html)
                                .Build()});
  return CheckLease(
      queue_->Advance(options_.owner, job.run_id, next, Now(), effects), job,
      "record report");
}

void CompletionWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  cancel_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void CompletionWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CompletionWorker::Loop() {
  log::Info("completion worker started",
            {{"owner", options_.owner},
             {"worktrees", options_.worktrees_dir},
             {"archive_dir", options_.archive_dir},
             {"reports_dir", options_.reports_dir}});
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    bool worked = false;
    try {
      auto result = RunOnce();
      worked = result.ok() && *result;
    } catch (const std::exception& e) {
      log::Error("completion worker iteration failed unexpectedly",
                 {{"err", e.what()}});
    }
    lock.lock();
    if (!worked) {
      cv_.wait_for(lock, options_.interval, [this] { return stop_; });
    }
  }
  log::Info("completion worker stopped", {{"owner", options_.owner}});
}

}  // namespace pe
