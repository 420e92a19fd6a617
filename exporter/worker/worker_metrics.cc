#include "exporter/worker/worker_metrics.h"

#include <algorithm>
#include <utility>

#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/registry_text.h"

namespace pe {
namespace {

prometheus::Counter& Counter(const metrics::Def& def,
                             prometheus::Registry& registry) {
  return metrics::RegisterFamily(prometheus::BuildCounter(), def, registry)
      .Add({});
}

prometheus::Gauge& Gauge(const metrics::Def& def,
                         prometheus::Registry& registry) {
  return metrics::RegisterFamily(prometheus::BuildGauge(), def, registry)
      .Add({});
}

}  // namespace

WorkerMetrics::WorkerMetrics(metrics::FamilySelection families)
    : families_(std::move(families)),
      registry_(std::make_shared<prometheus::Registry>()),
      backlog_(Gauge(metrics::kWorkerBacklog, *registry_)),
      marked_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                      metrics::kWorkerMarkedComplete,
                                      *registry_)),
      created_(Counter(metrics::kWorkerArchivesCreated, *registry_)),
      failures_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                        metrics::kWorkerArchiveFailures,
                                        *registry_)),
      skipped_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                       metrics::kWorkerArchivesSkipped,
                                       *registry_)),
      input_bytes_(Counter(metrics::kWorkerArchiveInputBytes, *registry_)),
      output_bytes_(Counter(metrics::kWorkerArchiveOutputBytes, *registry_)),
      duration_(metrics::RegisterFamily(prometheus::BuildHistogram(),
                                        metrics::kWorkerArchiveDuration,
                                        *registry_)
                    .Add({}, metrics::ArchiveDurationBuckets())),
      reports_(Counter(metrics::kWorkerReportsGenerated, *registry_)),
      report_failures_(Counter(metrics::kWorkerReportFailures, *registry_)),
      volume_free_(Gauge(metrics::kWorkerVolumeFree, *registry_)),
      volume_size_(Gauge(metrics::kWorkerVolumeSize, *registry_)),
      heartbeat_(Gauge(metrics::kWorkerHeartbeat, *registry_)),
      last_success_(Gauge(metrics::kWorkerLastSuccess, *registry_)),
      progress_(Gauge(metrics::kWorkerArchiveProgress, *registry_)),
      in_progress_(Gauge(metrics::kWorkerArchivesInProgress, *registry_)),
      integrity_checks_(metrics::RegisterFamily(prometheus::BuildCounter(),
                                                metrics::kWorkerIntegrityChecks,
                                                *registry_)),
      retained_(metrics::RegisterFamily(prometheus::BuildGauge(),
                                        metrics::kWorkerArchivesByIntegrity,
                                        *registry_)),
      retained_bytes_(Gauge(metrics::kWorkerRetainedBytes, *registry_)),
      oldest_check_(Gauge(metrics::kWorkerScrubOldestCheck, *registry_)),
      retention_removed_(metrics::RegisterFamily(
          prometheus::BuildCounter(), metrics::kWorkerRetentionRemoved,
          *registry_)),
      retention_kept_(Gauge(metrics::kWorkerRetentionKept, *registry_)),
      worktrees_deleted_(Counter(metrics::kWorkerWorktreesDeleted, *registry_)),
      worktree_delete_failures_(
          Counter(metrics::kWorkerWorktreeDeleteFailures, *registry_)),
      first_start_(Gauge(metrics::kWorkerFirstStart, *registry_)),
      backfill_runs_(metrics::RegisterFamily(
          prometheus::BuildGauge(), metrics::kWorkerBackfillRuns, *registry_)),
      backfill_taken_(Counter(metrics::kWorkerBackfillTaken, *registry_)) {
  // Known label values start at 0, so rate() and alerts see them at once.
  for (const char* state : {"succeeded", "partial"}) {
    marked_.Add({{"state", state}});
  }
  for (const char* reason : {"no_worktree", "invalid_run_id"}) {
    skipped_.Add({{"reason", reason}});
  }
  for (const char* reason : {"preflight", "io", "no_space", "io_error",
                             "bad_input", "verify_failed", "internal"}) {
    failures_.Add({{"reason", reason}});
  }
  for (const char* check : {"archive", "scrub"}) {
    for (const char* result : {"ok", "failed"}) {
      integrity_checks_.Add({{"check", check}, {"result", result}});
    }
  }
  integrity_checks_.Add({{"check", "scrub"}, {"result", "missing"}});
  for (const char* integrity : {"verified", "failed", "missing"}) {
    retained_.Add({{"integrity", integrity}});
  }
  for (const char* reason : {"age", "count", "bytes"}) {
    retention_removed_.Add({{"reason", reason}});
  }
  for (const char* state : {"pending", "skipped"}) {
    backfill_runs_.Add({{"state", state}});
  }
}

void WorkerMetrics::SetBacklog(int64_t runs) {
  backlog_.Set(static_cast<double>(runs));
}

