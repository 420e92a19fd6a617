#include "exporter/worker/busy_retry.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

namespace pe {

BusyRetry::BusyRetry(BusyRetryPolicy policy, Sleeper sleep)
    : policy_(policy), sleep_(std::move(sleep)) {
  if (!sleep_) {
    sleep_ = [](std::chrono::milliseconds d) {
      std::this_thread::sleep_for(d);
    };
  }
}

Status BusyRetry::Run(const std::string& what,
                      const std::function<Status()>& work) const {
  const int attempts = std::max(1, policy_.max_attempts);
  std::chrono::milliseconds backoff = policy_.initial_backoff;
  Status last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    try {
      last = work();
    } catch (const SQLite::Exception& e) {
      last = SqliteErrorToStatus(e.getErrorCode(), what, e.what());
    } catch (const std::exception& e) {
      last = Status::Internal(what + ": " + e.what());
    }
    if (last.code() != Status::Code::kBusy) return last;
    if (attempt < attempts) {
      sleep_(backoff);
      backoff = std::min(backoff * 2, policy_.max_backoff);
    }
  }
  return last.WithContext("gave up after " + std::to_string(attempts) +
                          " attempts");
}

}  // namespace pe
