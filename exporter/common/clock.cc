#include "exporter/common/clock.h"

#include <chrono>

namespace pe {
namespace {

class SystemClockImpl : public Clock {
 public:
  double WallSeconds() const override {
    return std::chrono::duration<double>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  double MonotonicSeconds() const override {
    return std::chrono::duration<double>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

std::shared_ptr<const Clock> SystemClock() {
  static const std::shared_ptr<const Clock> clock =
      std::make_shared<SystemClockImpl>();
  return clock;
}

}  // namespace pe
