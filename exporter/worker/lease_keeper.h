#ifndef PIPELINE_EXPORTER_WORKER_LEASE_KEEPER_H_
#define PIPELINE_EXPORTER_WORKER_LEASE_KEEPER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace pe {

// Calls renew every period on its own thread, from construction until
// destruction (which waits for a call in progress). The job runner keeps a
// job's lease this way while a stage blocks in long file I/O (writing or
// checking an archive) and reports no progress of its own.
//
// renew runs on the keeper's thread: what it uses (e.g. the worker's
// store) must not be used by the constructing thread meanwhile.
class LeaseKeeper {
 public:
  LeaseKeeper(std::chrono::milliseconds period, std::function<void()> renew);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Run();

  const std::chrono::milliseconds period_;  // at least 1 ms
  const std::function<void()> renew_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_LEASE_KEEPER_H_
