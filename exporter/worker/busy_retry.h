#ifndef PIPELINE_EXPORTER_WORKER_BUSY_RETRY_H_
#define PIPELINE_EXPORTER_WORKER_BUSY_RETRY_H_

#include <chrono>
#include <functional>
#include <string>

#include "exporter/common/sqlite_status.h"
#include "exporter/common/status.h"

namespace pe {

// How the worker's writes wait for the orchestrator's locks. Each attempt
// first waits up to busy_timeout inside SQLite (the connection's busy
// handler); if the database is still busy or locked, the whole transaction
// is rolled back and tried again after a backoff that doubles from
// initial_backoff up to max_backoff, for at most max_attempts attempts.
// The worst case before Busy is returned is about
// max_attempts * busy_timeout + the sum of the backoffs.
struct BusyRetryPolicy {
  std::chrono::milliseconds busy_timeout{2000};
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{50};
  std::chrono::milliseconds max_backoff{1000};
};

// Runs a unit of database work again while it reports Busy. The work must
// be a whole transaction that leaves nothing behind when it fails (an
// SQLite::Transaction that is rolled back by its destructor), so that a
// retry never writes a record twice and a final Busy has written nothing.
// Exceptions thrown by the work (SQLite::Exception or any std::exception)
// are caught and turned into a Status; none escapes.
class BusyRetry {
 public:
  using Sleeper = std::function<void(std::chrono::milliseconds)>;

  // sleep defaults to std::this_thread::sleep_for; tests inject a recorder.
  explicit BusyRetry(BusyRetryPolicy policy, Sleeper sleep = nullptr);

  // Calls work until it returns anything but Busy, or the attempts are
  // spent. what names the operation in error messages.
  Status Run(const std::string& what,
             const std::function<Status()>& work) const;

  const BusyRetryPolicy& policy() const { return policy_; }

 private:
  BusyRetryPolicy policy_;
  Sleeper sleep_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_BUSY_RETRY_H_
