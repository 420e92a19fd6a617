#include "exporter/worker/job_stages.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <mutex>

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

// One line per run at info for fresh work; a backfill logs per run at debug
// only (the worker logs its progress instead, backfill.h).
log::Level RunLogLevel(const Job& job) {
  return job.backfill ? log::Level::kDebug : log::Level::kInfo;
}

namespace fs = std::filesystem;

constexpr double kProgressLogSeconds = 10;

StepOutcome Advance(JobStage stage, std::optional<JobStep> next,
                    AdvanceEffects effects = {}) {
  StepOutcome out;
  out.kind = StepOutcome::Kind::kAdvance;
  out.stage = stage;
  out.next = next;
  out.effects = std::move(effects);
  return out;
}

StepOutcome Continue(JobStep next, std::string skip_reason) {
  StepOutcome out;
  out.kind = StepOutcome::Kind::kContinue;
  out.next = next;
  out.skip_reason = std::move(skip_reason);
  return out;
}

StepOutcome Failure(std::string error, WorkerEvent event = {},
                    std::optional<JobStage> retry_from = std::nullopt) {
  StepOutcome out;
  out.kind = StepOutcome::Kind::kFail;
  out.error = std::move(error);
  out.event = std::move(event);
  out.retry_from = retry_from;
  return out;
}

StepOutcome Cancelled() {
  StepOutcome out;
  out.kind = StepOutcome::Kind::kCancelled;
  return out;
}

// A failed archive attempt, counted under reason, with its event.
StepOutcome FailedArchive(const StepContext& ctx, const Job& job,
                          std::string_view reason, const std::string& type,
                          const std::string& error,
                          std::optional<JobStage> retry_from = std::nullopt) {
  ctx.metrics->ArchiveFailed(reason);
  return Failure(
      error,
      {job.run_id, type, "error",
       JsonObject().Str("reason", reason).Str("error", error).Build()},
      retry_from);
}

StepOutcome Skip(const StepContext& ctx, const Job& job,
                 const std::string& reason, const std::string& detail) {
  ctx.metrics->ArchiveSkipped(reason);
  log::Write(RunLogLevel(job), "run not archived",
             {{"run_id", job.run_id}, {"reason", reason}, {"detail", detail}});
  AdvanceEffects effects;
  effects.events.push_back(
      {job.run_id, "archival_skipped", "warning",
       JsonObject().Str("reason", reason).Str("detail", detail).Build()});
  return Advance(JobStage::kSkipped, std::nullopt, std::move(effects));
}

// What the archive step leaves in stage_data for the verify step.
struct WrittenArchive {
  std::uint64_t entries = 0, files = 0, input_bytes = 0;
  double seconds = 0;  // writing it
};

std::string FormatWritten(const WrittenArchive& written) {
  return JsonObject()
      .Num("entries", static_cast<double>(written.entries))
      .Num("files", static_cast<double>(written.files))
      .Num("input_bytes", static_cast<double>(written.input_bytes))
      .Num("seconds", written.seconds)
      .Build();
}

