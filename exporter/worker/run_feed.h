#ifndef PIPELINE_EXPORTER_WORKER_RUN_FEED_H_
#define PIPELINE_EXPORTER_WORKER_RUN_FEED_H_

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace pe {

// What the poller learned that the completion worker may have to act on,
// handed from the poller thread to the worker's maintenance thread, so that
// an idle worker costs what changed instead of scans of the runs table.
//
// - Runs: ids of runs the poller read in a terminal state (to enqueue) or
//   running (to mark complete if all their steps finished). The worker looks
//   each up by key and decides; an id offered twice is kept once.
// - Scan: the poller read the whole runs table (start-up, every
//   state.resync-interval, a replaced file), which catches rows changed
//   without an event; the worker then runs its full scans once, catching the
//   same. Also requested when the set would exceed max_runs (a worker that
//   cannot keep up falls back to the scans instead of growing without bound).
//
// Thread-safe. Shared by the poller and the worker, and outlives a worker
// replaced by a reload.
class RunFeed {
 public:
  static constexpr std::size_t kDefaultMaxRuns = 100000;
  explicit RunFeed(std::size_t max_runs = kDefaultMaxRuns)
      : max_runs_(max_runs) {}

  void Offer(const std::vector<std::string>& run_ids);
  void RequestScan();
  // What one poll read: the runs, or (whole_table) all of them, which asks
  // for a scan instead.
  void Learn(const std::vector<std::string>& run_ids, bool whole_table);

  struct Batch {
    std::vector<std::string> runs;  // sorted, distinct
    bool scan = false;
  };
  // Everything offered since the last call, and whether a scan is due.
  Batch Take();
  // Gives a batch the worker could not finish back, so nothing is lost.
  void Return(Batch batch);

 private:
  const std::size_t max_runs_;
  std::mutex mu_;
  std::set<std::string> runs_;
  bool scan_ = false;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_RUN_FEED_H_
