#ifndef PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
#define PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pe {

// One complete /metrics body in the Prometheus text format (0.0.4). Immutable
// once built: the poller renders it, HTTP threads serve it without touching
// the database. It is made of parts that the poller may share between
// snapshots (the per-run text, unchanged across most polls), so that
// publishing costs no copy; the parts are joined, and the gzip form computed,
// at most once each, by the first request that needs them.
class Snapshot {
 public:
  using Part = std::shared_ptr<const std::string>;

  explicit Snapshot(std::string body);
  explicit Snapshot(std::vector<Part> parts);
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The body as views into the parts, in order; valid while the snapshot
  // lives. What the server sends: no joined copy is made, and the list is
  // built once, with the snapshot, and shared by every request instead of
  // each request in flight holding its own (sizes in docs/benchmarks.md).
  const std::vector<std::string_view>& pieces() const { return pieces_; }
  std::size_t size() const { return size_; }
  // The whole body in one string (tests, tools). Thread-safe; the first
  // caller joins the parts, concurrent callers wait.
  const std::string& body() const;
  // The gzip form as views into its chunks; valid while the snapshot lives.
  // Thread-safe; the first caller compresses, concurrent callers wait.
  const std::vector<std::string_view>& gzip_pieces() const;

 private:
  const std::vector<Part> parts_;
  std::vector<std::string_view> pieces_;  // of the non-empty parts
  std::size_t size_ = 0;
  mutable std::once_flag body_once_;
  mutable std::string body_;
  mutable std::once_flag gzip_once_;
  mutable std::vector<std::string> gzip_;
  mutable std::vector<std::string_view> gzip_pieces_;
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
// The same for data given as consecutive pieces, returned as chunks of at
// most kGzipChunkBytes to concatenate: the output is never over-allocated
// nor copied into a string of its exact size, so compressing holds about
// the compressed size, not two or three times it.
inline constexpr std::size_t kGzipChunkBytes = 256 * 1024;
std::vector<std::string> GzipCompressChunks(
    const std::vector<std::string_view>& pieces, int level = 1);

// The pieces concatenated.
std::string JoinPieces(const std::vector<std::string_view>& pieces);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
