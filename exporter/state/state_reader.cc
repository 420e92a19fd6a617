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
#include "exporter/common/sqlite_statement.h"
#include "exporter/common/sqlite_status.h"

namespace pe {

struct StateReader::Statements {
  // event_run_id: "run_id", or "NULL" when the events table has no such
  // column (no event is then tied to a run).
  explicit Statements(SQLite::Database& db, const std::string& runs,
                      const std::string& steps, const std::string& events,
                      const std::string& event_run_id)
      : data_version(db, "PRAGMA data_version"),
        max_event(db, "SELECT COALESCE(MAX(id), 0) FROM events"),
        events_after(db, "SELECT " + events +
                             " FROM events WHERE id > ? ORDER BY id LIMIT ?"),
        all_runs(db,
                 "SELECT rowid, " + runs + " FROM runs ORDER BY rowid DESC"),
        runs_after(db, "SELECT rowid, " + runs +
                           " FROM runs WHERE rowid > ? ORDER BY rowid"),
        run_by_id(db, "SELECT rowid, " + runs + " FROM runs WHERE run_id = ?"),
        count_runs(db, "SELECT COUNT(*) FROM runs"),
        events_newest_first(db, "SELECT id, " + event_run_id +
                                    ", timestamp FROM events WHERE " +
                                    event_run_id +
                                    " IS NOT NULL ORDER BY id DESC"),
        event_timestamp(db, "SELECT timestamp FROM events WHERE id = ?"),
        steps(db, "SELECT " + steps + " FROM steps WHERE run_id = ?") {}