std::optional<WrittenArchive> ParseWritten(const std::string& text) {
  try {
    const YAML::Node node = YAML::Load(text);  // JSON is YAML
    if (!node.IsMap() || !node["entries"]) return std::nullopt;
    WrittenArchive written;
    written.entries = node["entries"].as<std::uint64_t>();
    written.files = node["files"].as<std::uint64_t>(0);
    written.input_bytes = node["input_bytes"].as<std::uint64_t>(0);
    written.seconds = node["seconds"].as<double>(0);
    return written;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

const char* JobStepName(JobStep step) {
  switch (step) {
    case JobStep::kArchive:
      return "archive";
    case JobStep::kVerify:
      return "verify";
    case JobStep::kReport:
      return "report";
    case JobStep::kDelete:
      return "delete";
    case JobStep::kFinish:
      return "finish";
  }
  return "finish";
}

std::optional<JobStep> FirstStep(JobStage stage, bool delete_worktrees) {
  switch (stage) {
    case JobStage::kQueued:
      return JobStep::kArchive;
    case JobStage::kArchived:
      return JobStep::kVerify;
    case JobStage::kVerified:
      return JobStep::kReport;
    case JobStage::kReported:
      return delete_worktrees ? JobStep::kDelete : JobStep::kFinish;
    case JobStage::kDone:
    case JobStage::kSkipped:
    case JobStage::kFailed:
      return std::nullopt;
  }
  return std::nullopt;
}

bool StepKeepsLease(JobStep step) {
  return step == JobStep::kArchive || step == JobStep::kVerify;
}

StepOutcome ArchiveStep(const StepContext& ctx, const JobWork& work) {
  const Job& job = work.job;
  const CompletionWorkerOptions& options = *ctx.options;
  if (Status valid = ValidateRunIdForPath(job.run_id); !valid.ok()) {
    return Skip(ctx, job, "invalid_run_id", valid.message());
  }
  const std::string worktree = options.worktrees_dir + "/" + job.run_id;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(worktree, ec))) {
    return Continue(JobStep::kReport, "no_worktree");
  }
  fs::create_directories(options.archive_dir, ec);
  if (ec || !fs::is_directory(options.archive_dir)) {
    return FailedArchive(ctx, job, "io", "archival_failed",
                         "cannot create archive directory " +
                             options.archive_dir + ": " +
                             (ec ? ec.message() : "not a directory"));
  }
  auto preflight = RunPreflight(worktree, options.archive_dir);
  if (!preflight.ok()) {
    if (preflight.status().code() == Status::Code::kNotFound) {
      return Continue(JobStep::kReport, "no_worktree");
    }
    return FailedArchive(ctx, job, "preflight", "archival_preflight_failed",
                         preflight.status().message());
  }
  ctx.metrics->SetVolume(preflight->free_bytes, preflight->total_bytes);
  if (Status space =
          CheckFreeSpace(preflight->input_bytes, preflight->free_bytes,
                         options.free_space_factor);
      !space.ok()) {
    return FailedArchive(ctx, job, "preflight", "archival_preflight_failed",
                         space.message());
  }

  // Progress comes from the deflate threads too: a mutex guards the log.
  std::mutex progress_mu;
  const double started = ctx.Monotonic();
  double last_log = started;
  ArchiveOptions archive_options;
  archive_options.deflate_level = options.deflate_level;
  archive_options.cancel = ctx.cancel;
  archive_options.progress = [&](std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> lock(progress_mu);
    ctx.metrics->SetProgress(ctx.slot, done);
    const double now = ctx.Monotonic();
    if (now - last_log < kProgressLogSeconds) return;
    last_log = now;
    const double elapsed = now - started;
    log::Info(
        "archiving",
        {{"run_id", job.run_id},
         {"percent", std::to_string(total == 0 ? 100 : done * 100 / total)},
         {"bytes", std::to_string(done)},
         {"total_bytes", std::to_string(total)},
         {"mib_per_second",
          std::to_string(elapsed > 0 ? done / elapsed / 1048576.0 : 0.0)}});
  };
  ctx.metrics->BeginArchive(ctx.slot, preflight->input_bytes);
  ArchiveResult written = WriteUnverifiedArchive(
      worktree, job.run_id, ArchivePathFor(options.archive_dir, job.run_id),
      archive_options);
  ctx.metrics->EndArchive(ctx.slot);
  if (!written.ok()) {
    switch (written.failure) {
      case ArchiveFailure::kCancelled:
        return Cancelled();
      case ArchiveFailure::kNotFound:
        return Continue(JobStep::kReport, "no_worktree");
      default:
        return FailedArchive(ctx, job, ArchiveFailureName(written.failure),
                             "archival_failed", written.status.message());
    }
  }
  AdvanceEffects effects;
  effects.stage_data = FormatWritten({.entries = written.stats.entries,
                                      .files = written.stats.files,
                                      .input_bytes = written.stats.input_bytes,
                                      .seconds = ctx.Monotonic() - started});
  return Advance(JobStage::kArchived, JobStep::kVerify, std::move(effects));
}

