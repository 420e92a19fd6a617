#include "exporter/worker/job_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "exporter/archive/archive_files.h"
#include "exporter/archive/archive_verify.h"
#include "exporter/archive/archive_writer.h"
#include "exporter/archive/preflight.h"
#include "exporter/archive/remove_tree.h"
#include "exporter/common/json.h"
#include "exporter/common/log.h"
#include "exporter/common/run_id_path.h"
#include "exporter/report/report_files.h"
#include "exporter/worker/run_report_loader.h"

namespace pe {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxAttempts = 20;  // then the job becomes failed
constexpr double kMaxBackoffSeconds = 3600;
constexpr std::chrono::seconds kProgressLogInterval{10};

// Calls renew every period on its own thread until destroyed.
class LeaseKeeper {
 public:
  LeaseKeeper(std::chrono::milliseconds period, std::function<void()> renew)
      : period_(std::max(period, std::chrono::milliseconds(1))),
        renew_(std::move(renew)),
        thread_([this] { Run(); }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
      lock.unlock();
      renew_();
      lock.lock();
    }
  }

  const std::chrono::milliseconds period_;
  const std::function<void()> renew_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace

JobRunner::JobRunner(const CompletionWorkerOptions& options,
                     WorkerMetrics* metrics, WorkerStore* store,
                     JobQueue* queue, std::string owner, int slot,
                     const std::atomic<bool>* cancel)
    : options_(options),
      metrics_(metrics),
      store_(store),
      queue_(queue),
      owner_(std::move(owner)),
      slot_(slot),
      cancel_(cancel) {}

JobRunner::Outcome JobRunner::Process(const Job& job) {
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
      if (options_.delete_worktrees) {
        outcome = DeleteWorktreeStage(job, /*resumed=*/true);
      } else {
        outcome = CheckLease(
            queue_->Advance(owner_, job.run_id, JobStage::kDone, Now()), job,
            "finish job");
      }
      break;
    default:
      break;
  }
  if (outcome == Outcome::kProgress) metrics_->Succeeded(Now());
  return outcome;
}

JobRunner::Outcome JobRunner::CheckLease(const Result<LeaseStatus>& status,
                                         const Job& job, const char* what) {
  if (!status.ok()) {
    log::Warn("completion worker cannot record progress",
              {{"run_id", job.run_id},
               {"step", what},
               {"err", status.status().message()}});
    (void)queue_->Release(owner_, job.run_id, Now());
    return Outcome::kLost;
  }
  if (*status == LeaseStatus::kLost) {
    log::Warn("lease lost; another worker took the job over",
              {{"run_id", job.run_id}, {"step", what}});
    return Outcome::kLost;
  }
  return Outcome::kProgress;
}

JobRunner::Outcome JobRunner::Skip(const Job& job, const std::string& reason,
                                   const std::string& detail) {
  metrics_->ArchiveSkipped(reason);
  log::Info("run not archived",
            {{"run_id", job.run_id}, {"reason", reason}, {"detail", detail}});
  AdvanceEffects effects;
  effects.events.push_back(
      {job.run_id, "archival_skipped", "warning",
       JsonObject().Str("reason", reason).Str("detail", detail).Build()});
  return CheckLease(
      queue_->Advance(owner_, job.run_id, JobStage::kSkipped, Now(), effects),
      job, "skip");
}

JobRunner::Outcome JobRunner::Retry(const Job& job, const std::string& error,
                                    const std::string& event_type,
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
  Outcome outcome =
      CheckLease(queue_->Fail(owner_, job.run_id, error, retry_at, now, events),
                 job, "record failure");
  return outcome == Outcome::kProgress ? Outcome::kRetry : outcome;
}

JobRunner::Outcome JobRunner::ArchiveStage(const Job& job) {
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
        JsonObject().Str("reason", reason).Str("error", error).Build());
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

  // Progress comes from the deflate threads too: a mutex guards the log.
  std::mutex progress_mu;
  const auto begun = std::chrono::steady_clock::now();
  auto last_log = begun;
  ArchiveOptions archive_options;
  archive_options.deflate_level = options_.deflate_level;
  archive_options.cancel = cancel_;
  archive_options.progress = [&](std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> lock(progress_mu);
    metrics_->SetProgress(slot_, done);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log < kProgressLogInterval) return;
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
  };

  const std::string final_path =
      ArchivePathFor(options_.archive_dir, job.run_id);
  const auto started = std::chrono::steady_clock::now();
  metrics_->BeginArchive(slot_, preflight->input_bytes);
  ArchiveResult archived;
  {
    // Renews the lease on its own thread while the archive is written and
    // verified (progress comes per file, and not at all while verifying).
    // This thread is blocked in WriteRunArchive meanwhile, so the store is
    // only used by the keeper.
    const double lease_seconds =
        std::chrono::duration<double>(options_.lease).count();
    LeaseKeeper keeper(options_.lease / 3, [&] {
      auto renewed = queue_->Renew(owner_, job.run_id, lease_seconds, Now());
      if (!renewed.ok() || *renewed == LeaseStatus::kLost) {
        log::Warn("cannot renew the lease while archiving",
                  {{"run_id", job.run_id}});
      }
    });
    archived =
        WriteRunArchive(worktree, job.run_id, final_path, archive_options);
  }
  metrics_->EndArchive(slot_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  if (!archived.ok()) {
    if (archived.failure == ArchiveFailure::kCancelled) {
      (void)queue_->Release(owner_, job.run_id, Now());
      return Outcome::kLost;
    }
    if (archived.failure == ArchiveFailure::kNotFound) {
      return ReportStage(job, "no_worktree");
    }
    if (archived.failure == ArchiveFailure::kVerify) {
      metrics_->CountIntegrityCheck("archive", "failed");
    }
    const std::string reason = ArchiveFailureName(archived.failure);
    return fail(reason,
                archived.failure == ArchiveFailure::kVerify
                    ? "archival_validation_failed"
                    : "archival_failed",
                archived.status.message());
  }

  metrics_->CountIntegrityCheck("archive", "ok");
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
       JsonObject()
           .Str("archive_path", final_path)
           .Num("size_bytes", static_cast<double>(record.size_bytes))
           .Str("sha256", record.sha256)
           .Num("input_bytes", static_cast<double>(archived.stats.input_bytes))
           .Num("files", static_cast<double>(archived.stats.files))
           .Num("duration_seconds", seconds)
           .Build()});
  Outcome outcome = CheckLease(
      queue_->Advance(owner_, job.run_id, JobStage::kVerified, Now(), effects),
      job, "record archive");
  if (outcome != Outcome::kProgress) return outcome;
  return ReportStage(job, "");
}

