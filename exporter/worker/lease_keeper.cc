#include "exporter/worker/lease_keeper.h"

#include <algorithm>
#include <utility>

namespace pe {

LeaseKeeper::LeaseKeeper(std::chrono::milliseconds period,
                         std::function<void()> renew)
    : period_(std::max(period, std::chrono::milliseconds(1))),
      renew_(std::move(renew)),
      thread_([this] { Run(); }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LeaseKeeper::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
    lock.unlock();
    renew_();
    lock.lock();
  }
}

}  // namespace pe
