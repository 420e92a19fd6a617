#include "exporter/common/sqlite_statement.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

namespace pe {

SqliteStatement::SqliteStatement(SQLite::Database& db, const std::string& sql)
    : db_(db.getHandle()) {
  const int rc = sqlite3_prepare_v2(
      db_, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

bool SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message before the reset, which would clear it.
  SQLite::Exception error(db_, rc);
  sqlite3_reset(stmt_);
  throw error;
}

void SqliteStatement::Bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(),
                        static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
}

void SqliteStatement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
}

}  // namespace pe
