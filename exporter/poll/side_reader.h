#ifndef PIPELINE_EXPORTER_POLL_SIDE_READER_H_
#define PIPELINE_EXPORTER_POLL_SIDE_READER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/poll/latest_event_scan.h"
#include "exporter/state/parse_errors.h"
#include "exporter/state/run_model.h"
#include "exporter/state/state_reader.h"

namespace pe {

// The second connection and thread of a full read, so that its parts use
// both cores: while the poller scans the runs table (newest first) and
// names the tracked runs as it meets them, this reads their steps and, at
// start-up, the newest events (LatestEventScan), steps first.
//
// The second connection reads its own snapshot of the file, taken at its
// first read: Start() must come after the poller's read transaction has
// read something, so that this snapshot is the same or newer. Anything
// committed in between is named by events after the poller's watermark and
// read again at the next poll, as any change is.
//
// Add(), Close(), TakeSteps() and LatestEvents() are called from one thread
// (the poller's); the destructor stops and joins the reading thread.
class SideReader {
 public:
  SideReader(std::string path, std::chrono::milliseconds busy_timeout,
             ParseErrors* parse_errors);
  ~SideReader();
  SideReader(const SideReader&) = delete;
  SideReader& operator=(const SideReader&) = delete;

  // Opens the second connection and starts the reading thread; with
  // latest_events, it also scans the newest events when it has no steps
  // to read.
  Status Start(bool latest_events);
  // Queues a tracked run whose steps to read.
  void Add(std::string_view run_id);

  using Steps = std::vector<std::pair<std::string, StepSummary>>;
  // No more Add: returns the queued runs that the reading thread has not
  // begun, for the caller to read on its own connection, while the reading
  // thread ends its batch and goes on with the events scan (if started with
  // latest_events) for the runs in `wanted`. The views in `wanted` must
  // stay valid until LatestEvents() returns.
  std::vector<std::string> Close(std::unordered_set<std::string_view> wanted);
  // After Close: waits until the reading thread read the steps it began
  // and returns them. The first error, if any.
  Result<Steps> TakeSteps();
  // Waits for the events scan and closes the connection: of the wanted runs
  // (LatestEventScan::Finish), or nothing without latest_events. The first
  // error, if any. Call it after Close() even if the caller gives up.
  Result<std::vector<std::pair<std::string, double>>> LatestEvents();

 private:
  void Run();
  // Reads the steps of the runs in work (emptied) into steps_.
  Status ReadSteps(std::vector<std::string>* work);
  void Stop();

  ParseErrors* parse_errors_;
  StateReader reader_;
  std::unique_ptr<LatestEventScan> events_;  // with latest_events
  std::thread thread_;
  std::vector<std::string> batch_;  // the poller's, not yet handed over

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable steps_read_;
  std::deque<std::string> queue_;  // guarded by mu_
  bool closed_ = false;            // guarded by mu_: no more Add
  bool steps_done_ = false;        // guarded by mu_: every queued run read
  Status status_;                  // guarded by mu_: the first error
  // The reading thread's until steps_done_ (steps_), or joined (the rest).
  Steps steps_;
  std::unordered_set<std::string_view> wanted_;
  std::vector<std::pair<std::string, double>> latest_events_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_POLL_SIDE_READER_H_
