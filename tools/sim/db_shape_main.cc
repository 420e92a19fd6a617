#include "tools/sim/db_shape_main.h"

#include <sys/stat.h>

#include <chrono>
#include <iostream>
#include <optional>

#include "exporter/common/timestamp.h"
#include "tools/sim/db_shape.h"

namespace pe::sim {
namespace {

constexpr const char* kUsage =
    R"(Usage: pipeline_exporter db-shape --db PATH [--now TIMESTAMP]

Prints the shape of a state database (runs, active share, runs ended in the
last hour, steps and events per run, id and label lengths, distinct
projects, phases and workstreams, error-message sizes), then the
`pipeline_exporter simulate` command that bulk-loads a database of that
shape, for benchmarks at the shape of your own data (bench/README.md).
Read-only; a few full scans of the file.

  --db PATH          the state database (required)
  --now TIMESTAMP    the reference time for "the last hour" (ISO-8601;
                     default: now)
)";

int Usage(const std::string& error) {
  std::cerr << "pipeline_exporter db-shape: " << error << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int DbShapeMain(const std::vector<std::string>& args) {
  std::string db;
  std::optional<double> now;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Usage(flag + ": a value is required");
    }
    if (flag == "--db") {
      db = value;
    } else if (flag == "--now") {
      now = ParseTimestamp(value);
      if (!now)
        return Usage("--now: not an ISO-8601 timestamp: '" + value + "'");
    } else {
      return Usage("unknown flag '" + flag + "'");
    }
  }
  if (db.empty()) return Usage("--db: required");
  struct stat st;
  if (::stat(db.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::cerr << "pipeline_exporter db-shape: no database file '" << db
              << "'\n";
    return 1;
  }
  const double reference =
      now.value_or(std::chrono::duration<double>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  Result<DbShape> shape = MeasureDbShape(db, reference);
  if (!shape.ok()) {
    std::cerr << "pipeline_exporter db-shape: " << shape.status().message()
              << "\n";
    return 1;
  }
  std::cout << "state database: " << db << "\n" << FormatDbShape(*shape);
  return 0;
}

}  // namespace pe::sim
