#include "exporter/state/state_reader.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "exporter/common/sqlite_cache.h"
#include "exporter/common/sqlite_status.h"

namespace pe {

struct StateReader::Statements {
  explicit Statements(SQLite::Database& db, const std::string& runs,
                      const std::string& steps, const std::string& events)
      : data_version(db, "PRAGMA data_version"),
        max_event(db, "SELECT COALESCE(MAX(id), 0) FROM events"),
        events_after(db, "SELECT " + events +
                             " FROM events WHERE id > ? ORDER BY id LIMIT ?"),
        all_runs(db, "SELECT rowid, " + runs + " FROM runs"),
        runs_after(db, "SELECT rowid, " + runs +
                           " FROM runs WHERE rowid > ? ORDER BY rowid"),
        run_by_id(db, "SELECT rowid, " + runs + " FROM runs WHERE run_id = ?"),
        count_runs(db, "SELECT COUNT(*) FROM runs"),
        steps(db, "SELECT " + steps + " FROM steps WHERE run_id = ?") {}

  SQLite::Statement data_version;
  SQLite::Statement max_event;
  SQLite::Statement events_after;
  SQLite::Statement all_runs;
  SQLite::Statement runs_after;
  SQLite::Statement run_by_id;
  SQLite::Statement count_runs;
  SQLite::Statement steps;
};

namespace {

// Resets a statement when the scope ends, whatever happens: a half-stepped
// statement would hold a read snapshot and block the writer's checkpoints.
class ResetOnExit {
 public:
  explicit ResetOnExit(SQLite::Statement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    try {
      stmt_.reset();
    } catch (...) {
    }
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  SQLite::Statement& stmt_;
};

const char* Text(SQLite::Statement& stmt, int col) {
  return stmt.isColumnNull(col) ? nullptr : stmt.getColumn(col).getText();
}

std::string String(SQLite::Statement& stmt, int col) {
  const char* t = Text(stmt, col);
  return t ? std::string(t) : std::string();
}

// SELECT list for a table: the wanted columns, NULL for optional ones the
// file lacks. NotFound if a required column is missing.
Result<std::string> SelectList(
    SQLite::Database& db, const std::string& table,
    const std::vector<std::pair<std::string, bool>>& columns) {
  std::set<std::string> present;
  SQLite::Statement info(db, "PRAGMA table_info(" + table + ")");
  while (info.executeStep()) present.insert(info.getColumn(1).getString());
  if (present.empty()) {
    return Status::NotFound("table '" + table + "' is missing");
  }
  std::string list;
  for (const auto& [name, required] : columns) {
    if (!list.empty()) list += ", ";
    if (present.count(name)) {
      list += name;
    } else if (required) {
      return Status::NotFound("column '" + table + "." + name + "' is missing");
    } else {
      list += "NULL";
    }
  }
  return list;
}

}  // namespace

StateReader::StateReader(std::string path,
                         std::chrono::milliseconds busy_timeout,
                         ParseErrors* parse_errors)
    : path_(std::move(path)),
      busy_timeout_(busy_timeout),
      parse_errors_(parse_errors) {}

StateReader::~StateReader() { Close(); }

template <typename Fn>
Status StateReader::Guard(const std::string& what, Fn&& fn) {
  if (!db_) return Status::Internal(what + ": database not open");
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    return SqliteErrorToStatus(e.getErrorCode(), what, e.what());
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + e.what());
  }
}

bool StateReader::is_open() const { return db_ != nullptr; }

bool StateReader::FileReplaced() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return true;
  return static_cast<uint64_t>(st.st_ino) != inode_ ||
         static_cast<uint64_t>(st.st_dev) != device_;
}

StateReader::FileChange StateReader::CheckFile() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return FileChange::kSuspect;
  const auto size = static_cast<int64_t>(st.st_size);
  const auto mtime =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (size == size_ && mtime == mtime_ns_) return FileChange::kNone;
  const bool shrank = size < size_;
  size_ = size;
  mtime_ns_ = mtime;
  if (shrank) return FileChange::kSuspect;
  // Every SQLite file starts with this; garbage written over it does not.
  // The header is read through the connection's own file handle: opening
  // and closing another descriptor of the file would release every POSIX
  // lock this process holds on it (the worker's too), letting another
  // process checkpoint and delete the WAL under our connections (SQLite,
  // "How To Corrupt An SQLite Database File", 2.2).
  static constexpr char kMagic[] = "SQLite format 3";
  char head[sizeof(kMagic)] = {};
  if (!db_) return FileChange::kSuspect;
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_->getHandle(), "main", SQLITE_FCNTL_FILE_POINTER,
                           &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr ||
      file->pMethods->xRead(file, head, sizeof(head), 0) != SQLITE_OK ||
      std::memcmp(head, kMagic, sizeof(kMagic)) != 0) {
    return FileChange::kSuspect;
  }
  return FileChange::kWritten;
}

