#include "tools/sim/contract_db.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <system_error>
#include <thread>

#include "exporter/state/contract_schema.h"

namespace pe::sim {
namespace {

bool IsBusy(const SQLite::Exception& e) {
  const int code = e.getErrorCode() & 0xff;
  return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

}  // namespace

Result<std::unique_ptr<SQLite::Database>> OpenContractDb(
    const std::string& path) {
  const std::filesystem::path parent =
      std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IoError("create folder '" + parent.string() +
                             "': " + ec.message());
    }
  }
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
    db->exec("PRAGMA journal_mode=WAL");
    Status s = WriteTransaction(*db, "create contract schema",
                                [&] { db->exec(kContractSchemaSql); });
    if (!s.ok()) return s.WithContext("open state db '" + path + "'");
    return db;
  } catch (const SQLite::Exception& e) {
    std::string msg = "open state db '" + path + "': " + e.what();
    if (IsBusy(e)) return Status::Busy(msg);
    if ((e.getErrorCode() & 0xff) == SQLITE_NOTADB) {
      return Status::Corruption(msg);
    }
    return Status::IoError(msg);
  }
}

Status WriteTransaction(SQLite::Database& db, const char* what,
                        const std::function<void()>& body, int attempts) {
  auto backoff = std::chrono::milliseconds(20);
  for (int attempt = 1;; ++attempt) {
    try {
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      body();
      tx.commit();
      return Status::Ok();
    } catch (const SQLite::Exception& e) {
      const std::string msg = std::string(what) + ": " + e.what();
      if (!IsBusy(e)) return Status::Internal(msg);
      if (attempt >= attempts) {
        return Status::Busy(msg + " (after " + std::to_string(attempts) +
                            " attempts)");
      }
    } catch (const std::exception& e) {
      return Status::Internal(std::string(what) + ": " + e.what());
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace pe::sim