void WorkerMetrics::CountMarked(std::string_view state) {
  marked_.Add({{"state", std::string(state)}}).Increment();
}

void WorkerMetrics::ArchiveCreated(uint64_t input_bytes, uint64_t output_bytes,
                                   double seconds) {
  created_.Increment();
  input_bytes_.Increment(static_cast<double>(input_bytes));
  output_bytes_.Increment(static_cast<double>(output_bytes));
  duration_.Observe(seconds);
}

void WorkerMetrics::ArchiveFailed(std::string_view reason) {
  failures_.Add({{"reason", std::string(reason)}}).Increment();
}

void WorkerMetrics::ArchiveSkipped(std::string_view reason) {
  skipped_.Add({{"reason", std::string(reason)}}).Increment();
}

void WorkerMetrics::ReportGenerated() { reports_.Increment(); }
void WorkerMetrics::ReportFailed() { report_failures_.Increment(); }

void WorkerMetrics::SetVolume(uint64_t free_bytes, uint64_t size_bytes) {
  volume_free_.Set(static_cast<double>(free_bytes));
  volume_size_.Set(static_cast<double>(size_bytes));
}

void WorkerMetrics::Heartbeat(double now) { heartbeat_.Set(now); }
void WorkerMetrics::Succeeded(double now) { last_success_.Set(now); }

void WorkerMetrics::BeginArchive(int slot, uint64_t total_bytes) {
  if (slot < 0 || slot >= kMaxProgressSlots) return;
  std::lock_guard<std::mutex> lock(progress_mu_);
  slots_[slot] = Slot{true, 0, total_bytes};
  PublishProgressLocked();
}

void WorkerMetrics::SetProgress(int slot, uint64_t done_bytes) {
  if (slot < 0 || slot >= kMaxProgressSlots) return;
  std::lock_guard<std::mutex> lock(progress_mu_);
  if (!slots_[slot].active) return;
  slots_[slot].done = std::min(done_bytes, slots_[slot].total);
  PublishProgressLocked();
}

void WorkerMetrics::EndArchive(int slot) {
  if (slot < 0 || slot >= kMaxProgressSlots) return;
  std::lock_guard<std::mutex> lock(progress_mu_);
  slots_[slot] = Slot{};
  PublishProgressLocked();
}

void WorkerMetrics::PublishProgressLocked() {
  uint64_t done = 0, total = 0;
  int active = 0;
  for (const Slot& slot : slots_) {
    if (!slot.active) continue;
    ++active;
    done += slot.done;
    total += slot.total;
  }
  in_progress_.Set(active);
  progress_.Set(active == 0 ? 0.0
                : total == 0
                    ? 1.0
                    : static_cast<double>(done) / static_cast<double>(total));
}

void WorkerMetrics::CountIntegrityCheck(std::string_view check,
                                        std::string_view result) {
  integrity_checks_
      .Add({{"check", std::string(check)}, {"result", std::string(result)}})
      .Increment();
}

void WorkerMetrics::SetRetained(int64_t verified, int64_t failed,
                                int64_t missing, uint64_t bytes) {
  retained_.Add({{"integrity", "verified"}}).Set(static_cast<double>(verified));
  retained_.Add({{"integrity", "failed"}}).Set(static_cast<double>(failed));
  retained_.Add({{"integrity", "missing"}}).Set(static_cast<double>(missing));
  retained_bytes_.Set(static_cast<double>(bytes));
}

void WorkerMetrics::SetOldestCheck(double unix_seconds) {
  oldest_check_.Set(unix_seconds);
}

void WorkerMetrics::CountRetentionRemoved(std::string_view reason) {
  retention_removed_.Add({{"reason", std::string(reason)}}).Increment();
}

void WorkerMetrics::SetRetentionKeptUnverified(int64_t archives) {
  retention_kept_.Set(static_cast<double>(archives));
}

void WorkerMetrics::CountWorktreeDeleted() { worktrees_deleted_.Increment(); }
void WorkerMetrics::CountWorktreeDeleteFailed() {
  worktree_delete_failures_.Increment();
}

void WorkerMetrics::SetFirstStart(double unix_seconds) {
  first_start_.Set(unix_seconds);
}

void WorkerMetrics::SetBackfill(int64_t pending, int64_t skipped) {
  SetBackfillPending(pending);
  backfill_runs_.Add({{"state", "skipped"}}).Set(static_cast<double>(skipped));
}

void WorkerMetrics::SetBackfillPending(int64_t pending) {
  backfill_runs_.Add({{"state", "pending"}}).Set(static_cast<double>(pending));
}

void WorkerMetrics::CountBackfillTaken(int64_t runs) {
  backfill_taken_.Increment(static_cast<double>(runs));
}

std::string WorkerMetrics::Serialize() const {
  return metrics::SerializeInDeclarationOrder(*registry_, families_);
}

}  // namespace pe
