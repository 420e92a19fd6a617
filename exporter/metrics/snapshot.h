#ifndef PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
#define PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace pe {

// One complete /metrics body in the Prometheus text format (0.0.4). Immutable
// once built: the poller renders it, HTTP threads serve it without touching
// the database. The gzip form is computed at most once, on first request.
class Snapshot {
 public:
  explicit Snapshot(std::string body) : body_(std::move(body)) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  const std::string& body() const { return body_; }
  // Thread-safe; the first caller compresses, concurrent callers wait.
  const std::string& gzip_body() const;

 private:
  const std::string body_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzip_;
};

// Where the poller publishes and HTTP threads read. Thread-safe.
class SnapshotStore {
 public:
  void Publish(std::shared_ptr<const Snapshot> snapshot);
  // The latest snapshot; never null (an empty body before the first poll).
  std::shared_ptr<const Snapshot> Latest() const;
  // Ready once the first successful poll has been published.
  void MarkReady() { ready_.store(true); }
  bool ready() const { return ready_.load(); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> latest_ = std::make_shared<Snapshot>("");
  std::atomic<bool> ready_{false};
};

// Gzip-compresses data (RFC 1952) with zlib at the given level.
std::string GzipCompress(const std::string& data, int level = 1);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
