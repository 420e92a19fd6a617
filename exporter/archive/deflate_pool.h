#ifndef PIPELINE_EXPORTER_ARCHIVE_DEFLATE_POOL_H_
#define PIPELINE_EXPORTER_ARCHIVE_DEFLATE_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporter/archive/archive_writer.h"
#include "exporter/common/status.h"

namespace pe {

// One file to deflate ahead of zip_close.
struct DeflateJob {
  std::string path;  // relative to the pool's root
  std::uint64_t size = 0;
  // Results, valid once the pool says the job is done.
  bool done = false;
  Status status;
  ArchiveFailure failure = ArchiveFailure::kNone;
  std::string compressed;  // raw deflate stream
  std::uint64_t read_bytes = 0;
  std::uint32_t crc = 0;
  std::string sha256_hex;
};

// Deflates small files on worker threads while zip_close (on the calling
// thread) writes earlier entries, so compression uses every core. Jobs are
// taken and admitted in index order; at most `budget_bytes` of input are in
// flight (a job bigger than the budget runs alone), and the consumer must
// Wait() and Release() them in index order. Files are opened with
// OpenBeneath and hashed (SHA-256) and CRC'd while read, so the digests are
// of exactly the bytes compressed.
//
// Thread-safety: Wait/Release from one consumer thread only.
class DeflatePool {
 public:
  DeflatePool(int root_fd, int level, int threads, std::uint64_t budget_bytes,
              const std::atomic<bool>* cancel,
              std::vector<std::unique_ptr<DeflateJob>> jobs);
  ~DeflatePool();  // stops and joins the workers
  DeflatePool(const DeflatePool&) = delete;
  DeflatePool& operator=(const DeflatePool&) = delete;

  // Blocks until job `index` is done; returns it.
  DeflateJob& Wait(std::size_t index);
  // Frees job `index`'s buffer and returns its budget.
  void Release(std::size_t index);

 private:
  void Work();
  void Run(DeflateJob& job);

  const int root_fd_;
  const int level_;
  const std::uint64_t budget_;
  const std::atomic<bool>* cancel_;
  std::vector<std::unique_ptr<DeflateJob>> jobs_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t next_to_take_ = 0;   // GUARDED_BY(mu_)
  std::size_t next_to_admit_ = 0;  // GUARDED_BY(mu_)
  std::uint64_t in_flight_ = 0;    // GUARDED_BY(mu_)
  bool stop_ = false;              // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_ARCHIVE_DEFLATE_POOL_H_
