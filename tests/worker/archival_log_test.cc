#include "exporter/worker/archival_log.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "exporter/worker/worker_schema.h"
#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

// 2025-12-05T10:11:12.5Z
constexpr double kT0 = 1764929472.5;

// A contract database with the worker's own tables, written directly.
class ArchivalLogTest : public ::testing::Test {
 protected:
  ArchivalLogTest() : fixture_(dir_.File("state.db")) {
    db().exec(kWorkerSchemaSql);
  }
  SQLite::Database& db() { return fixture_.db(); }

  // A verified archive of run_id at a/<run_id>.zip.
  void Archive(const std::string& run_id, double archived_at = kT0,
               int64_t size_bytes = 10, const std::string& sha256 = "ab") {
    UpsertArchive(db(), run_id,
                  {.archive_path = "a/" + run_id + ".zip",
                   .size_bytes = size_bytes,
                   .sha256 = sha256,
                   .integrity = "verified",
                   .archived_at = archived_at});
  }

  ArchivalLogRow Row(const std::string& run_id) {
    std::optional<ArchivalLogRow> row = ReadArchivalLog(db(), run_id);
    EXPECT_TRUE(row.has_value()) << run_id;
    return row.value_or(ArchivalLogRow{});
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
};

TEST_F(ArchivalLogTest, UpsertsArchiveAndReportIntoOneRow) {
  const int64_t big = int64_t{5} << 33;  // needs 64 bits
  UpsertArchive(db(), "r1",
                {.archive_path = "old.zip",
                 .size_bytes = 1,
                 .sha256 = "00",
                 .integrity = "failed",
                 .archived_at = kT0});
  UpsertReport(db(), "r1", {.json_path = "r.json", .html_path = "r.html"});
  UpsertArchive(db(), "r1",
                {.archive_path = "a/r1.zip",
                 .size_bytes = big,
                 .sha256 = "ab",
                 .integrity = "ok",
                 .archived_at = kT0});

  const ArchivalLogRow r = Row("r1");
  EXPECT_EQ(r.run_id, "r1");
  EXPECT_EQ(r.archive_path, "a/r1.zip");
  EXPECT_EQ(r.size_bytes, big);
  EXPECT_EQ(r.sha256, "ab");
  EXPECT_EQ(r.integrity, "ok");
  EXPECT_EQ(r.archived_at, "2025-12-05T10:11:12.500000+00:00");
  EXPECT_EQ(r.report_json, "r.json");
  EXPECT_EQ(r.report_html, "r.html");
  EXPECT_EQ(testing::Count(db(), "SELECT COUNT(*) FROM archival_log"), 1);

  EXPECT_FALSE(ReadArchivalLog(db(), "nope").has_value());
}

TEST_F(ArchivalLogTest, ANewArchiveCountsAsCheckedAndVerifiedWhenArchived) {
  Archive("r1");
  const ArchivalLogRow r = Row("r1");
  EXPECT_EQ(r.verified_at, r.archived_at);
  EXPECT_EQ(r.checked_at, r.archived_at);
  EXPECT_EQ(r.check_problem, "");
  EXPECT_EQ(r.removed_at, "");
  EXPECT_EQ(r.worktree_deleted_at, "");
  EXPECT_EQ(r.report_json, "");
  // The Unix copies the scrub and retention order by (worker_schema.h).
  SQLite::Statement q(db(),
                      "SELECT archived_unix, last_check_unix FROM "
                      "archival_log WHERE run_id = 'r1'");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getDouble(), kT0);
  EXPECT_EQ(q.getColumn(1).getDouble(), kT0);
}

TEST_F(ArchivalLogTest, ReArchivingClearsTheOldArchivesHistory) {
  Archive("r1");
  UpsertReport(db(), "r1", {.json_path = "r.json", .html_path = "r.html"});
  MarkWorktreeDeleted(db(), "r1", kT0 + 1);
  db().exec(
      "UPDATE archival_log SET check_problem = 'sha mismatch', "
      "integrity = 'failed', removed_at = 'x', removed_reason = 'max-count' "
      "WHERE run_id = 'r1'");

  Archive("r1", kT0 + 60, 12, "cd");
  const ArchivalLogRow r = Row("r1");
  EXPECT_EQ(r.size_bytes, 12);
  EXPECT_EQ(r.sha256, "cd");
  EXPECT_EQ(r.integrity, "verified");
  EXPECT_EQ(r.archived_at, "2025-12-05T10:12:12.500000+00:00");
  EXPECT_EQ(r.verified_at, r.archived_at);
  EXPECT_EQ(r.checked_at, r.archived_at);
  EXPECT_EQ(r.check_problem, "");
  EXPECT_EQ(r.removed_at, "");
  EXPECT_EQ(r.removed_reason, "");
  EXPECT_EQ(r.worktree_deleted_at, "");
  // The report columns are not the archive's: kept.
  EXPECT_EQ(r.report_json, "r.json");
  EXPECT_EQ(r.report_html, "r.html");
}

TEST_F(ArchivalLogTest, AReportAloneMakesARowWithoutArchiveColumns) {
  UpsertReport(db(), "r2", {.json_path = "r2.json", .html_path = "r2.html"});
  const ArchivalLogRow r = Row("r2");
  EXPECT_EQ(r.report_json, "r2.json");
  EXPECT_EQ(r.report_html, "r2.html");
  EXPECT_EQ(r.archive_path, "");
  EXPECT_EQ(r.archived_at, "");
  EXPECT_EQ(r.size_bytes, std::nullopt);
  EXPECT_EQ(r.sha256, "");

  UpsertReport(db(), "r2", {.json_path = "new.json", .html_path = "new.html"});
  EXPECT_EQ(Row("r2").report_json, "new.json");
  EXPECT_EQ(Row("r2").report_html, "new.html");
}

TEST_F(ArchivalLogTest, ARecordedArchiveKeepsItsColumnsWhenTheReportComes) {
  Archive("r3");
  const ArchivalLogRow before = Row("r3");
  UpsertReport(db(), "r3", {.json_path = "r3.json", .html_path = "r3.html"});
  const ArchivalLogRow after = Row("r3");
  EXPECT_EQ(after.archive_path, before.archive_path);
  EXPECT_EQ(after.archived_at, before.archived_at);
  EXPECT_EQ(after.size_bytes, before.size_bytes);
  EXPECT_EQ(after.sha256, before.sha256);
  EXPECT_EQ(after.verified_at, before.verified_at);
}

TEST_F(ArchivalLogTest, MarkWorktreeDeletedStampsAnExistingRowOnly) {
  Archive("r1");
  MarkWorktreeDeleted(db(), "r1", kT0 + 0.25);
  EXPECT_EQ(Row("r1").worktree_deleted_at, "2025-12-05T10:11:12.750000+00:00");

  MarkWorktreeDeleted(db(), "other", kT0);
  EXPECT_FALSE(ReadArchivalLog(db(), "other").has_value());
}

TEST(ArchivalLogErrorsTest, WithoutTheWorkersTablesCallsThrow) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  EXPECT_THROW(UpsertReport(fixture.db(), "r1", {}), SQLite::Exception);
  EXPECT_THROW(ReadArchivalLog(fixture.db(), "r1"), SQLite::Exception);
}

}  // namespace
}  // namespace pe
