#include "tests/support/json_query.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace pe::testing {
namespace {

SQLite::Database& Memory() {
  static SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
  return db;
}

}  // namespace

bool IsValidJson(const std::string& text) {
  SQLite::Statement q(Memory(), "SELECT json_valid(?)");
  q.bind(1, text);
  return q.executeStep() && q.getColumn(0).getInt() == 1;
}

std::optional<std::string> JsonAt(const std::string& json,
                                  const std::string& path) {
  if (!IsValidJson(json)) return std::nullopt;
  SQLite::Statement q(Memory(), "SELECT json_extract(?, ?)");
  q.bind(1, json);
  q.bind(2, path);
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getString();
}

}  // namespace pe::testing
