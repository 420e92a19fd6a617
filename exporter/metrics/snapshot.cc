#include "exporter/metrics/snapshot.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>

namespace pe {

namespace {

// One raw deflate stream (the gzip wrapper is the snapshot's), made on first
// use and reset for every part so that no part references another. Owns the
// stream: deflateEnd on every path.
class DeflateStream {
 public:
  explicit DeflateStream(int mem_level) : mem_level_(mem_level) {}
  ~DeflateStream() {
    if (ok_) deflateEnd(&stream_);
  }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Ready for a new part.
  z_stream* Reset();

 private:
  const int mem_level_;
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

// Compresses parts one after another. A reset clears the stream's hash
// table, whose size the memory level sets: most parts (a bucket's lines of
// one family) are a few hundred bytes, for which a small table finds the
// same matches, so they take a stream whose reset costs 1 KiB, not 64 KiB.
class PartDeflater {
 public:
  // text compressed after dictionary (the end of the part before it).
  SnapshotPart::Deflated Deflate(std::string_view text,
                                 std::string_view dictionary);

 private:
  static constexpr std::size_t kSmallPart = 4096;
  DeflateStream small_{2};
  DeflateStream large_{8};
  std::string scratch_;  // the output of one part, reused
};

namespace {

// zlib counts in uInt; feed and take at most this much per call.
constexpr std::size_t kMaxChunk = 1u << 30;
// The fastest level: a scrape is served at once, and the text compresses
// about fivefold even so.
constexpr int kLevel = 1;

// RFC 1952: deflate, no name nor time, "fastest" (XFL 4), made on Unix.
constexpr char kGzipHeader[] = {'\x1f', '\x8b', '\x08', '\x00', '\x00',
                                '\x00', '\x00', '\x00', '\x04', '\x03'};
// A final fixed-Huffman block with no data: what ends the stream after the
// last part's sync flush.
constexpr char kLastBlock[] = {'\x03', '\x00'};

void AppendLittleEndian32(std::string* out, unsigned long value) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

}  // namespace

z_stream* DeflateStream::Reset() {
  if (!ok_) {
    // Negative windowBits: raw deflate. With a valid level and memory
    // level, the only way this fails is lack of memory.
    if (deflateInit2(&stream_, kLevel, Z_DEFLATED, -15, mem_level_,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::bad_alloc();
    }
    ok_ = true;
  } else if (deflateReset(&stream_) != Z_OK) {
    throw std::bad_alloc();  // only on a damaged stream, which cannot be
  }
  return &stream_;
}

SnapshotPart::Deflated PartDeflater::Deflate(std::string_view text,
                                             std::string_view dictionary) {
  z_stream& stream = *(text.size() <= kSmallPart ? small_ : large_).Reset();
  if (!dictionary.empty() &&
      deflateSetDictionary(&stream,
                           reinterpret_cast<const Bytef*>(dictionary.data()),
                           static_cast<uInt>(dictionary.size())) != Z_OK) {
    throw std::bad_alloc();  // only on a damaged stream, which cannot be
  }
  SnapshotPart::Deflated out;
  out.crc =
      crc32_z(0L, reinterpret_cast<const Bytef*>(text.data()), text.size());
  out.crc_shift = crc32_combine_gen(static_cast<z_off_t>(text.size()));
  scratch_.resize(std::max<std::size_t>(
      scratch_.size(), deflateBound(&stream, static_cast<uLong>(std::min(
                                                 text.size(), kMaxChunk))) +
                           16));
  std::size_t fed = 0;
  std::size_t produced = 0;
  bool flushed = false;
  while (!flushed) {
    if (stream.avail_in == 0 && fed < text.size()) {
      const std::size_t n = std::min(text.size() - fed, kMaxChunk);
      stream.next_in =
          reinterpret_cast<Bytef*>(const_cast<char*>(text.data() + fed));
      stream.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (produced == scratch_.size()) scratch_.resize(2 * scratch_.size());
    const std::size_t space = std::min(scratch_.size() - produced, kMaxChunk);
    stream.next_out = reinterpret_cast<Bytef*>(scratch_.data() + produced);
    stream.avail_out = static_cast<uInt>(space);
    const bool last_input = fed == text.size();
    const int rc = deflate(&stream, last_input ? Z_SYNC_FLUSH : Z_NO_FLUSH);
    produced += space - stream.avail_out;
    // Z_BUF_ERROR only means "no progress possible"; more room fixes it.
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::bad_alloc();
    // A sync flush is complete once it leaves output space unused.
    flushed = last_input && stream.avail_in == 0 && stream.avail_out != 0;
  }
  out.blocks.assign(scratch_.data(), produced);
  return out;
}

std::shared_ptr<const SnapshotPart::Deflated> SnapshotPart::deflated(
    PartDeflater* deflater,
    const std::shared_ptr<const SnapshotPart>& before) const {
  std::lock_guard<std::mutex> lock(deflated_mu_);
  const bool same = before ? deflated_after_.lock() == before : deflated_first_;
  if (deflated_ == nullptr || !same) {
    std::string_view dictionary;
    if (before) {
      dictionary = before->text();
      if (dictionary.size() > kDictionaryBytes) {
        dictionary.remove_prefix(dictionary.size() - kDictionaryBytes);
      }
    }
    deflated_ =
        std::make_shared<const Deflated>(deflater->Deflate(text_, dictionary));
    deflated_after_ = before;
    deflated_first_ = before == nullptr;
  }
  return deflated_;
}

std::string JoinPieces(const std::vector<std::string_view>& pieces) {
  std::size_t total = 0;
  for (std::string_view p : pieces) total += p.size();
  std::string out;
  out.reserve(total);
  for (std::string_view p : pieces) out.append(p);
  return out;
}

Snapshot::Snapshot(std::string body)
    : Snapshot(std::vector<Part>{MakePart(std::move(body))}) {}

Snapshot::Snapshot(std::vector<Part> parts) : parts_(std::move(parts)) {
  pieces_.reserve(parts_.size());
  for (const Part& p : parts_) {
    if (p && !p->text().empty()) pieces_.emplace_back(p->text());
    size_ += p ? p->text().size() : 0;
  }
}

const std::string& Snapshot::body() const {
  std::call_once(body_once_, [this] { body_ = JoinPieces(pieces_); });
  return body_;
}

const std::vector<std::string_view>& Snapshot::gzip_pieces() const {
  std::call_once(gzip_once_, [this] {
    PartDeflater deflater;
    gzip_header_.assign(kGzipHeader, sizeof(kGzipHeader));
    gzip_pieces_.reserve(pieces_.size() + 2);
    gzip_pieces_.emplace_back(gzip_header_);
    gzip_blocks_.reserve(pieces_.size());
    unsigned long crc = crc32_z(0L, Z_NULL, 0);
    Part before;  // the last non-empty part: what precedes in the output
    for (const Part& p : parts_) {
      if (!p || p->text().empty()) continue;
      gzip_blocks_.push_back(p->deflated(&deflater, before));
      const SnapshotPart::Deflated& d = *gzip_blocks_.back();
      gzip_pieces_.emplace_back(d.blocks);
      crc = crc32_combine_op(crc, d.crc, d.crc_shift);
      before = p;
    }
    gzip_trailer_.assign(kLastBlock, sizeof(kLastBlock));
    AppendLittleEndian32(&gzip_trailer_, crc);
    AppendLittleEndian32(&gzip_trailer_, size_ & 0xffffffffu);  // ISIZE
    gzip_pieces_.emplace_back(gzip_trailer_);
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