JobRunner::Outcome JobRunner::ReportStage(const Job& job,
                                          const std::string& skip_reason) {
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
    auto row = LoadArchivalLog(*store_, job.run_id);
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
  const bool delete_next = options_.delete_worktrees && skip_reason.empty();
  JobStage next = delete_next ? JobStage::kReported : JobStage::kDone;
  if (!skip_reason.empty()) {
    next = JobStage::kSkipped;
    metrics_->ArchiveSkipped(skip_reason);
    effects.events.push_back({job.run_id, "archival_skipped", "warning",
                              JsonObject().Str("reason", skip_reason).Build()});
  }
  effects.events.push_back({job.run_id, "report_generated", "info",
                            JsonObject()
                                .Str("json_path", paths->json)
                                .Str("html_path", paths->html)
                                .Build()});
  Outcome outcome =
      CheckLease(queue_->Advance(owner_, job.run_id, next, Now(), effects), job,
                 "record report");
  if (outcome != Outcome::kProgress || !delete_next) return outcome;
  return DeleteWorktreeStage(job, /*resumed=*/false);
}

JobRunner::Outcome JobRunner::DeleteWorktreeStage(const Job& job,
                                                  bool resumed) {
  auto done = [&](const AdvanceEffects& effects) {
    return CheckLease(
        queue_->Advance(owner_, job.run_id, JobStage::kDone, Now(), effects),
        job, "finish job");
  };
  auto row = LoadArchivalLog(*store_, job.run_id);
  if (!row.ok()) {
    metrics_->CountWorktreeDeleteFailed();
    return Retry(job, row.status().message(), "", "");
  }
  // Only a verified archive that is where this exporter writes it, still
  // there and of its recorded size, lets the worktree go.
  const std::string final_path =
      ArchivePathFor(options_.archive_dir, job.run_id);
  std::string keep_reason;
  if (!row->has_value() || (*row)->archive_path.empty()) {
    keep_reason = "no archive recorded";
  } else if (Status path = CheckRecordedArchivePath(
                 options_.archive_dir, job.run_id, (*row)->archive_path);
             !path.ok()) {
    keep_reason = path.message();
  } else if ((*row)->integrity != "verified" || !(*row)->removed_at.empty()) {
    keep_reason = "archive not verified or removed";
  } else {
    std::error_code ec;
    const auto size = fs::file_size(final_path, ec);
    if (ec || !(*row)->size_bytes ||
        size != static_cast<std::uintmax_t>(*(*row)->size_bytes)) {
      keep_reason = "archive file missing or of another size";
    }
  }
  if (keep_reason.empty() && resumed) {
    // Time passed since the archive was verified: check it again.
    VerifyResult verify = VerifyArchive(final_path, job.run_id);
    const bool ok = verify.ok && verify.archive_sha256 == (*row)->sha256;
    metrics_->CountIntegrityCheck("archive", ok ? "ok" : "failed");
    if (!ok) {
      const std::string problem =
          verify.ok ? "archive SHA-256 differs from the recorded one"
                    : verify.problem;
      log::Warn(
          "archive failed its check before deleting the worktree; "
          "archiving again",
          {{"run_id", job.run_id}, {"err", problem}});
      AdvanceEffects effects;
      effects.events.push_back({job.run_id, "archival_validation_failed",
                                "error",
                                JsonObject()
                                    .Str("check", "before_worktree_deletion")
                                    .Str("archive_path", final_path)
                                    .Str("problem", problem)
                                    .Build()});
      Outcome requeued =
          CheckLease(queue_->Advance(owner_, job.run_id, JobStage::kQueued,
                                     Now(), effects),
                     job, "requeue job");
      // Still holding the lease: archive again right away.
      if (requeued != Outcome::kProgress) return requeued;
      return ArchiveStage(job);
    }
  }
  if (!keep_reason.empty()) {
    log::Warn("worktree kept",
              {{"run_id", job.run_id}, {"reason", keep_reason}});
    return done({});
  }
  auto removed = RemoveTree(options_.worktrees_dir, job.run_id);
  if (!removed.ok() && removed.status().code() != Status::Code::kNotFound) {
    if (removed.status().code() == Status::Code::kInvalidArgument) {
      log::Warn("worktree kept", {{"run_id", job.run_id},
                                  {"reason", removed.status().message()}});
      return done({});
    }
    metrics_->CountWorktreeDeleteFailed();
    return Retry(job, removed.status().message(), "", "");
  }
  if (removed.ok()) {
    metrics_->CountWorktreeDeleted();
    log::Info("worktree deleted",
              {{"run_id", job.run_id}, {"entries", std::to_string(*removed)}});
  }
  AdvanceEffects effects;
  effects.worktree_deleted_at = Now();
  return done(effects);
}

}  // namespace pe
