#include "exporter/archive/deflate_pool.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "exporter/archive/open_beneath.h"
#include "exporter/common/sha256.h"

namespace pe {
namespace {

constexpr std::size_t kChunk = 256 * 1024;

}  // namespace

DeflatePool::DeflatePool(int root_fd, int level, int threads,
                         std::uint64_t budget_bytes,
                         const std::atomic<bool>* cancel,
                         std::vector<std::unique_ptr<DeflateJob>> jobs)
    : root_fd_(root_fd),
      level_(level),
      budget_(budget_bytes),
      cancel_(cancel),
      jobs_(std::move(jobs)) {
  if (jobs_.empty()) return;
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

DeflatePool::~DeflatePool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

DeflateJob& DeflatePool::Wait(std::size_t index) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return jobs_[index]->done; });
  return *jobs_[index];
}

void DeflatePool::Release(std::size_t index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    DeflateJob& job = *jobs_[index];
    std::string().swap(job.compressed);
    in_flight_ -= job.size;
  }
  cv_.notify_all();
}

void DeflatePool::Work() {
  for (;;) {
    std::size_t index;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_ || next_to_take_ >= jobs_.size()) return;
      index = next_to_take_++;
      const std::uint64_t size = jobs_[index]->size;
      cv_.wait(lock, [&] {
        return stop_ || (next_to_admit_ == index &&
                         (in_flight_ == 0 || in_flight_ + size <= budget_));
      });
      if (stop_) return;
      in_flight_ += size;
      ++next_to_admit_;
    }
    cv_.notify_all();
    Run(*jobs_[index]);
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_[index]->done = true;
    }
    cv_.notify_all();
  }
}

void DeflatePool::Run(DeflateJob& job) {
  const auto fail = [&](ArchiveFailure why, Status s) {
    job.failure = why;
    job.status = std::move(s);
    std::string().swap(job.compressed);
  };
  UniqueFd fd = OpenBeneath(root_fd_, job.path);
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) {
    return fail(
        ArchiveFailure::kBadInput,
        Status::IoError("open '" + job.path + "': " + std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(
        ArchiveFailure::kBadInput,
        Status::IoError("'" + job.path + "' is no longer a regular file"));
  }
  z_stream zs{};
  if (deflateInit2(&zs, level_, Z_DEFLATED, -MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return fail(ArchiveFailure::kInternal, Status::Internal("deflateInit2"));
  }
  job.compressed.resize(deflateBound(&zs, job.size) + 64);
  std::vector<unsigned char> in(kChunk);
  Sha256 sha;
  uLong crc = crc32(0, nullptr, 0);
  int flush = Z_NO_FLUSH;
  std::size_t out_used = 0;
  while (flush != Z_FINISH) {
    if (cancel_ != nullptr && cancel_->load()) {
      deflateEnd(&zs);
      return fail(ArchiveFailure::kCancelled,
                  Status::Internal("archival cancelled"));
    }
    ssize_t n;
    do {
      n = read(fd.get(), in.data(), in.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int err = errno;
      deflateEnd(&zs);
      return fail(
          ArchiveFailure::kBadInput,
          Status::IoError("read '" + job.path + "': " + std::strerror(err)));
    }
    if (n == 0) flush = Z_FINISH;
    sha.Update(in.data(), static_cast<std::size_t>(n));
    crc = crc32(crc, in.data(), static_cast<uInt>(n));
    job.read_bytes += static_cast<std::uint64_t>(n);
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(n);
    int rc;
    do {
      if (out_used + kChunk > job.compressed.size()) {
        job.compressed.resize(job.compressed.size() * 2 + kChunk);
      }
      zs.next_out = reinterpret_cast<Bytef*>(job.compressed.data() + out_used);
      zs.avail_out = static_cast<uInt>(job.compressed.size() - out_used);
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) {
        deflateEnd(&zs);
        return fail(ArchiveFailure::kInternal, Status::Internal("deflate"));
      }
      out_used = job.compressed.size() - zs.avail_out;
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  job.compressed.resize(out_used);
  job.crc = static_cast<std::uint32_t>(crc);
  job.sha256_hex = Sha256::Hex(sha.Finish());
}

}  // namespace pe
