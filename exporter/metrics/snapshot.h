#ifndef PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
#define PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pe {

class PartDeflater;

// A piece of a /metrics body, shared by every snapshot that holds it (the
// per-run text of a bucket stays the same across most polls). It keeps its
// compressed form with it: raw deflate blocks that end on a byte boundary
// with an empty stored block (a sync flush), so that the blocks of the parts
// of a body, in its order, are one valid deflate stream. As pigz does, the
// blocks may refer back into the last kDictionaryBytes of the part before
// (they are what precedes them in the output), which is what most of the
// ratio of one stream comes from; they are made again only when the part
// before is another one. A snapshot's gzip body thus compresses only the
// parts that are new since the last one that was compressed, and those that
// follow a new one: what changed.
class SnapshotPart {
 public:
  struct Deflated {
    std::string blocks;
    unsigned long crc = 0;  // CRC-32 of text(), as zlib's crc32 gives it
    // What crc32_combine_op needs to append this part's CRC to another's.
    unsigned long crc_shift = 0;
  };
  // How much of the part before serves as the dictionary.
  static constexpr std::size_t kDictionaryBytes = 4096;

  explicit SnapshotPart(std::string text) : text_(std::move(text)) {}
  SnapshotPart(const SnapshotPart&) = delete;
  SnapshotPart& operator=(const SnapshotPart&) = delete;

  const std::string& text() const { return text_; }

 private:
  friend class Snapshot;
  // The compressed form after `before` (null: first in the body), made
  // with *deflater unless the last one made was after the same part.
  // Thread-safe; the caller keeps what it is given alive as long as it
  // uses the blocks.
  std::shared_ptr<const Deflated> deflated(
      PartDeflater* deflater,
      const std::shared_ptr<const SnapshotPart>& before) const;

  const std::string text_;
  mutable std::mutex deflated_mu_;
  mutable std::shared_ptr<const Deflated> deflated_;
  // The part deflated_ was made after; expired or null: none, or first.
  mutable std::weak_ptr<const SnapshotPart> deflated_after_;
  mutable bool deflated_first_ = false;  // deflated_ was made as first
};

// One complete /metrics body in the Prometheus text format (0.0.4). Immutable
// once built: the poller renders it, HTTP threads serve it without touching
// the database. It is made of parts that the poller may share between
// snapshots, so that publishing costs no copy; the joined body and the gzip
// body are made at most once each, by the first request that needs them.
class Snapshot {
 public:
  using Part = std::shared_ptr<const SnapshotPart>;

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
  // The gzip (RFC 1952) form as views: a header, each part's deflate blocks,
  // the last block and the trailer; valid while the snapshot lives.
  // Thread-safe; the first caller compresses the parts not compressed yet,
  // concurrent callers wait.
  const std::vector<std::string_view>& gzip_pieces() const;

 private:
  const std::vector<Part> parts_;
  std::vector<std::string_view> pieces_;  // of the non-empty parts
  std::size_t size_ = 0;
  mutable std::once_flag body_once_;
  mutable std::string body_;
  mutable std::once_flag gzip_once_;
  mutable std::string gzip_header_;
  mutable std::string gzip_trailer_;
  mutable std::vector<std::string_view> gzip_pieces_;
  // The compressed forms gzip_pieces_ views (a part may make another one
  // for a snapshot that puts it after another part).
  mutable std::vector<std::shared_ptr<const SnapshotPart::Deflated>>
      gzip_blocks_;
};

// A part from its text.
inline Snapshot::Part MakePart(std::string text) {
  return std::make_shared<const SnapshotPart>(std::move(text));
}

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

// The pieces concatenated.
std::string JoinPieces(const std::vector<std::string_view>& pieces);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_METRICS_SNAPSHOT_H_
