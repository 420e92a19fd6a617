#ifndef PIPELINE_EXPORTER_WORKER_JOB_STAGES_H_
#define PIPELINE_EXPORTER_WORKER_JOB_STAGES_H_

#include <atomic>
#include <optional>
#include <string>

#include "exporter/worker/job_queue.h"
#include "exporter/worker/worker_metrics.h"
#include "exporter/worker/worker_options.h"
#include "exporter/worker/worker_store.h"

namespace pe {

// The steps of a completion job, each a function that takes the job and
// returns where it goes next (JobStageFor below). None calls another: the
// JobRunner drives them and records each transition.
//
// clang-format off
//   archive  queued -> archived    the archive written (not yet checked)
//            queued -> skipped     invalid run id; no file touched
//            queued -> (report)    no worktree: reports only, then skipped
//   verify   archived -> verified  checked, renamed to its final name and
//                                  recorded in archival_log
//            archived -> queued    its file is gone (archive again)
//   report   verified -> reported  with delete_worktrees, else -> done
//   delete   reported -> done      the worktree deleted (or kept, logged)
//            reported -> queued    the archive failed its check again
//   finish   reported -> done      delete_worktrees was turned off since
// clang-format on
//
// "Mark" (CompletionMarker, closing runs whose steps all ended) happens
// before a job exists: it is what makes a run terminal, and Enqueue then
// creates its job in stage queued. "Log" is not a step of its own: every
// transition carries its archival_log columns and its events, written in
// the same transaction as the new stage (JobQueue::Advance), so no record
// is written twice and none is lost.
enum class JobStep { kArchive, kVerify, kReport, kDelete, kFinish };

const char* JobStepName(JobStep step);

// The step a job recorded at stage starts with; nullopt for final stages.
std::optional<JobStep> FirstStep(JobStage stage, bool delete_worktrees);

// What a step decided.
struct StepOutcome {
  enum class Kind {
    kAdvance,    // record `stage` with `effects`, then run `next`
    kContinue,   // record nothing, run `next` (in this process only)
    kFail,       // record a failed attempt; retried from retry_from
    kCancelled,  // give the lease back and record nothing
  };
  Kind kind = Kind::kAdvance;
  JobStage stage = JobStage::kQueued;
  AdvanceEffects effects;
  std::optional<JobStep> next;  // none: the job is through for now
  // kContinue from archive to report: why nothing was archived.
  std::string skip_reason;
  // kFail: the error, the event to record with it (empty type: none), the
  // stage to retry from (nullopt: the same).
  std::string error;
  WorkerEvent event;
  std::optional<JobStage> retry_from;
};

// What the steps work with: one per archiving thread (JobRunner).
struct StepContext {
  const CompletionWorkerOptions* options;
  WorkerMetrics* metrics;
  WorkerStore* store;  // not used by archive and verify (LeaseKeeper)
  int slot;            // the thread's metrics slot
  const std::atomic<bool>* cancel;
  double Now() const { return options->clock->WallSeconds(); }
  double Monotonic() const { return options->clock->MonotonicSeconds(); }
};

// A job as the steps see it in one pass of the runner: the row as claimed,
// with the stage and stage_data the last transition recorded, and what a
// step hands the next within this pass.
struct JobWork {
  Job job;
  JobStage claimed_at = JobStage::kQueued;  // the stage it was claimed in
  std::string skip_reason;  // set by archive: report, then skipped
};

// Whether a step blocks in long file I/O and needs the lease kept for it
// (it then must not use the store).
bool StepKeepsLease(JobStep step);

StepOutcome ArchiveStep(const StepContext& ctx, const JobWork& work);
StepOutcome VerifyStep(const StepContext& ctx, const JobWork& work);
StepOutcome ReportStep(const StepContext& ctx, const JobWork& work);
StepOutcome DeleteStep(const StepContext& ctx, const JobWork& work);
StepOutcome FinishStep(const StepContext& ctx, const JobWork& work);

// Runs step on work: one of the functions above.
StepOutcome RunStep(JobStep step, const StepContext& ctx, const JobWork& work);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JOB_STAGES_H_
