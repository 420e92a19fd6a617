#include "tools/sim/contract_writer.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "exporter/state/contract_schema.h"
#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe::sim {
namespace {

// One text column of one row; nullopt for NULL.
std::optional<std::string> Text(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  if (!q.executeStep() || q.isColumnNull(0)) return std::nullopt;
  return q.getColumn(0).getString();
}

class ContractWriterTest : public ::testing::Test {
 protected:
  explicit ContractWriterTest(bool legacy = false)
      : db_(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    if (legacy) db_.exec(kLegacyRunsSchemaSql);
    db_.exec(kContractSchemaSql);
    writer_.emplace(db_);
    AddRun("r1");
  }
  // A pending run created at 10:00 with one pending step, s1, and an event.
  void AddRun(const std::string& run_id) {
    writer_->InsertRun({.run_id = run_id,
                        .project_id = "p",
                        .phase_id = "ph",
                        .state = "pending",
                        .created_at = "2025-12-05T10:00:00",
                        .updated_at = "2025-12-05T10:00:00"});
    for (const StepRow& step : PendingStepRows(run_id, {"s1"}, {"Build"})) {
      writer_->InsertStep(step);
    }
    writer_->InsertEvent({.run_id = run_id,
                          .event_type = "run_created",
                          .severity = "info",
                          .timestamp = "2025-12-05T10:00:00"});
  }
  std::optional<std::string> Run(const std::string& column) {
    return Text(db_, "SELECT " + column + " FROM runs WHERE run_id = 'r1'");
  }
  std::optional<std::string> Step(const std::string& column) {
    return Text(db_, "SELECT " + column +
                         " FROM steps WHERE run_id = 'r1' AND step_id = 's1'");
  }

  SQLite::Database db_;
  std::optional<ContractWriter> writer_;
};

TEST_F(ContractWriterTest, UpdateRunKeepsWhatItIsNotGivenAndSetsUpdatedAt) {
  writer_->UpdateRun("r1", "running", "2025-12-05T10:00:05", std::nullopt,
                     "2025-12-05T10:00:05");
  writer_->UpdateRun("r1", "succeeded", std::nullopt, "2025-12-05T10:09:00",
                     "2025-12-05T10:09:00");
  writer_->UpdateRun("r1", "succeeded", std::nullopt, std::nullopt,
                     "2025-12-05T10:09:30");
  EXPECT_EQ(Run("state"), "succeeded");
  EXPECT_EQ(Run("started_at"), "2025-12-05T10:00:05");
  EXPECT_EQ(Run("ended_at"), "2025-12-05T10:09:00");
  EXPECT_EQ(Run("updated_at"), "2025-12-05T10:09:30");
}

TEST_F(ContractWriterTest, UpdateStepKeepsWhatItIsNotGiven) {
  writer_->UpdateStep("r1", "s1", "running", 2, "2025-12-05T10:01:00",
                      std::nullopt, std::nullopt);
  writer_->UpdateStep("r1", "s1", "failed", std::nullopt, std::nullopt,
                      "2025-12-05T10:02:00", "boom");
  writer_->UpdateStep("r1", "s1", "failed", std::nullopt, std::nullopt,
                      std::nullopt, std::nullopt);
  EXPECT_EQ(Step("state"), "failed");
  EXPECT_EQ(Step("attempt"), "2");
  EXPECT_EQ(Step("started_at"), "2025-12-05T10:01:00");
  EXPECT_EQ(Step("ended_at"), "2025-12-05T10:02:00");
  EXPECT_EQ(Step("error_message"), "boom");
}

TEST_F(ContractWriterTest, SkipOpenStepsEndsOnlyTheOpenOnes) {
  writer_->InsertStep({.run_id = "r1",
                       .step_id = "s0",
                       .name = "Checkout",
                       .state = "completed",
                       .ended_at = "2025-12-05T10:01:00"});
  writer_->SkipOpenSteps("r1", "2025-12-05T10:05:00");
  EXPECT_EQ(Step("state"), "skipped");
  EXPECT_EQ(Step("ended_at"), "2025-12-05T10:05:00");
  EXPECT_EQ(Text(db_,
                 "SELECT state || ' ' || ended_at FROM steps WHERE "
                 "step_id = 's0'"),
            "completed 2025-12-05T10:01:00");
}

TEST_F(ContractWriterTest, DeleteRunRemovesItsStepsAndEventsOnly) {
  AddRun("r2");
  writer_->DeleteRun("r1");
  EXPECT_EQ(testing::Count(db_, "SELECT COUNT(*) FROM runs"), 1);
  EXPECT_EQ(testing::Count(db_, "SELECT COUNT(*) FROM steps"), 1);
  EXPECT_EQ(testing::Count(db_, "SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(testing::Count(db_,
                           "SELECT COUNT(*) FROM runs JOIN steps USING "
                           "(run_id) JOIN events USING (run_id) WHERE run_id "
                           "= 'r2'"),
            1);
}

class LegacyContractWriterTest : public ContractWriterTest {
 protected:
  LegacyContractWriterTest() : ContractWriterTest(/*legacy=*/true) {}
};

TEST_F(LegacyContractWriterTest, DropsUpdatedAtButStillUpdates) {
  EXPECT_FALSE(writer_->has_updated_at());
  writer_->UpdateRun("r1", "running", "2025-12-05T10:00:05", std::nullopt,
                     "2025-12-05T10:00:05");
  EXPECT_EQ(Run("state"), "running");
  EXPECT_EQ(Run("started_at"), "2025-12-05T10:00:05");
}

// The tests' FixtureDb writes through the same writer, with the same rule.
TEST(FixtureDbTest, UpdatesKeepWhatTheyAreNotGiven) {
  testing::TempDir dir;
  testing::FixtureDb db(dir.File("state.db"));
  db.AddRun({.run_id = "r1"});
  db.AddStep("r1", "s1", "failed", "2025-12-05T10:01:00", "2025-12-05T10:02:00",
             "boom");
  db.SetStepState("r1", "s1", "running");  // a retry
  db.SetRunState("r1", "failed", "2025-12-05T10:09:00");
  db.SetRunState("r1", "failed", std::nullopt);
  EXPECT_EQ(Text(db.db(), "SELECT started_at || ' ' || ended_at FROM runs"),
            "2025-12-05T10:00:05 2025-12-05T10:09:00");
  EXPECT_TRUE(Text(db.db(), "SELECT updated_at FROM runs").has_value());
  EXPECT_EQ(Text(db.db(),
                 "SELECT state || ' ' || ended_at || ' ' || "
                 "error_message FROM steps"),
            "running 2025-12-05T10:02:00 boom");
}

}  // namespace
}  // namespace pe::sim
