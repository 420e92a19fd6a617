#include "exporter/worker/worker_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using std::chrono::milliseconds;

BusyRetryPolicy FastPolicy() {
  return {.busy_timeout = milliseconds(200),
          .max_attempts = 5,
          .initial_backoff = milliseconds(10),
          .max_backoff = milliseconds(100)};
}

// exporter_meta's schema_version ("" when absent).
std::string SchemaVersion(SQLite::Database& db) {
  SQLite::Statement q(
      db, "SELECT value FROM exporter_meta WHERE key = 'schema_version'");
  return q.executeStep() ? q.getColumn(0).getString() : "";
}

std::map<std::string, std::string> SchemaSql(SQLite::Database& db) {
  std::map<std::string, std::string> sql;
  SQLite::Statement q(db, "SELECT name, sql FROM sqlite_master");
  while (q.executeStep()) {
    sql[q.getColumn(0).getString()] =
        q.isColumnNull(1) ? "" : q.getColumn(1).getString();
  }
  return sql;
}

TEST(WorkerStoreTest,
     CreatesItsTablesIdempotentlyAndLeavesOrchestratorTablesAlone) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  const auto before = SchemaSql(fixture.db());

  for (int i = 0; i < 2; ++i) {
    auto store = WorkerStore::Open(fixture.path(), FastPolicy());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
  }

  const auto after = SchemaSql(fixture.db());
  for (const char* table : {"runs", "steps", "events"}) {
    ASSERT_TRUE(before.count(table)) << table;
    EXPECT_EQ(after.at(table), before.at(table)) << table;
  }
  for (const char* table : {"archival_log", "exporter_jobs", "exporter_meta",
                            "exporter_jobs_open"}) {
    EXPECT_TRUE(after.count(table)) << table;
  }
  // Nothing but the exporter's own objects was added.
  for (const auto& [name, sql] : after) {
    if (before.count(name)) continue;
    const bool ours = name.starts_with("exporter_") ||
                      name.starts_with("archival_log") ||
                      name.starts_with("sqlite_autoindex_exporter_") ||
                      name.starts_with("sqlite_autoindex_archival_log");
    EXPECT_TRUE(ours) << name;
  }
  EXPECT_EQ(SchemaVersion(fixture.db()), "5");
}

TEST(WorkerStoreTest, UpgradesVersionOneTablesKeepingTheirRows) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(
      "CREATE TABLE exporter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO exporter_meta VALUES ('schema_version', '1');"
      "CREATE TABLE archival_log (run_id TEXT PRIMARY KEY, archive_path TEXT, "
      "archived_at TEXT, size_bytes INTEGER, sha256 TEXT, integrity TEXT, "
      "report_json TEXT, report_html TEXT);"
      "INSERT INTO archival_log (run_id, archive_path, integrity) "
      "VALUES ('r1', '.archive/r1.zip', 'verified');");

  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  SQLite::Statement row(fixture.db(),
                        "SELECT archive_path, integrity, verified_at, "
                        "removed_at, worktree_deleted_at FROM archival_log "
                        "WHERE run_id = 'r1'");
  ASSERT_TRUE(row.executeStep());
  EXPECT_EQ(row.getColumn(0).getString(), ".archive/r1.zip");
  EXPECT_EQ(row.getColumn(1).getString(), "verified");
  EXPECT_TRUE(row.isColumnNull(2));
  EXPECT_TRUE(row.isColumnNull(3));
  EXPECT_TRUE(row.isColumnNull(4));
  EXPECT_EQ(SchemaVersion(fixture.db()), "5");
  // Opening again changes nothing.
  store->reset();
  EXPECT_TRUE(WorkerStore::Open(fixture.path(), FastPolicy()).ok());
}

