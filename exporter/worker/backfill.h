#ifndef PIPELINE_EXPORTER_WORKER_BACKFILL_H_
#define PIPELINE_EXPORTER_WORKER_BACKFILL_H_

#include <chrono>
#include <cstddef>

namespace pe {

// Backfill: what the worker does with the runs that ended before it first
// ran on a database (its first start, WorkerStore::FirstStart; "history").
// Runs that end after the first start are fresh work, always taken. Of the
// history, the worker takes only the runs that ended within
// worker.backfill before the first start (none by default, a duration, or
// all): in batches, newest first, at most worker.backfill-rate a second and
// only while no other job is claimable, so fresh completions go first (and
// the few the poller names between resyncs directly). The rest is left
// untouched: no job, archive, report or event (counted as skipped).
//
// The window is measured from the first start, which is recorded once, so
// a restart (or a reload) never turns the runs of the meantime into
// history, and widening the window later takes the older runs it now
// covers; narrowing it leaves the jobs already queued to finish.

// worker.backfill values: 0 takes no history, kBackfillAll all of it.
inline constexpr std::chrono::milliseconds kBackfillNone{0};
inline constexpr std::chrono::milliseconds kBackfillAll =
    std::chrono::milliseconds::max();

// The earliest end time (Unix seconds) the window takes: first_start for
// none, -infinity for all, else first_start - window.
double BackfillSince(double first_start, std::chrono::milliseconds window);

// A token bucket on a monotonic clock: `rate` runs a second, at most
// `burst` at once (at least 1); rate 0 means no limit. Not thread-safe.
class BackfillPacer {
 public:
  BackfillPacer(double rate, double burst);

  // How many runs may be taken at monotonic time now, at most max; the
  // first call may take a whole burst.
  std::size_t Allowance(double now, std::size_t max);
  // Spends n of the allowance.
  void Took(std::size_t n);

 private:
  double rate_;
  double burst_;
  double tokens_;
  double last_ = 0;
  bool started_ = false;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_BACKFILL_H_
