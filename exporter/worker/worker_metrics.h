#ifndef PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pe {

// The completion worker's metrics (metric_defs.h, group "Completion
// worker") in their own prometheus-cpp registry. Updated by the worker
// thread, serialized by the poller thread into each snapshot: safe, since
// prometheus-cpp values are atomic and Family::Add and Collect are locked.
class WorkerMetrics {
 public:
  WorkerMetrics();
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
  void SetProgress(double ratio);

  // The families in declaration order, in the text format.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
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
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_METRICS_H_
