#include "exporter/metrics/snapshot.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>

namespace pe {
namespace {

// Owns an initialised deflate stream; deflateEnd on every path.
class Deflater {
 public:
  explicit Deflater(int level) {
    // windowBits 15 + 16 asks zlib for a gzip (RFC 1952) wrapper.
    ok_ = deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ok_) deflateEnd(&stream_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  bool ok() const { return ok_; }
  z_stream* stream() { return &stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

// zlib counts in uInt; feed at most this much per call.
constexpr size_t kMaxChunk = 1u << 30;

}  // namespace

std::vector<std::string> GzipCompressChunks(
    const std::vector<std::string_view>& pieces, int level) {
  level = std::clamp(level, Z_DEFAULT_COMPRESSION, Z_BEST_COMPRESSION);
  Deflater deflater(level);
  // With a valid level, the only way deflateInit2 fails is lack of memory.
  if (!deflater.ok()) throw std::bad_alloc();
  z_stream* zs = deflater.stream();

  std::vector<std::string> chunks;
  size_t produced = 0;  // bytes used in chunks.back()
  size_t piece = 0;     // index of the piece being fed
  size_t consumed = 0;  // bytes of that piece already fed
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    while (zs->avail_in == 0 && piece < pieces.size()) {
      const std::string_view p = pieces[piece];
      if (consumed == p.size()) {
        ++piece;
        consumed = 0;
        continue;
      }
      const size_t n = std::min(p.size() - consumed, kMaxChunk);
      zs->next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(p.data() + consumed));
      zs->avail_in = static_cast<uInt>(n);
      consumed += n;
    }
    if (chunks.empty() || produced == chunks.back().size()) {
      chunks.emplace_back(kGzipChunkBytes, '\0');
      produced = 0;
    }
    std::string& out = chunks.back();
    const size_t space = out.size() - produced;
    zs->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs->avail_out = static_cast<uInt>(space);
    const bool last_input =
        piece >= pieces.size() ||
        (piece + 1 == pieces.size() && consumed == pieces[piece].size());
    rc = deflate(zs, last_input ? Z_FINISH : Z_NO_FLUSH);
    produced += space - zs->avail_out;
    // Z_BUF_ERROR only means "no progress possible"; more room fixes it.
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      throw std::bad_alloc();  // deflate cannot fail otherwise on valid input
    }
  }
  // Only the last chunk is partly used; it lives as long as its snapshot.
  chunks.back().resize(produced);
  chunks.back().shrink_to_fit();
  return chunks;
}

std::string JoinPieces(const std::vector<std::string_view>& pieces) {
  size_t total = 0;
  for (std::string_view p : pieces) total += p.size();
  std::string out;
  out.reserve(total);
  for (std::string_view p : pieces) out.append(p);
  return out;
}

std::string GzipCompress(const std::string& data, int level) {
  const std::vector<std::string> chunks =
      GzipCompressChunks(std::vector<std::string_view>{data}, level);
  return JoinPieces({chunks.begin(), chunks.end()});
}

Snapshot::Snapshot(std::string body)
    : Snapshot(std::vector<Part>{
          std::make_shared<const std::string>(std::move(body))}) {}

Snapshot::Snapshot(std::vector<Part> parts) : parts_(std::move(parts)) {
  pieces_.reserve(parts_.size());
  for (const Part& p : parts_) {
    if (p && !p->empty()) pieces_.emplace_back(*p);
    size_ += p ? p->size() : 0;
  }
}

const std::string& Snapshot::body() const {
  std::call_once(body_once_, [this] {
    body_.reserve(size_);
    for (const Part& p : parts_) {
      if (p) body_.append(*p);
    }
  });
  return body_;
}

const std::vector<std::string_view>& Snapshot::gzip_pieces() const {
  std::call_once(gzip_once_, [this] {
    gzip_ = GzipCompressChunks(pieces_);
    gzip_pieces_.assign(gzip_.begin(), gzip_.end());
  });
  return gzip_pieces_;
}

void SnapshotStore::Publish(std::shared_ptr<const Snapshot> snapshot) {
  if (snapshot == nullptr) snapshot = std::make_shared<Snapshot>("");
  std::lock_guard<std::mutex> lock(mu_);
  latest_.swap(snapshot);
  // The previous snapshot (now in `snapshot`) is released after unlocking.
}

std::shared_ptr<const Snapshot> SnapshotStore::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

}  // namespace pe
