#include "exporter/worker/worker_metrics.h"

#include <algorithm>

#include "exporter/metrics/metric_defs.h"
#include "exporter/metrics/registry_text.h"

namespace pe {
namespace {

template <typename Builder>
auto& Family(Builder builder, const metrics::Def& def,
             prometheus::Registry& registry) {
  return builder.Name(std::string(def.name))
      .Help(std::string(def.help))
      .Register(registry);
}

prometheus::Counter& Counter(const metrics::Def& def,
                             prometheus::Registry& registry) {
  return Family(prometheus::BuildCounter(), def, registry).Add({});
}

prometheus::Gauge& Gauge(const metrics::Def& def,
                         prometheus::Registry& registry) {
  return Family(prometheus::BuildGauge(), def, registry).Add({});
}

}  // namespace

WorkerMetrics::WorkerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      backlog_(Gauge(metrics::kWorkerBacklog, *registry_)),
      marked_(Family(prometheus::BuildCounter(), metrics::kWorkerMarkedComplete,
                     *registry_)),
      created_(Counter(metrics::kWorkerArchivesCreated, *registry_)),
      failures_(Family(prometheus::BuildCounter(),
                       metrics::kWorkerArchiveFailures, *registry_)),
      skipped_(Family(prometheus::BuildCounter(),
                      metrics::kWorkerArchivesSkipped, *registry_)),
      input_bytes_(Counter(metrics::kWorkerArchiveInputBytes, *registry_)),
      output_bytes_(Counter(metrics::kWorkerArchiveOutputBytes, *registry_)),
      duration_(Family(prometheus::BuildHistogram(),
                       metrics::kWorkerArchiveDuration, *registry_)
                    .Add({}, metrics::ArchiveDurationBuckets())),
      reports_(Counter(metrics::kWorkerReportsGenerated, *registry_)),
      report_failures_(Counter(metrics::kWorkerReportFailures, *registry_)),
      volume_free_(Gauge(metrics::kWorkerVolumeFree, *registry_)),
      volume_size_(Gauge(metrics::kWorkerVolumeSize, *registry_)),
      heartbeat_(Gauge(metrics::kWorkerHeartbeat, *registry_)),
      last_success_(Gauge(metrics::kWorkerLastSuccess, *registry_)),
      progress_(Gauge(metrics::kWorkerArchiveProgress, *registry_)) {
  // Known label values start at 0, so rate() and alerts see them at once.
  for (const char* state : {"succeeded", "partial"}) {
    marked_.Add({{"state", state}});
  }
  for (const char* reason : {"no_worktree", "invalid_run_id"}) {
    skipped_.Add({{"reason", reason}});
  }
  for (const char* reason : {"preflight", "no_space", "io", "verify"}) {
    failures_.Add({{"reason", reason}});
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
void WorkerMetrics::SetProgress(double ratio) { progress_.Set(ratio); }

std::string WorkerMetrics::Serialize() const {
  return metrics::SerializeInDeclarationOrder(*registry_);
}

}  // namespace pe
