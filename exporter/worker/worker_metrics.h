#ifndef PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "exporter/metrics/family_selection.h"

namespace pe {

// The completion worker's metrics (metric_defs.h, group "Completion
// worker") in their own prometheus-cpp registry. Updated and serialized by
// the worker's threads: safe, since prometheus-cpp values are atomic and
// Family::Add and Collect are locked.
class WorkerMetrics {
 public:
  // Families that `families` does not expose are not serialized.
  explicit WorkerMetrics(metrics::FamilySelection families = {});
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  void SetBacklog(int64_t runs);
  void CountMarked(std::string_view state);
  void ArchiveCreated(uint64_t input_bytes, uint64_t output_bytes,
                      double seconds);
  void ArchiveFailed(std::string_view reason);
  void ArchiveSkipped(std::string_view reason);
  void ReportGenerated();
  void ReportFailed();
  void SetVolume(uint64_t free_bytes, uint64_t size_bytes);
  void Heartbeat(double now);
  void Succeeded(double now);
  // Progress of the archives being written: each writer reports its
  // bytes done and total under its slot (0 .. kMaxProgressSlots-1); the
  // gauge shows the share over all writers, and BeginArchive/EndArchive
  // keep the in-progress count.
  static constexpr int kMaxProgressSlots = 16;
  void BeginArchive(int slot, uint64_t total_bytes);
  void SetProgress(int slot, uint64_t done_bytes);
  void EndArchive(int slot);
  // check: "archive" or "scrub"; result: "ok", "failed" or "missing".
  void CountIntegrityCheck(std::string_view check, std::string_view result);
  void SetRetained(int64_t verified, int64_t failed, int64_t missing,
                   uint64_t bytes);
  void SetOldestCheck(double unix_seconds);
  void CountRetentionRemoved(std::string_view reason);
  void SetRetentionKeptUnverified(int64_t archives);
  void CountWorktreeDeleted();
  void CountWorktreeDeleteFailed();
  // Backfill (backfill.h): the first start, the history runs without a job
  // (pending within the window, skipped before it) and those taken.
  void SetFirstStart(double unix_seconds);
  void SetBackfill(int64_t pending, int64_t skipped);
  void SetBackfillPending(int64_t pending);
  void CountBackfillTaken(int64_t runs);

  // The families in declaration order, in the text format.
  std::string Serialize() const;
  // Where Publish() hands that text: the composer's worker part. Set before
  // the worker starts.
  void SetSink(std::function<void(std::string)> sink) {
    sink_ = std::move(sink);
  }
  // Hands the current text to the sink; the worker calls it after each
  // pass, job and scrub batch, so a scrape shows its figures at most one
  // worker interval old.
  void Publish() const {
    if (sink_) sink_(Serialize());
  }

 private:
  metrics::FamilySelection families_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::function<void(std::string)> sink_;
  prometheus::Gauge& backlog_;
  prometheus::Family<prometheus::Counter>& marked_;
  prometheus::Counter& created_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Counter>& skipped_;
  prometheus::Counter& input_bytes_;
  prometheus::Counter& output_bytes_;
  prometheus::Histogram& duration_;
  prometheus::Counter& reports_;
  prometheus::Counter& report_failures_;
  prometheus::Gauge& volume_free_;
  prometheus::Gauge& volume_size_;
  prometheus::Gauge& heartbeat_;
  prometheus::Gauge& last_success_;
  prometheus::Gauge& progress_;
  prometheus::Gauge& in_progress_;
  prometheus::Family<prometheus::Counter>& integrity_checks_;
  prometheus::Family<prometheus::Gauge>& retained_;
  prometheus::Gauge& retained_bytes_;
  prometheus::Gauge& oldest_check_;
  prometheus::Family<prometheus::Counter>& retention_removed_;
  prometheus::Gauge& retention_kept_;
  prometheus::Counter& worktrees_deleted_;
  prometheus::Counter& worktree_delete_failures_;
  prometheus::Gauge& first_start_;
  prometheus::Family<prometheus::Gauge>& backfill_runs_;
  prometheus::Counter& backfill_taken_;

  struct Slot {
    bool active = false;
    uint64_t done = 0;
    uint64_t total = 0;
  };
  void PublishProgressLocked();
  std::mutex progress_mu_;
  std::array<Slot, kMaxProgressSlots> slots_{};
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_