  SqliteStatement data_version;
  SqliteStatement max_event;
  SqliteStatement events_after;
  SqliteStatement all_runs;
  SqliteStatement runs_after;
  SqliteStatement run_by_id;
  SqliteStatement count_runs;
  // Stepped across calls within a read transaction; reset by End().
  SqliteStatement events_newest_first;
  SqliteStatement event_timestamp;
  SqliteStatement steps;
};

namespace {

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
    const std::string event_run_id =
        events_select_.find("run_id") != std::string::npos ? "run_id" : "NULL";
    stmts_ = std::make_unique<Statements>(*db_, runs_select_, steps_select_,
                                          events_select_, event_run_id);
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
    if (!stmts_->data_version.Step()) {
      return Status::Internal("no data_version");
    }
    version = stmts_->data_version.Int64(0);
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
  if (stmts_) stmts_->events_newest_first.Reset();
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
    if (stmts_->max_event.Step()) id = stmts_->max_event.Int64(0);
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
    q.Bind(1, static_cast<int64_t>(after_id));
    q.Bind(2, static_cast<int64_t>(limit));
    while (q.Step()) {
      EventRow e;
      e.id = q.Int64(0);
      e.run_id = q.Text(1);
      e.event_type = q.Text(2);
      e.severity = q.Text(3);
      e.timestamp = parse_errors_->TimestampKeyedBy(
          parsed_field::kEventTimestamp, [&] { return std::to_string(e.id); },
          q.Text(4));
      events.push_back(std::move(e));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return events;
}

Status StateReader::NextEventsNewestFirst(
    std::size_t max_rows, bool* more,
    const std::function<bool(int64_t id, std::string_view run_id,
                             std::string_view timestamp)>& fn) {
  return Guard("read events newest first", [&]() -> Status {
    auto& q = stmts_->events_newest_first;
    *more = true;
    for (std::size_t n = 0; n < max_rows; ++n) {
      if (!q.Step()) {
        *more = false;
        q.Reset();
        break;
      }
      if (!fn(q.Int64(0), q.Text(1), q.Text(2))) break;
    }
    return Status::Ok();
  });
}

Result<std::string> StateReader::EventTimestamp(int64_t id) {
  std::string timestamp;
  Status s = Guard("read event timestamp", [&]() -> Status {
    auto& q = stmts_->event_timestamp;
    ResetOnExit reset(q);
    q.Bind(1, id);
    if (q.Step()) timestamp = q.Text(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return timestamp;
}

namespace {

// The current row of a runs query, each field read when asked for: the end
// parsed once, the other timestamps only by Fill.
class ScannedRun final : public RunRowSource {
 public:
  ScannedRun(const SqliteStatement& q, ParseErrors* parse_errors)
      : q_(q), parse_errors_(parse_errors) {}
  void Next() { ended_read_ = false; }

  std::string_view run_id() const override { return q_.Text(1); }
  std::string_view project() const override { return q_.Text(2); }
  std::string_view phase() const override { return q_.Text(3); }
  RunState state() const override { return ParseRunState(q_.Text(5)); }
  std::optional<double> ended_at() const override {
    if (!ended_read_) {
      ended_ = parse_errors_->Timestamp(parsed_field::kRunEndedAt, run_id(),
                                        q_.Text(8));
      ended_read_ = true;
    }
    return ended_;
  }
  void Fill(RunRow* run) const override {
    run->run_id.assign(run_id());
    run->project.assign(project());
    run->phase.assign(phase());
    run->workstream.assign(q_.Text(4));
    run->state = state();
    run->created_at = parse_errors_->Timestamp(parsed_field::kRunCreatedAt,
                                               run->run_id, q_.Text(6));
    run->started_at = parse_errors_->Timestamp(parsed_field::kRunStartedAt,
                                               run->run_id, q_.Text(7));
    run->ended_at = ended_at();
  }

 private:
  const SqliteStatement& q_;
  ParseErrors* parse_errors_;
  mutable bool ended_read_ = false;
  mutable std::optional<double> ended_;
};

StateReader::RunWithRowid ReadRunRow(const SqliteStatement& q,
                                     ParseErrors* parse_errors) {
  StateReader::RunWithRowid r;
  r.rowid = q.Int64(0);
  ScannedRun(q, parse_errors).Fill(&r.run);
  return r;
}

}  // namespace

Status StateReader::ForEachRun(
    const std::function<void(int64_t rowid, const RunRowSource&)>& fn) {
  return Guard("read all runs", [&]() -> Status {
    auto& q = stmts_->all_runs;
    ResetOnExit reset(q);
    ScannedRun row(q, parse_errors_);
    while (q.Step()) {
      row.Next();
      fn(q.Int64(0), row);
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
    q.Bind(1, static_cast<int64_t>(rowid));
    while (q.Step()) runs.push_back(ReadRunRow(q, parse_errors_));
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
    q.Bind(1, run_id);
    if (q.Step()) run = ReadRunRow(q, parse_errors_);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return run;
}

Result<int64_t> StateReader::CountRuns() {
  int64_t count = 0;
  Status s = Guard("count runs", [&]() -> Status {
    ResetOnExit reset(stmts_->count_runs);
    if (stmts_->count_runs.Step()) count = stmts_->count_runs.Int64(0);
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
    q.Bind(1, run_id);
    // The first failed step: earliest end, then start, then id.
    using Key = std::tuple<double, double, std::string>;
    std::optional<Key> first_failed;
    while (q.Step()) {
      const std::string_view step_id = q.Text(0);
      const StepState state = ParseStepState(q.Text(2));
      const auto key = [&] { return run_id + "/" + std::string(step_id); };
      auto started = parse_errors_->TimestampKeyedBy(
          parsed_field::kStepStartedAt, key, q.Text(3));
      auto ended = parse_errors_->TimestampKeyedBy(parsed_field::kStepEndedAt,
                                                   key, q.Text(4));
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
        Key k{ended.value_or(kNever), started.value_or(kNever),
              std::string(step_id)};
        if (!first_failed || k < *first_failed) {
          first_failed = std::move(k);
          const std::string_view name = q.Text(1);
          summary.failure = std::make_shared<const StepFailure>(
              StepFailure{std::string(name.empty() ? step_id : name),
                          std::string(q.Text(5))});
        }
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return summary;
}

}  // namespace pe