TEST(WorkerStoreTest, UpgradesVersionTwoRowsWithTheirTimesInUnixSeconds) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(
      "CREATE TABLE exporter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO exporter_meta VALUES ('schema_version', '2');"
      "CREATE TABLE archival_log (run_id TEXT PRIMARY KEY, archive_path TEXT, "
      "archived_at TEXT, size_bytes INTEGER, sha256 TEXT, integrity TEXT, "
      "report_json TEXT, report_html TEXT, verified_at TEXT, checked_at TEXT, "
      "check_problem TEXT, removed_at TEXT, removed_reason TEXT, "
      "worktree_deleted_at TEXT);"
      "INSERT INTO archival_log (run_id, archive_path, archived_at, "
      "checked_at) VALUES "
      "('checked', 'a/checked.zip', '2025-12-05T10:00:00Z', "
      "'2025-12-05 11:00:00.5'), "
      "('never-checked', 'a/never-checked.zip', '2025-12-05T10:00:00Z', NULL), "
      "('garbage', 'a/garbage.zip', 'yesterday', 'soon');");

  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  std::map<std::string, std::pair<std::string, std::string>> unix_times;
  SQLite::Statement rows(fixture.db(),
                         "SELECT run_id, quote(archived_unix), "
                         "quote(last_check_unix) FROM archival_log");
  while (rows.executeStep()) {
    unix_times[rows.getColumn(0).getString()] = {rows.getColumn(1).getString(),
                                                 rows.getColumn(2).getString()};
  }
  // 2025-12-05T10:00:00Z is 1764928800; the last check is checked_at, else
  // archived_at; a row whose times do not parse is due for a check first.
  EXPECT_EQ(unix_times["checked"], std::make_pair(std::string("1764928800.0"),
                                                  std::string("1764932400.5")));
  EXPECT_EQ(
      unix_times["never-checked"],
      std::make_pair(std::string("1764928800.0"), std::string("1764928800.0")));
  EXPECT_EQ(unix_times["garbage"],
            std::make_pair(std::string("NULL"), std::string("-1.0e+300")));
  for (const char* index :
       {"archival_log_check_due", "archival_log_archived"}) {
    EXPECT_TRUE(SchemaSql(fixture.db()).count(index)) << index;
  }
}

TEST(WorkerStoreTest, UpgradesVersionThreeJobsWithAnEmptyStageData) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(
      "CREATE TABLE exporter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO exporter_meta VALUES ('schema_version', '3');"
      "CREATE TABLE exporter_jobs (run_id TEXT PRIMARY KEY, stage TEXT NOT "
      "NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL, "
      "last_error TEXT, lease_owner TEXT, lease_expires_at REAL, updated_at "
      "TEXT, run_ended_at TEXT, end_sort_key REAL, enqueued_at TEXT);"
      "INSERT INTO exporter_jobs (run_id, stage, attempts) "
      "VALUES ('r1', 'verified', 2);");

  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  SQLite::Statement row(fixture.db(),
                        "SELECT stage, attempts, quote(stage_data) "
                        "FROM exporter_jobs WHERE run_id = 'r1'");
  ASSERT_TRUE(row.executeStep());
  EXPECT_EQ(row.getColumn(0).getString(), "verified");
  EXPECT_EQ(row.getColumn(1).getInt64(), 2);
  EXPECT_EQ(row.getColumn(2).getString(), "NULL");
  EXPECT_EQ(SchemaVersion(fixture.db()), "5");
}

// exporter_meta's first start ("" when absent).
std::string FirstStartText(SQLite::Database& db) {
  SQLite::Statement q(db,
                      "SELECT value FROM exporter_meta "
                      "WHERE key = 'worker_first_start_unix'");
  return q.executeStep() ? q.getColumn(0).getString() : "";
}

// A version-4 database whose old worker enqueued its first run at
// 2025-12-05T10:00:00Z (1764928800) and archived one before the oldest job
// still there was enqueued (an archive at 09:00, its job since forgotten).
constexpr const char* kVersionFourTables =
    "CREATE TABLE exporter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO exporter_meta VALUES ('schema_version', '4');"
    "CREATE TABLE archival_log (run_id TEXT PRIMARY KEY, archive_path TEXT, "
    "archived_at TEXT, size_bytes INTEGER, sha256 TEXT, integrity TEXT, "
    "report_json TEXT, report_html TEXT, verified_at TEXT, checked_at TEXT, "
    "check_problem TEXT, removed_at TEXT, removed_reason TEXT, "
    "worktree_deleted_at TEXT, archived_unix REAL, last_check_unix REAL);"
    "CREATE TABLE exporter_jobs (run_id TEXT PRIMARY KEY, stage TEXT NOT "
    "NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL, "
    "last_error TEXT, lease_owner TEXT, lease_expires_at REAL, updated_at "
    "TEXT, run_ended_at TEXT, end_sort_key REAL, enqueued_at TEXT, "
    "stage_data TEXT);";