Status StateReader::Open() {
  if (db_ && !FileReplaced()) return Status::Ok();
  Close();
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    return Status::NotFound("state database '" + path_ + "' does not exist");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("state database '" + path_ +
                                   "' is not a regular file");
  }
  try {
    // Read-only: this connection never writes, creates, nor checkpoints the
    // file when it closes last. Only the poller thread uses it, so SQLite's
    // per-call connection mutex is left out (about a tenth of a full read).
    db_ = std::make_unique<SQLite::Database>(
        path_, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX,
        static_cast<int>(busy_timeout_.count()));
    db_->exec("PRAGMA query_only = 1");
    db_->exec(kPageCachePragma);
  } catch (const SQLite::Exception& e) {
    db_.reset();
    return SqliteErrorToStatus(e.getErrorCode(),
                               "open state database '" + path_ + "'", e.what());
  }
  inode_ = static_cast<uint64_t>(st.st_ino);
  device_ = static_cast<uint64_t>(st.st_dev);
  CheckFile();  // remember the file's size and time as opened
  Status s = CheckSchema();
  if (!s.ok()) Close();
  return s;
}

Status StateReader::CheckSchema() {
  return Guard("check schema of '" + path_ + "'", [&]() -> Status {
    auto runs = SelectList(*db_, "runs",
                           {{"run_id", true},
                            {"project_id", true},
                            {"phase_id", true},
                            {"workstream_id", false},
                            {"state", true},
                            {"created_at", true},
                            {"started_at", false},
                            {"ended_at", false}});
    if (!runs.ok()) return runs.status();
    auto steps = SelectList(*db_, "steps",
                            {{"step_id", true},
                             {"name", true},
                             {"state", true},
                             {"started_at", false},
                             {"ended_at", false},
                             {"error_message", false}});
    if (!steps.ok()) return steps.status();
    auto events = SelectList(*db_, "events",
                             {{"id", true},
                              {"run_id", false},
                              {"event_type", true},
                              {"severity", true},
                              {"timestamp", true}});
    if (!events.ok()) return events.status();
    runs_select_ = *runs;
    // Error texts can be kilobytes: read a bounded prefix.
    steps_select_ = *steps;
    const std::string em = ", error_message";
    if (auto pos = steps_select_.rfind(em);
        pos != std::string::npos && pos + em.size() == steps_select_.size()) {
      steps_select_.replace(pos, em.size(), ", substr(error_message, 1, 4096)");
    }
    events_select_ = *events;
    stmts_ = std::make_unique<Statements>(*db_, runs_select_, steps_select_,
                                          events_select_);
    return Status::Ok();
  });
}

void StateReader::Close() {
  if (in_transaction_ && db_) {
    try {
      db_->exec("ROLLBACK");
    } catch (...) {
    }
  }
  in_transaction_ = false;
  stmts_.reset();
  db_.reset();
}

