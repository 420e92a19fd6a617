#include "exporter/worker/busy_retry.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <vector>

namespace pe {
namespace {

using std::chrono::milliseconds;

struct Recorder {
  std::vector<milliseconds> sleeps;
  BusyRetry::Sleeper sleeper() {
    return [this](milliseconds d) { sleeps.push_back(d); };
  }
};

BusyRetryPolicy Policy(int attempts) {
  return {.busy_timeout = milliseconds(10),
          .max_attempts = attempts,
          .initial_backoff = milliseconds(10),
          .max_backoff = milliseconds(40)};
}

TEST(BusyRetryTest, ReturnsAtOnceWhenWorkIsNotBusy) {
  Recorder rec;
  BusyRetry retry(Policy(5), rec.sleeper());
  int calls = 0;
  Status s = retry.Run("op", [&] {
    ++calls;
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(rec.sleeps.empty());
}

TEST(BusyRetryTest, RetriesBusyUntilTheWorkSucceeds) {
  Recorder rec;
  BusyRetry retry(Policy(5), rec.sleeper());
  int calls = 0;
  Status s = retry.Run("op", [&] {
    if (++calls < 3) throw SQLite::Exception("database is locked", SQLITE_BUSY);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rec.sleeps,
            (std::vector<milliseconds>{milliseconds(10), milliseconds(20)}));
}

TEST(BusyRetryTest, GivesUpWithBusyAfterTheBudgetWithCappedDoublingBackoff) {
  Recorder rec;
  BusyRetry retry(Policy(5), rec.sleeper());
  int calls = 0;
  Status s = retry.Run("claim jobs", [&]() -> Status {
    ++calls;
    return Status::Busy("locked");
  });
  EXPECT_EQ(s.code(), Status::Code::kBusy);
  EXPECT_NE(s.message().find("5 attempts"), std::string::npos) << s.message();
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(rec.sleeps,
            (std::vector<milliseconds>{milliseconds(10), milliseconds(20),
                                       milliseconds(40), milliseconds(40)}));
}

TEST(BusyRetryTest, DoesNotRetryOtherErrors) {
  Recorder rec;
  BusyRetry retry(Policy(5), rec.sleeper());
  int calls = 0;
  Status s = retry.Run("op", [&]() -> Status {
    ++calls;
    throw SQLite::Exception("database disk image is malformed", SQLITE_CORRUPT);
  });
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("op: "), std::string::npos) << s.message();
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(rec.sleeps.empty());
}

TEST(BusyRetryTest, TurnsStandardExceptionsIntoInternal) {
  BusyRetry retry(Policy(3), [](milliseconds) {});
  Status s = retry.Run("op", []() -> Status { throw std::runtime_error("x"); });
  EXPECT_EQ(s.code(), Status::Code::kInternal);
}

}  // namespace
}  // namespace pe
