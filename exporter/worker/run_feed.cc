#include "exporter/worker/run_feed.h"

#include <utility>

namespace pe {

void RunFeed::Offer(const std::vector<std::string>& run_ids) {
  if (run_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (scan_) return;  // the scan finds them all anyway
  for (const std::string& id : run_ids) {
    if (runs_.size() >= max_runs_) {
      runs_.clear();
      scan_ = true;
      return;
    }
    runs_.insert(id);
  }
}

void RunFeed::RequestScan() {
  std::lock_guard<std::mutex> lock(mu_);
  runs_.clear();
  scan_ = true;
}

void RunFeed::Learn(const std::vector<std::string>& run_ids, bool whole_table) {
  if (whole_table) {
    RequestScan();
  } else {
    Offer(run_ids);
  }
}

RunFeed::Batch RunFeed::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  Batch batch;
  batch.runs.assign(runs_.begin(), runs_.end());
  batch.scan = scan_;
  runs_.clear();
  scan_ = false;
  return batch;
}

void RunFeed::Return(Batch batch) { Learn(batch.runs, batch.scan); }

}  // namespace pe
