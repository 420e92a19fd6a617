#include "exporter/common/sqlite_statement.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

class SqliteStatementTest : public ::testing::Test {
 protected:
  SqliteStatementTest() : db_(":memory:", SQLite::OPEN_READWRITE) {
    db_.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'th\"ree');");
  }
  SQLite::Database db_;
};

TEST_F(SqliteStatementTest, StepsThroughRowsAndReadsTheirColumns) {
  SqliteStatement q(db_, "SELECT id, name FROM t ORDER BY id");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int64(0), 1);
  EXPECT_EQ(q.Text(1), "one");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.CStr(1), nullptr) << "NULL";
  EXPECT_EQ(q.Text(1), "");
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Text(1), "th\"ree");
  EXPECT_FALSE(q.Step());
}

TEST_F(SqliteStatementTest, BindsCopiedTextAndIntegersAndStartsOverOnReset) {
  SqliteStatement q(db_, "SELECT id FROM t WHERE name = ? OR id = ?");
  {
    std::string name = "one";
    q.Bind(1, name);
    name = "xxx";  // the statement holds its own copy
  }
  q.Bind(2, int64_t{3});
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int64(0), 1);
  q.Reset();
  ASSERT_TRUE(q.Step());
  EXPECT_EQ(q.Int64(0), 1) << "from the first row again";
}

TEST_F(SqliteStatementTest, ErrorsThrowWithSqlitesCodeAndMessage) {
  try {
    SqliteStatement q(db_, "SELECT nope FROM t");
    FAIL() << "prepared a bad query";
  } catch (const SQLite::Exception& e) {
    EXPECT_EQ(e.getErrorCode(), SQLITE_ERROR);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  db_.exec("CREATE TABLE u (v INTEGER CHECK (v > 0))");
  SqliteStatement insert(db_, "INSERT INTO u VALUES (?)");
  insert.Bind(1, int64_t{-1});
  EXPECT_THROW(insert.Step(), SQLite::Exception);
  // Reset after the error: usable again.
  insert.Reset();
  insert.Bind(1, int64_t{1});
  EXPECT_FALSE(insert.Step());
}

}  // namespace
}  // namespace pe
