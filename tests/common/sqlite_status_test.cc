#include "exporter/common/sqlite_status.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace pe {
namespace {

TEST(SqliteStatusTest, MapsPrimaryCodesToStatusCodes) {
  struct Case {
    int sqlite_code;
    const char* message;
    Status::Code want;
  };
  const Case cases[] = {
      {SQLITE_BUSY, "database is locked", Status::Code::kBusy},
      {SQLITE_BUSY_SNAPSHOT, "database is locked", Status::Code::kBusy},
      {SQLITE_LOCKED, "database table is locked", Status::Code::kBusy},
      {SQLITE_CORRUPT, "malformed", Status::Code::kCorruption},
      {SQLITE_NOTADB, "not a database", Status::Code::kCorruption},
      {SQLITE_CANTOPEN, "unable to open", Status::Code::kNotFound},
      {SQLITE_FULL, "database or disk is full", Status::Code::kIoError},
      {SQLITE_ERROR, "no such table: runs", Status::Code::kNotFound},
      {SQLITE_ERROR, "syntax error", Status::Code::kInternal},
  };
  for (const Case& c : cases) {
    Status s = SqliteErrorToStatus(c.sqlite_code, "op", c.message);
    EXPECT_EQ(s.code(), c.want) << c.sqlite_code << " " << c.message;
    EXPECT_EQ(s.message(), std::string("op: ") + c.message);
  }
}

TEST(SqliteStatusTest, ExtendedCodesMapAsTheirPrimaryCode) {
  struct Case {
    int sqlite_code;
    Status::Code want;
  };
  const Case cases[] = {
      {SQLITE_BUSY_RECOVERY, Status::Code::kBusy},
      {SQLITE_LOCKED_SHAREDCACHE, Status::Code::kBusy},
      {SQLITE_CORRUPT_VTAB, Status::Code::kCorruption},
      {SQLITE_CANTOPEN_ISDIR, Status::Code::kNotFound},
      {SQLITE_IOERR_READ, Status::Code::kIoError},
      {SQLITE_IOERR_SHORT_READ, Status::Code::kIoError},
      {SQLITE_IOERR_FSYNC, Status::Code::kIoError},
      {SQLITE_READONLY_DBMOVED, Status::Code::kIoError},
      {SQLITE_CONSTRAINT_PRIMARYKEY, Status::Code::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SqliteErrorToStatus(c.sqlite_code, "op", "m").code(), c.want)
        << c.sqlite_code;
  }
}

TEST(SqliteStatusTest, ReadOnlyProtocolAndMissingColumnsHaveTheirCodes) {
  EXPECT_EQ(SqliteErrorToStatus(SQLITE_READONLY, "write", "readonly").code(),
            Status::Code::kIoError);
  EXPECT_EQ(SqliteErrorToStatus(SQLITE_PROTOCOL, "lock", "protocol").code(),
            Status::Code::kIoError);
  EXPECT_EQ(
      SqliteErrorToStatus(SQLITE_ERROR, "read", "no such column: x").code(),
      Status::Code::kNotFound);
}

TEST(SqliteStatusTest, OtherCodesAreInternal) {
  for (int code :
       {SQLITE_INTERNAL, SQLITE_NOMEM, SQLITE_INTERRUPT, SQLITE_CONSTRAINT,
        SQLITE_MISMATCH, SQLITE_MISUSE, SQLITE_RANGE}) {
    const Status s = SqliteErrorToStatus(code, "op", "m");
    EXPECT_EQ(s.code(), Status::Code::kInternal) << code;
    EXPECT_EQ(s.message(), "op: m");
  }
}

TEST(SqliteStatusTest, RealMissingTableAndColumnErrorsAreNotFound) {
  // SQLite's own wording is what the mapping looks for.
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
  db.exec("CREATE TABLE runs (run_id TEXT)");
  for (const char* sql : {"SELECT * FROM steps", "SELECT state FROM runs"}) {
    try {
      SQLite::Statement q(db, sql);
      ADD_FAILURE() << "prepared: " << sql;
    } catch (const SQLite::Exception& e) {
      const Status s = SqliteErrorToStatus(e.getErrorCode(), "read", e.what());
      EXPECT_EQ(s.code(), Status::Code::kNotFound) << s.ToString();
      EXPECT_EQ(s.message(), std::string("read: ") + e.what());
    }
  }
}

TEST(SqliteStatusTest, ATextFileReadAsADatabaseIsCorruption) {
  testing::TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "plain text, not an SQLite database, long enough to "
                         "fill the header SQLite reads first\n";
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    db.exec("SELECT COUNT(*) FROM sqlite_master");
    ADD_FAILURE() << "read a text file as a database";
  } catch (const SQLite::Exception& e) {
    EXPECT_EQ(SqliteErrorToStatus(e.getErrorCode(), "open", e.what()).code(),
              Status::Code::kCorruption)
        << e.what() << " (" << e.getErrorCode() << ")";
  }
}

}  // namespace
}  // namespace pe
