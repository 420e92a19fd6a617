#ifndef PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_DB_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_DB_H_

#include <SQLiteCpp/Database.h>

#include <functional>
#include <memory>
#include <string>

#include "exporter/common/status.h"

namespace pe::sim {

inline constexpr int kBusyTimeoutMs = 5000;

// Opens (creating it, its parent folder and the contract tables if missing)
// the orchestrator's state database the way the orchestrator does: WAL mode,
// 5 s busy timeout. Existing tables are left as they are (an older file may
// lack runs.updated_at).
Result<std::unique_ptr<SQLite::Database>> OpenContractDb(
    const std::string& path);

// Runs `body` inside an IMMEDIATE transaction and commits. When another
// connection holds the lock past the busy timeout (SQLITE_BUSY/LOCKED), rolls
// back, waits a little and runs `body` again, up to `attempts` times, so
// `body` must only write (no side effects outside the database). `what` names
// the operation in the error.
Status WriteTransaction(SQLite::Database& db, const char* what,
                        const std::function<void()>& body, int attempts = 8);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_CONTRACT_DB_H_