StepOutcome VerifyStep(const StepContext& ctx, const JobWork& work) {
  const Job& job = work.job;
  const CompletionWorkerOptions& options = *ctx.options;
  const std::optional<WrittenArchive> written = ParseWritten(job.stage_data);
  if (!written) {
    log::Warn("written archive has no usable record; archiving again",
              {{"run_id", job.run_id}, {"stage_data", job.stage_data}});
    return Advance(JobStage::kQueued, JobStep::kArchive);
  }
  const double started = ctx.Monotonic();
  const std::string final_path =
      ArchivePathFor(options.archive_dir, job.run_id);
  ArchiveResult installed =
      InstallVerifiedArchive(job.run_id, final_path, written->entries);
  if (installed.failure == ArchiveFailure::kNotFound) {
    // Renamed into place before a crash lost its record, or removed since
    // it was written: what has the final name is taken if it passes.
    const VerifyResult in_place = VerifyArchive(final_path, job.run_id);
    if (in_place.ok && in_place.entries == written->entries) {
      installed = ArchiveResult{};
      installed.stats.entries = in_place.entries;
      installed.stats.archive_bytes = in_place.archive_bytes;
      installed.stats.archive_sha256 = in_place.archive_sha256;
    }
  }
  if (!installed.ok()) {
    switch (installed.failure) {
      case ArchiveFailure::kNotFound:
        log::Warn(
            "written archive is gone; archiving again",
            {{"run_id", job.run_id}, {"err", installed.status.message()}});
        return Advance(JobStage::kQueued, JobStep::kArchive);
      case ArchiveFailure::kVerify:
        ctx.metrics->CountIntegrityCheck("archive", "failed");
        return FailedArchive(ctx, job, ArchiveFailureName(installed.failure),
                             "archival_validation_failed",
                             installed.status.message(), JobStage::kQueued);
      default:
        return FailedArchive(ctx, job, ArchiveFailureName(installed.failure),
                             "archival_failed", installed.status.message(),
                             JobStage::kQueued);
    }
  }
  const double seconds = written->seconds + (ctx.Monotonic() - started);
  ctx.metrics->CountIntegrityCheck("archive", "ok");
  ctx.metrics->ArchiveCreated(written->input_bytes,
                              installed.stats.archive_bytes, seconds);
  log::Write(RunLogLevel(job), "run archived",
             {{"run_id", job.run_id},
              {"archive", final_path},
              {"input_bytes", std::to_string(written->input_bytes)},
              {"archive_bytes", std::to_string(installed.stats.archive_bytes)},
              {"seconds", std::to_string(seconds)}});
  AdvanceEffects effects;
  ArchiveRecord record;
  record.archive_path = final_path;
  record.size_bytes = static_cast<int64_t>(installed.stats.archive_bytes);
  record.sha256 = installed.stats.archive_sha256;
  record.integrity = "verified";
  record.archived_at = ctx.Now();
  effects.archive = record;
  effects.events.push_back(
      {job.run_id, "run_archived", "info",
       JsonObject()
           .Str("archive_path", final_path)
           .Num("size_bytes", static_cast<double>(record.size_bytes))
           .Str("sha256", record.sha256)
           .Num("input_bytes", static_cast<double>(written->input_bytes))
           .Num("files", static_cast<double>(written->files))
           .Num("duration_seconds", seconds)
           .Build()});
  return Advance(JobStage::kVerified, JobStep::kReport, std::move(effects));
}

