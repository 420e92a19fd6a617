#ifndef PIPELINE_EXPORTER_COMMON_SQLITE_STATEMENT_H_
#define PIPELINE_EXPORTER_COMMON_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
}  // namespace SQLite

namespace pe {

// A prepared statement read through SQLite's C API, for the loops that read
// a table row by row: SQLiteCpp's Column copies a shared_ptr for every
// value it returns, which was a tenth of the instructions of a full read
// of the runs table. Owns the statement (finalized when destroyed); used by
// its connection's one thread. Errors throw SQLite::Exception with the
// connection's message, as SQLiteCpp does, so callers handle both alike.
class SqliteStatement {
 public:
  SqliteStatement(SQLite::Database& db, const std::string& sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // True with a row to read, false when done.
  bool Step();
  // Back to the first row, bindings kept. A statement left half-stepped
  // holds a read snapshot and blocks the writer's checkpoints.
  void Reset() noexcept { sqlite3_reset(stmt_); }

  // Parameters are numbered from 1. The text is copied.
  void Bind(int index, std::string_view text);
  void Bind(int index, int64_t value);

  // Columns of the current row, numbered from 0.
  int64_t Int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
  }
  // nullptr for NULL; valid until the next Step or Reset.
  const char* CStr(int column) const {
    return reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  }
  // Empty for NULL; valid until the next Step or Reset.
  std::string_view Text(int column) const {
    const char* text = CStr(column);
    if (text == nullptr) return {};
    return {text,
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever happens.
class ResetOnExit {
 public:
  explicit ResetOnExit(SqliteStatement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() { stmt_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  SqliteStatement& stmt_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_SQLITE_STATEMENT_H_
