#include "exporter/worker/busy_retry.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <utility>

namespace pe {

Status SqliteErrorToStatus(int code, const std::string& what,
                           const std::string& message) {
  const std::string text = what + ": " + message;
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(text);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(text);
    case SQLITE_CANTOPEN:
      return Status::NotFound(text);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return Status::IoError(text);
    case SQLITE_ERROR:
      if (message.find("no such table") != std::string::npos ||
          message.find("no such column") != std::string::npos) {
        return Status::NotFound(text);
      }
      return Status::Internal(text);
    default:
      return Status::Internal(text);
  }
}

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
