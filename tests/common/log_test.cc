#include "exporter/common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace pe::log {
namespace {

using ::testing::HasSubstr;

// Writes go to stderr; these tests capture it.
class LogWriteTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ASSERT_TRUE(Init("info", LogFormat::kLogfmt).ok());
  }
};

TEST_F(LogWriteTest, InitRejectsUnknownLevelNamingTheKey) {
  Status status = Init("verbose", LogFormat::kLogfmt);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("log.level"));
}

TEST_F(LogWriteTest, LevelFiltersLowerLevels) {
  ASSERT_TRUE(Init("warn", LogFormat::kLogfmt).ok());
  EXPECT_FALSE(Enabled(Level::kDebug));
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kWarn));
  EXPECT_TRUE(Enabled(Level::kError));

  ::testing::internal::CaptureStderr();
  Info("hidden");
  Warn("shown", {{"n", "1"}});
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hidden")));
  EXPECT_THAT(out, ::testing::MatchesRegex(
                       "ts=[0-9T:.-]+Z level=warn msg=shown n=1\n"));
}

TEST_F(LogWriteTest, WritesJsonAfterReinit) {
  ASSERT_TRUE(Init("debug", LogFormat::kJson).ok());
  ::testing::internal::CaptureStderr();
  Debug("hello {} %s", {{"k", "v"}});
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(out, ::testing::StartsWith("{\"ts\":\""));
  EXPECT_THAT(out, ::testing::EndsWith(
                       "Z\",\"level\":\"debug\",\"msg\":\"hello {} %s\","
                       "\"k\":\"v\"}\n"));
}

TEST_F(LogWriteTest, ConcurrentWritersNeverInterleaveLines) {
  ASSERT_TRUE(Init("info", LogFormat::kLogfmt).ok());
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  const std::string payload(300, 'x');
  ::testing::internal::CaptureStderr();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &payload] {
      for (int i = 0; i < kLines; ++i) {
        Info("line", {{"thread", std::to_string(t)}, {"payload", payload}});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string out = ::testing::internal::GetCapturedStderr();
  std::istringstream lines(out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_THAT(line, ::testing::MatchesRegex(
                          "ts=[0-9T:.-]+Z level=info msg=line thread=[0-3] "
                          "payload=x{300}"));
  }
  EXPECT_EQ(count, kThreads * kLines);
}

}  // namespace
}  // namespace pe::log
