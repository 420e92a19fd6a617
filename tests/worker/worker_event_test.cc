#include "exporter/worker/worker_event.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

constexpr const char* kAllowed[] = {
    "run_completed",
    "run_archived",
    "archival_skipped",
    "archival_failed",
    "archival_preflight_failed",
    "archival_validation_failed",
    "report_generated",
};

TEST(WorkerEventTest, AcceptsExactlyTheTypesTheContractLetsTheExporterWrite) {
  for (const char* type : kAllowed)
    EXPECT_TRUE(IsWorkerEventType(type)) << type;
  // The orchestrator's own types, near misses and the empty string.
  for (const char* type :
       {"run_created", "run_started", "run_failed", "step_failed",
        "run_canceled", "scheduler_heartbeat", "RUN_COMPLETED",
        "run_completed ", "run_archive", ""}) {
    EXPECT_FALSE(IsWorkerEventType(type)) << type;
  }
}

TEST(WorkerEventTest, TheAllowedTypesAreTheOnesTheContractNames) {
  std::ifstream in(std::string(PE_SOURCE_DIR) + "/docs/state-contract.md");
  ASSERT_TRUE(in.good());
  const std::string doc(std::istreambuf_iterator<char>(in), {});
  const std::size_t start = doc.find("## What the exporter may write");
  ASSERT_NE(start, std::string::npos);
  const std::string section =
      doc.substr(start, doc.find("\n## ", start + 1) - start);
  for (const char* type : kAllowed) {
    EXPECT_NE(section.find("`" + std::string(type) + "`"), std::string::npos)
        << type;
  }
}

TEST(WorkerEventTest, ValidationSaysWhatTheContractDoesNotAllow) {
  Status s = ValidateWorkerEvent({.run_id = "r1", .type = "run_failed"});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "event type 'run_failed' is not one the exporter may write");

  s = ValidateWorkerEvent(
      {.run_id = "r1", .type = "run_archived", .severity = "warn"});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown event severity 'warn'");

  s = ValidateWorkerEvent({.run_id = "", .type = "run_archived"});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "worker event without run_id");
}

TEST(WorkerEventTest, AcceptsEveryContractSeverity) {
  for (const char* severity :
       {"debug", "info", "warning", "error", "critical"}) {
    EXPECT_TRUE(
        ValidateWorkerEvent(
            {.run_id = "r1", .type = "run_archived", .severity = severity})
            .ok())
        << severity;
  }
  // The default is info.
  EXPECT_EQ(WorkerEvent{}.severity, "info");
}

TEST(WorkerEventTest, AppendsOnlyEventTypesTheContractAllows) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  auto append = [&](const WorkerEvent& event, double now) {
    return InsertWorkerEvent(fixture.db(), event, now);
  };

  EXPECT_TRUE(append({.run_id = "r1",
                      .type = "archival_failed",
                      .severity = "error",
                      .data_json = R"({"reason": "disk_full"})"},
                     1764929472.0)
                  .ok());
  // InsertWorkerEvent validates the event before it writes it.
  EXPECT_EQ(append({.run_id = "r1", .type = "run_failed"}, 1764929472.0).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(append({.run_id = "r1", .type = "run_archived", .severity = "loud"},
                   1764929472.0)
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(append({.type = "run_archived"}, 1764929472.0).code(),
            Status::Code::kInvalidArgument);

  SQLite::Statement q(fixture.db(),
                      "SELECT run_id, event_type, severity, timestamp, data "
                      "FROM events");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), "r1");
  EXPECT_EQ(q.getColumn(1).getString(), "archival_failed");
  EXPECT_EQ(q.getColumn(2).getString(), "error");
  EXPECT_EQ(q.getColumn(3).getString(), "2025-12-05T10:11:12.000000+00:00");
  EXPECT_EQ(q.getColumn(4).getString(), R"({"reason": "disk_full"})");
  EXPECT_FALSE(q.executeStep());
}

TEST(WorkerEventTest, EmptyDataIsNullAndTheTimeKeepsMicroseconds) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  ASSERT_TRUE(InsertWorkerEvent(fixture.db(),
                                {.run_id = "r1", .type = "report_generated"},
                                1764929472.123456)
                  .ok());
  SQLite::Statement q(fixture.db(),
                      "SELECT severity, timestamp, data IS NULL FROM events");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), "info");
  EXPECT_EQ(q.getColumn(1).getString(), "2025-12-05T10:11:12.123456+00:00");
  EXPECT_EQ(q.getColumn(2).getInt(), 1);
}

TEST(WorkerEventTest, EachInsertAppendsANewRow) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(InsertWorkerEvent(fixture.db(),
                                  {.run_id = "r1", .type = "run_archived"},
                                  1764929472.0 + i)
                    .ok());
  }
  EXPECT_EQ(testing::Count(fixture.db(),
                           "SELECT COUNT(DISTINCT id) FROM events WHERE "
                           "run_id = 'r1' AND event_type = 'run_archived'"),
            3);
}

}  // namespace
}  // namespace pe