StepOutcome ReportStep(const StepContext& ctx, const JobWork& work) {
  const Job& job = work.job;
  const std::string& skip_reason = work.skip_reason;
  auto loaded = LoadRunReport(*ctx.store, job.run_id);
  if (!loaded.ok()) {
    ctx.metrics->ReportFailed();
    return Failure(loaded.status().message());
  }
  if (!loaded->has_value()) {
    // Pruned by the orchestrator since it was queued: nothing to report.
    return Skip(ctx, job, "run_missing",
                "the run is no longer in the database");
  }
  RunReport report = std::move(**loaded);
  report.generated_at = static_cast<int64_t>(ctx.Now());
  if (!skip_reason.empty()) {
    report.archive.integrity = "not archived: " + skip_reason;
  } else {
    auto row = LoadArchivalLog(*ctx.store, job.run_id);
    if (!row.ok()) {
      ctx.metrics->ReportFailed();
      return Failure(row.status().message());
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

  auto paths = WriteReports(ctx.options->reports_dir, report);
  if (!paths.ok()) {
    ctx.metrics->ReportFailed();
    return Failure(paths.status().message());
  }
  ctx.metrics->ReportGenerated();
  AdvanceEffects effects;
  effects.report = ReportRecord{paths->json, paths->html};
  const bool delete_next = ctx.options->delete_worktrees && skip_reason.empty();
  JobStage next = delete_next ? JobStage::kReported : JobStage::kDone;
  if (!skip_reason.empty()) {
    next = JobStage::kSkipped;
    ctx.metrics->ArchiveSkipped(skip_reason);
    effects.events.push_back({job.run_id, "archival_skipped", "warning",
                              JsonObject().Str("reason", skip_reason).Build()});
  }
  effects.events.push_back({job.run_id, "report_generated", "info",
                            JsonObject()
                                .Str("json_path", paths->json)
                                .Str("html_path", paths->html)
                                .Build()});
  return Advance(next,
                 delete_next ? std::optional(JobStep::kDelete) : std::nullopt,
                 std::move(effects));
}

StepOutcome DeleteStep(const StepContext& ctx, const JobWork& work) {
  const Job& job = work.job;
  const CompletionWorkerOptions& options = *ctx.options;
  auto done = [](AdvanceEffects effects = {}) {
    return Advance(JobStage::kDone, std::nullopt, std::move(effects));
  };
  auto row = LoadArchivalLog(*ctx.store, job.run_id);
  if (!row.ok()) {
    ctx.metrics->CountWorktreeDeleteFailed();
    return Failure(row.status().message());
  }
  // Only a verified archive that is where this exporter writes it, still
  // there and of its recorded size, lets the worktree go.
  const std::string final_path =
      ArchivePathFor(options.archive_dir, job.run_id);
  std::string keep_reason;
  if (!row->has_value() || (*row)->archive_path.empty()) {
    keep_reason = "no archive recorded";
  } else if (Status path = CheckRecordedArchivePath(
                 options.archive_dir, job.run_id, (*row)->archive_path);
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
  if (keep_reason.empty() && work.claimed_at == JobStage::kReported) {
    // Time passed since the archive was verified: check it again.
    VerifyResult verify = VerifyArchive(final_path, job.run_id);
    const bool ok = verify.ok && verify.archive_sha256 == (*row)->sha256;
    ctx.metrics->CountIntegrityCheck("archive", ok ? "ok" : "failed");
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
      // Still holding the lease: archive again right away.
      return Advance(JobStage::kQueued, JobStep::kArchive, std::move(effects));
    }
  }
  if (!keep_reason.empty()) {
    log::Warn("worktree kept",
              {{"run_id", job.run_id}, {"reason", keep_reason}});
    return done();
  }
  auto removed = RemoveTree(options.worktrees_dir, job.run_id);
  if (!removed.ok() && removed.status().code() != Status::Code::kNotFound) {
    if (removed.status().code() == Status::Code::kInvalidArgument) {
      log::Warn("worktree kept", {{"run_id", job.run_id},
                                  {"reason", removed.status().message()}});
      return done();
    }
    ctx.metrics->CountWorktreeDeleteFailed();
    return Failure(removed.status().message());
  }
  if (removed.ok()) {
    ctx.metrics->CountWorktreeDeleted();
    log::Write(RunLogLevel(job), "worktree deleted",
               {{"run_id", job.run_id}, {"entries", std::to_string(*removed)}});
  }
  AdvanceEffects effects;
  effects.worktree_deleted_at = ctx.Now();
  return done(std::move(effects));
}

StepOutcome FinishStep(const StepContext&, const JobWork&) {
  return Advance(JobStage::kDone, std::nullopt);
}

StepOutcome RunStep(JobStep step, const StepContext& ctx, const JobWork& work) {
  switch (step) {
    case JobStep::kArchive:
      return ArchiveStep(ctx, work);
    case JobStep::kVerify:
      return VerifyStep(ctx, work);
    case JobStep::kReport:
      return ReportStep(ctx, work);
    case JobStep::kDelete:
      return DeleteStep(ctx, work);
    case JobStep::kFinish:
      return FinishStep(ctx, work);
  }
  return FinishStep(ctx, work);
}

}  // namespace pe
