#include "exporter/worker/worker_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "exporter/common/sqlite_cache.h"
#include "exporter/common/timestamp.h"
#include "exporter/worker/worker_schema.h"

namespace pe {
namespace {

// SQL function pe_unix_time(text): Unix seconds of a contract timestamp in
// any of its formats, NULL if missing or unparsable. Lets queries order
// runs by time whatever mix of formats the orchestrator wrote.
void UnixTimeFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_null(ctx);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const int len = sqlite3_value_bytes(argv[0]);
  const auto parsed = ParseTimestamp(std::string_view(text, len));
  if (parsed) {
    sqlite3_result_double(ctx, *parsed);
  } else {
    sqlite3_result_null(ctx);
  }
}

std::set<std::string> Columns(SQLite::Database& db, const std::string& table) {
  std::set<std::string> names;
  SQLite::Statement info(db, "PRAGMA table_info(" + table + ")");
  while (info.executeStep()) names.insert(info.getColumn(1).getString());
  return names;
}

}  // namespace

WorkerStore::WorkerStore(std::string path, BusyRetryPolicy retry)
    : path_(std::move(path)), retry_(retry) {}

WorkerStore::~WorkerStore() = default;

Result<std::unique_ptr<WorkerStore>> WorkerStore::Open(const std::string& path,
                                                       BusyRetryPolicy retry) {
  std::unique_ptr<WorkerStore> store(new WorkerStore(path, retry));
  Status status = store->Init();
  if (!status.ok())
    return status.WithContext("open worker store '" + path + "'");
  return store;
}

bool WorkerStore::FileReplaced() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return true;
  return st.st_dev != device_ || st.st_ino != inode_;
}

Status WorkerStore::Init() {
  {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) {
      return Status::NotFound("no database file '" + path_ + "'");
    }
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
  try {
    // One thread owns each store (header): no per-call connection mutex.
    db_ = std::make_unique<SQLite::Database>(
        path_, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX,
        static_cast<int>(retry_.policy().busy_timeout.count()));
    db_->exec(kPageCachePragma);
    const int rc = sqlite3_create_function_v2(
        db_->getHandle(), "pe_unix_time", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
        nullptr, &UnixTimeFunction, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteErrorToStatus(rc, "register pe_unix_time",
                                 sqlite3_errstr(rc));
    }
  } catch (const SQLite::Exception& e) {
    return SqliteErrorToStatus(e.getErrorCode(), "open", e.what());
  }

  Status status = Read("check schema", [this](SQLite::Database& db) {
    for (const char* table : {"runs", "steps", "events"}) {
      if (Columns(db, table).empty()) {
        return Status::NotFound(std::string("table '") + table +
                                "' is missing: not an orchestrator database");
      }
    }
    runs_has_updated_at_ = Columns(db, "runs").count("updated_at") > 0;
    return Status::Ok();
  });
  if (!status.ok()) return status;

  return Write("create exporter tables", [](SQLite::Database& db) {
    db.exec(kWorkerSchemaSql);
    std::string version;
    {
      SQLite::Statement q(db,
                          "SELECT value FROM exporter_meta "
                          "WHERE key = 'schema_version'");
      if (!q.executeStep()) return Status::Internal("schema_version missing");
      version = q.getColumn(0).getString();
    }
    if (version == "1" || version == "2" || version == "3" || version == "4") {
      // Upgrades in place, in this transaction: the columns a version
      // lacks, then (before version 3) the numeric times from the text
      // ones, then (before version 5) the first start.
      const std::set<std::string> have = Columns(db, "archival_log");
      for (const char* column : kArchivalLogV2Columns) {
        if (have.count(column) == 0) {
          db.exec(std::string("ALTER TABLE archival_log ADD COLUMN ") + column +
                  " TEXT");
        }
      }
      for (const char* column : kArchivalLogV3Columns) {
        if (have.count(column) == 0) {
          db.exec(std::string("ALTER TABLE archival_log ADD COLUMN ") + column +
                  " REAL");
        }
      }
      if (version != "3") {
        db.exec(std::string("UPDATE archival_log SET archived_unix = "
                            "pe_unix_time(archived_at), last_check_unix = ") +
                kLastCheckUnixSql);
      }
      if (Columns(db, "exporter_jobs").count(kJobsV4Column) == 0) {
        db.exec(std::string("ALTER TABLE exporter_jobs ADD COLUMN ") +
                kJobsV4Column + " TEXT");
      }
      // Version 5: the first start, from what the old worker did first.
      db.exec(std::string("INSERT OR IGNORE INTO exporter_meta (key, value) "
                          "SELECT '") +
              kFirstStartKey +
              "', CAST(m AS TEXT) FROM (SELECT MIN(t) AS m FROM ("
              "SELECT MIN(pe_unix_time(enqueued_at)) AS t FROM exporter_jobs "
              "UNION ALL SELECT MIN(pe_unix_time(archived_at)) "
              "FROM archival_log)) WHERE m IS NOT NULL");
      db.exec(std::string("UPDATE exporter_meta SET value = '") +
              kWorkerSchemaVersion + "' WHERE key = 'schema_version'");
    } else if (version != kWorkerSchemaVersion) {
      return Status::InvalidArgument("exporter tables have schema version " +
                                     version + ", expected " +
                                     kWorkerSchemaVersion);
    }
    db.exec(kWorkerIndexSql);
    return Status::Ok();
  });
}

Result<double> WorkerStore::FirstStart(double now) {
  std::optional<double> first;
  auto read = [&first](SQLite::Database& db) {
    first.reset();
    SQLite::Statement q(db, "SELECT value FROM exporter_meta WHERE key = ?");
    q.bind(1, kFirstStartKey);
    if (q.executeStep()) first = q.getColumn(0).getDouble();
    return Status::Ok();
  };
  if (Status status = Read("read first start", read); !status.ok()) {
    return status;
  }
  if (first) return *first;
  // Another worker may record it first: whichever did, that one counts.
  Status status = Write("record first start", [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT OR IGNORE INTO exporter_meta (key, value) "
                        "VALUES (?, ?)");
    q.bind(1, kFirstStartKey);
    char text[64];
    std::snprintf(text, sizeof text, "%.6f", now);
    q.bind(2, std::string(text));
    q.exec();
    return read(db);
  });
  if (!status.ok()) return status;
  if (!first) return Status::Internal("first start not recorded");
  return *first;
}

Status WorkerStore::Write(const std::string& what, const Work& work) {
  if (!db_) return Status::Internal(what + ": database not open");
  return retry_.Run(what, [&]() {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    Status status = work(*db_);
    if (!status.ok()) return status;  // tx's destructor rolls back
    tx.commit();
    return Status::Ok();
  });
}

Result<std::vector<std::string>> WorkerStore::KeepMatching(
    const std::string& what, const std::string& sql,
    const std::vector<std::string>& ids) {
  std::vector<std::string> kept;
  if (ids.empty()) return kept;
  Status status = Read(what, [&](SQLite::Database& db) {
    kept.clear();
    SQLite::Statement q(db, sql);
    for (const std::string& id : ids) {
      q.bind(1, id);
      if (q.executeStep()) kept.push_back(id);
      q.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return kept;
}

Status WorkerStore::Read(const std::string& what, const Work& work) {
  if (!db_) return Status::Internal(what + ": database not open");
  return retry_.Run(what, [&]() { return work(*db_); });
}

}  // namespace pe
