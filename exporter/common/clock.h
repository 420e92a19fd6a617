#ifndef PIPELINE_EXPORTER_COMMON_CLOCK_H_
#define PIPELINE_EXPORTER_COMMON_CLOCK_H_

#include <atomic>
#include <memory>

namespace pe {

// The one source of time of the poller and the completion worker: the wall
// clock (Unix seconds: what is compared with the database's timestamps,
// leases and backoffs) and a monotonic one (seconds from an arbitrary
// origin, never going back: intervals and durations). Tests inject a
// ManualClock and move it, so nothing that measures time has to sleep.
// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual double WallSeconds() const = 0;
  virtual double MonotonicSeconds() const = 0;
};

// The system's clocks (system_clock, steady_clock).
std::shared_ptr<const Clock> SystemClock();

// A clock that moves only when told to; both readings move together.
class ManualClock : public Clock {
 public:
  explicit ManualClock(double wall_seconds = 1.7e9)
      : wall_(wall_seconds), monotonic_(0) {}

  double WallSeconds() const override { return wall_.load(); }
  double MonotonicSeconds() const override { return monotonic_.load(); }

  void Advance(double seconds) {
    wall_.store(wall_.load() + seconds);
    monotonic_.store(monotonic_.load() + seconds);
  }
  // Moves the wall clock only (e.g. back, as an NTP step would).
  void SetWall(double wall_seconds) { wall_.store(wall_seconds); }

 private:
  std::atomic<double> wall_;
  std::atomic<double> monotonic_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_CLOCK_H_