Result<int64_t> StateReader::DataVersion() {
  int64_t version = 0;
  Status s = Guard("read data_version", [&]() -> Status {
    ResetOnExit reset(stmts_->data_version);
    if (!stmts_->data_version.executeStep()) {
      return Status::Internal("no data_version");
    }
    version = stmts_->data_version.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return version;
}

Status StateReader::Begin() {
  return Guard("begin read transaction", [&]() -> Status {
    db_->exec("BEGIN");
    in_transaction_ = true;
    return Status::Ok();
  });
}

void StateReader::End() {
  if (!in_transaction_ || !db_) return;
  in_transaction_ = false;
  try {
    db_->exec("COMMIT");
  } catch (...) {
    try {
      db_->exec("ROLLBACK");
    } catch (...) {
    }
  }
}

Result<int64_t> StateReader::MaxEventId() {
  int64_t id = 0;
  Status s = Guard("read max event id", [&]() -> Status {
    ResetOnExit reset(stmts_->max_event);
    if (stmts_->max_event.executeStep()) {
      id = stmts_->max_event.getColumn(0).getInt64();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return id;
}

Result<std::vector<EventRow>> StateReader::EventsAfter(int64_t after_id,
                                                       std::size_t limit) {
  std::vector<EventRow> events;
  Status s = Guard("read events", [&]() -> Status {
    auto& q = stmts_->events_after;
    ResetOnExit reset(q);
    q.bind(1, static_cast<int64_t>(after_id));
    q.bind(2, static_cast<int64_t>(limit));
    while (q.executeStep()) {
      EventRow e;
      e.id = q.getColumn(0).getInt64();
      e.run_id = String(q, 1);
      e.event_type = String(q, 2);
      e.severity = String(q, 3);
      e.timestamp = parse_errors_->Timestamp("events.timestamp",
                                             std::to_string(e.id), Text(q, 4));
      events.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return events;
}

Result<std::vector<std::pair<std::string, double>>>
StateReader::LatestEventTimes(
    const std::unordered_set<std::string_view>& wanted) {
  std::vector<std::pair<std::string, double>> out;
  Status s = Guard("read latest event per run", [&]() -> Status {
    out.clear();
    if (wanted.empty()) return Status::Ok();
    std::unordered_set<std::string_view> seen;
    seen.reserve(wanted.size());
    SQLite::Statement q(*db_,
                        "SELECT id, run_id, timestamp FROM events "
                        "WHERE run_id IS NOT NULL ORDER BY id DESC");
    while (seen.size() < wanted.size() && q.executeStep()) {
      const SQLite::Column run = q.getColumn(1);
      const std::string_view id(static_cast<const char*>(run.getText()),
                                static_cast<std::size_t>(run.getBytes()));
      auto it = wanted.find(id);
      if (it == wanted.end() || !seen.insert(*it).second) continue;
      auto ts = parse_errors_->Timestamp(
          "events.timestamp", std::to_string(q.getColumn(0).getInt64()),
          Text(q, 2));
      if (ts) out.emplace_back(std::string(id), *ts);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

namespace {

void AssignText(SQLite::Statement& stmt, int col, std::string* out) {
  const char* t = Text(stmt, col);
  if (t == nullptr) {
    out->clear();
  } else {
    out->assign(t);
  }
}

// Into *r, reusing its strings' storage: a full read of 200k rows then
// allocates nothing per row.
void ReadRunRowInto(SQLite::Statement& q, ParseErrors* parse_errors,
                    StateReader::RunWithRowid* r) {
  r->rowid = q.getColumn(0).getInt64();
  RunRow& run = r->run;
  AssignText(q, 1, &run.run_id);
  AssignText(q, 2, &run.project);
  AssignText(q, 3, &run.phase);
  AssignText(q, 4, &run.workstream);
  const char* state = Text(q, 5);
  run.state = ParseRunState(state ? std::string_view(state) : "");
  run.created_at =
      parse_errors->Timestamp("runs.created_at", run.run_id, Text(q, 6));
  run.started_at =
      parse_errors->Timestamp("runs.started_at", run.run_id, Text(q, 7));
  run.ended_at =
      parse_errors->Timestamp("runs.ended_at", run.run_id, Text(q, 8));
}

StateReader::RunWithRowid ReadRunRow(SQLite::Statement& q,
                                     ParseErrors* parse_errors) {
  StateReader::RunWithRowid r;
  ReadRunRowInto(q, parse_errors, &r);
  return r;
}

}  // namespace

Status StateReader::ForEachRun(
    const std::function<void(const RunWithRowid&)>& fn) {
  return Guard("read all runs", [&]() -> Status {
    ResetOnExit reset(stmts_->all_runs);
    RunWithRowid row;
    while (stmts_->all_runs.executeStep()) {
      ReadRunRowInto(stmts_->all_runs, parse_errors_, &row);
      fn(row);
    }
    return Status::Ok();
  });
}

Result<std::vector<StateReader::RunWithRowid>> StateReader::RunsAfterRowid(
    int64_t rowid) {
  std::vector<RunWithRowid> runs;
  Status s = Guard("read new runs", [&]() -> Status {
    auto& q = stmts_->runs_after;
    ResetOnExit reset(q);
    q.bind(1, static_cast<int64_t>(rowid));
    while (q.executeStep()) runs.push_back(ReadRunRow(q, parse_errors_));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return runs;
}

Result<std::optional<StateReader::RunWithRowid>> StateReader::Run(
    const std::string& run_id) {
  std::optional<RunWithRowid> run;
  Status s = Guard("read run", [&]() -> Status {
    auto& q = stmts_->run_by_id;
    ResetOnExit reset(q);
    q.bind(1, run_id);
    if (q.executeStep()) run = ReadRunRow(q, parse_errors_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return run;
}

Result<int64_t> StateReader::CountRuns() {
  int64_t count = 0;
  Status s = Guard("count runs", [&]() -> Status {
    ResetOnExit reset(stmts_->count_runs);
    if (stmts_->count_runs.executeStep()) {
      count = stmts_->count_runs.getColumn(0).getInt64();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return count;
}

Result<StepSummary> StateReader::Steps(const std::string& run_id) {
  StepSummary summary;
  Status s = Guard("read steps", [&]() -> Status {
    auto& q = stmts_->steps;
    ResetOnExit reset(q);
    q.bind(1, run_id);
    // The first failed step: earliest end, then start, then id.
    using Key = std::tuple<double, double, std::string>;
    std::optional<Key> first_failed;
    while (q.executeStep()) {
      const std::string step_id = String(q, 0);
      const StepState state = ParseStepState(String(q, 2));
      const auto key = [&] { return run_id + "/" + step_id; };
      auto started =
          parse_errors_->TimestampKeyedBy("steps.started_at", key, Text(q, 3));
      auto ended =
          parse_errors_->TimestampKeyedBy("steps.ended_at", key, Text(q, 4));
      if (state == StepState::kUnknown) {
        ++summary.unknown;
      } else {
        ++summary.counts[static_cast<int>(state)];
      }
      for (const auto& t : {started, ended}) {
        if (t && (!summary.last_activity || *t > *summary.last_activity)) {
          summary.last_activity = t;
        }
      }
      if (state == StepState::kFailed) {
        constexpr double kNever = 1e300;
        Key k{ended.value_or(kNever), started.value_or(kNever), step_id};
        if (!first_failed || k < *first_failed) {
          first_failed = k;
          std::string name = String(q, 1);
          summary.failed_step = name.empty() ? step_id : name;
          summary.failed_reason = String(q, 5);
        }
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return summary;
}

}  // namespace pe