TEST(WorkerStoreTest, UpgradesVersionFourWithTheFirstStartOfItsOldWorker) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(std::string(kVersionFourTables) +
                    "INSERT INTO exporter_jobs (run_id, stage, enqueued_at) "
                    "VALUES ('r1', 'done', '2025-12-05T10:00:00Z'), "
                    "('r2', 'queued', '2025-12-05 11:00:00');"
                    "INSERT INTO archival_log (run_id, archived_at) VALUES "
                    "('r0', '2025-12-05T09:00:00Z');");

  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(SchemaVersion(fixture.db()), "5");
  // The old worker took every run it found from its first pass on: what it
  // did first is its first start, and the runs that ended after are fresh.
  auto first = (*store)->FirstStart(1.9e9);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_DOUBLE_EQ(*first, 1764925200.0);  // 09:00, the earlier of the two
  // Recorded once: a later start, or opening again, keeps it.
  store->reset();
  store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok());
  first = (*store)->FirstStart(2.0e9);
  ASSERT_TRUE(first.ok());
  EXPECT_DOUBLE_EQ(*first, 1764925200.0);
}

TEST(WorkerStoreTest, UpgradesAnIdleVersionFourWithoutAFirstStartYet) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(kVersionFourTables);

  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(SchemaVersion(fixture.db()), "5");
  // The old worker took nothing: the first pass of this one is the start.
  EXPECT_EQ(FirstStartText(fixture.db()), "");
  auto first = (*store)->FirstStart(1764928800.25);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_DOUBLE_EQ(*first, 1764928800.25);
}

TEST(WorkerStoreTest, RecordsTheFirstStartOnceWhicheverStoreComesFirst) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  auto a = WorkerStore::Open(fixture.path(), FastPolicy());
  auto b = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(FirstStartText(fixture.db()), "");  // not before a worker runs

  auto first = (*a)->FirstStart(1000.5);
  ASSERT_TRUE(first.ok());
  EXPECT_DOUBLE_EQ(*first, 1000.5);
  auto second = (*b)->FirstStart(2000);
  ASSERT_TRUE(second.ok());
  EXPECT_DOUBLE_EQ(*second, 1000.5);
}

TEST(WorkerStoreTest, RefusesTablesOfANewerVersionNamingBoth) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  fixture.db().exec(
      "CREATE TABLE exporter_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "INSERT INTO exporter_meta VALUES ('schema_version', '6');");
  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 6, expected 5"),
            std::string::npos)
      << store.status().message();
}

TEST(WorkerStoreTest, CreatesItsTablesOnceAWriterHoldingTheLockIsDone) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  std::promise<void> locked;
  std::thread holder([&] {
    SQLite::Database other(fixture.path(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    locked.set_value();
    std::this_thread::sleep_for(milliseconds(300));
    other.exec("COMMIT");
  });
  locked.get_future().wait();
  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  holder.join();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(fixture.db().tableExists("exporter_jobs"));
}

TEST(WorkerStoreTest, DatabaseWithoutOrchestratorTablesIsNotFound) {
  testing::TempDir dir;
  const std::string path = dir.File("other.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE unrelated (x INTEGER)");
  }
  auto store = WorkerStore::Open(path, FastPolicy());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_NE(store.status().message().find("'runs' is missing"),
            std::string::npos)
      << store.status().message();
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  EXPECT_FALSE(db.tableExists("exporter_jobs"));
}

TEST(WorkerStoreTest, MissingFileIsNotFoundAndNotCreated) {
  testing::TempDir dir;
  const std::string path = dir.File("absent.db");
  auto store = WorkerStore::Open(path, FastPolicy());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(WorkerStoreTest, DetectsWhetherRunsHasUpdatedAt) {
  testing::TempDir dir;
  testing::FixtureDb current(dir.File("current.db"));
  testing::FixtureDb legacy(dir.File("legacy.db"), /*legacy=*/true);
  auto a = WorkerStore::Open(current.path(), FastPolicy());
  auto b = WorkerStore::Open(legacy.path(), FastPolicy());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->runs_has_updated_at());
  EXPECT_FALSE((*b)->runs_has_updated_at());
}

TEST(WorkerStoreTest, WriteRollsBackEverythingWhenTheWorkFails) {
  testing::TempDir dir;
  testing::FixtureDb fixture(dir.File("state.db"));
  auto store = WorkerStore::Open(fixture.path(), FastPolicy());
  ASSERT_TRUE(store.ok());
  Status s = (*store)->Write("two inserts", [](SQLite::Database& db) {
    db.exec(
        "INSERT INTO archival_log (run_id, archive_path) VALUES ('r1', 'a')");
    return Status::IoError("disk full");
  });
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  SQLite::Statement q(fixture.db(), "SELECT COUNT(*) FROM archival_log");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getInt64(), 0);
}

}  // namespace
}  // namespace pe
