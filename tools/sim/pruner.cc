#include "tools/sim/pruner.h"

#include <SQLiteCpp/Statement.h>

#include <string>

#include "tools/sim/contract_db.h"

namespace pe::sim {
namespace {

constexpr int kPruneBatch = 5000;

}  // namespace

Result<uint64_t> PruneTerminalRuns(SQLite::Database& db, Micros cutoff,
                                   int max_batches) {
  const std::string cutoff_text =
      FormatTimestamp(cutoff, TimestampForm::kIsoMicros);
  uint64_t total = 0;
  for (int batch = 0; batch < max_batches; ++batch) {
    int deleted = 0;
    Status s = WriteTransaction(db, "prune old runs", [&] {
      db.exec(
          "CREATE TEMP TABLE IF NOT EXISTS sim_prune (run_id TEXT PRIMARY "
          "KEY)");
      db.exec("DELETE FROM sim_prune");
      SQLite::Statement select(
          db,
          "INSERT INTO sim_prune SELECT run_id FROM runs WHERE state IN "
          "('succeeded', 'partial', 'failed', 'quarantined', 'canceled') "
          "AND julianday(ended_at) < julianday(?) LIMIT " +
              std::to_string(kPruneBatch));
      select.bind(1, cutoff_text);
      deleted = select.exec();
      if (deleted == 0) return;
      db.exec(
          "DELETE FROM events WHERE run_id IN (SELECT run_id FROM sim_prune)");
      db.exec(
          "DELETE FROM steps WHERE run_id IN (SELECT run_id FROM sim_prune)");
      db.exec(
          "DELETE FROM runs WHERE run_id IN (SELECT run_id FROM sim_prune)");
    });
    if (!s.ok()) return s;
    total += static_cast<uint64_t>(deleted);
    if (deleted < kPruneBatch) break;
  }
  return total;
}

}  // namespace pe::sim
