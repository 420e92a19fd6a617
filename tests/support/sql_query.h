#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_SQL_QUERY_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_SQL_QUERY_H_

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <string>

namespace pe::testing {

// The first column of the first row of a query, e.g. a COUNT(*).
int64_t Count(SQLite::Database& db, const std::string& sql);

// Every row of the contract's three tables as text, in key order: two
// databases with the same content give the same dump.
std::string Dump(const std::string& path);

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_SQL_QUERY_H_
