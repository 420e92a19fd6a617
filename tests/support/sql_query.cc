#include "tests/support/sql_query.h"

namespace pe::testing {

int64_t Count(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

std::string Dump(const std::string& path) {
  SQLite::Database db(path);
  std::string out;
  for (const char* sql : {"SELECT * FROM runs ORDER BY run_id",
                          "SELECT * FROM steps ORDER BY run_id, step_id",
                          "SELECT * FROM events ORDER BY id"}) {
    SQLite::Statement q(db, sql);
    while (q.executeStep()) {
      for (int i = 0; i < q.getColumnCount(); ++i) {
        out += q.getColumn(i).isNull() ? "NULL" : q.getColumn(i).getString();
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace pe::testing
