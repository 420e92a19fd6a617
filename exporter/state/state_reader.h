#ifndef PIPELINE_EXPORTER_STATE_STATE_READER_H_
#define PIPELINE_EXPORTER_STATE_STATE_READER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/state/parse_errors.h"
#include "exporter/state/run_model.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace pe {

// Read-only access to the orchestrator's database through one connection,
// used by one thread. Every query is a prepared statement that is reset
// after use, so no read snapshot outlives a ReadTransaction; the file is
// never created, written or changed in schema.
//
// Errors come back as Status: NotFound for a missing file, table or column;
// Busy when locked past the busy timeout; Corruption for a damaged file.
// After any error the caller should Close() and Open() again later.
class StateReader {
 public:
  StateReader(std::string path, std::chrono::milliseconds busy_timeout,
              ParseErrors* parse_errors);
  ~StateReader();
  StateReader(const StateReader&) = delete;
  StateReader& operator=(const StateReader&) = delete;

  // Opens the file and checks the schema. OK if already open on the same
  // file; a file replaced since (other inode) is reopened.
  Status Open();
  void Close();
  bool is_open() const;
  // True if the path now names another file than the one open (deleted,
  // replaced, or recreated by the orchestrator).
  bool FileReplaced() const;
  // How the file changed since the previous call, as far as stat and its
  // first bytes tell. A change made outside SQLite leaves data_version alone,
  // and in WAL mode the connection's page cache would hide it.
  enum class FileChange {
    kNone,
    kWritten,  // size or mtime changed: a checkpoint, most likely
    kSuspect,  // shrank, or no longer starts with the SQLite header
  };
  FileChange CheckFile();

  // PRAGMA data_version: changes whenever another connection commits.
  Result<int64_t> DataVersion();

  // Everything read between Begin and End sees one snapshot of the file.
  Status Begin();
  void End();

  Result<int64_t> MaxEventId();
  // Events with id > after_id in id order, at most limit.
  Result<std::vector<EventRow>> EventsAfter(int64_t after_id,
                                            std::size_t limit);
  // The events tied to a run, newest first (by primary key, never a sort):
  // fn(id, run_id, timestamp text) for at most max_rows more of them, from
  // where the previous call left off in this read transaction, until fn
  // returns false. *more is false once none is left. For start-up
  // (LatestEventScan).
  Status NextEventsNewestFirst(
      std::size_t max_rows, bool* more,
      const std::function<bool(int64_t id, std::string_view run_id,
                               std::string_view timestamp)>& fn);
  // One event's timestamp text; empty if there is no such event.
  Result<std::string> EventTimestamp(int64_t id);

  struct RunWithRowid {
    int64_t rowid;
    RunRow run;
  };
  // Streams every run to fn (no copy of the whole table is kept), newest
  // (highest rowid) first: active and recently ended runs come early. The
  // row is read field by field as fn asks (RunRowSource).
  Status ForEachRun(
      const std::function<void(int64_t rowid, const RunRowSource&)>& fn);
  // Runs inserted after the given rowid, in rowid order.
  Result<std::vector<RunWithRowid>> RunsAfterRowid(int64_t rowid);
  // One run by id; nullopt if it is not there (pruned).
  Result<std::optional<RunWithRowid>> Run(const std::string& run_id);
  Result<int64_t> CountRuns();
  Result<StepSummary> Steps(const std::string& run_id);

  const std::string& path() const { return path_; }

 private:
  struct Statements;
  Status CheckSchema();
  template <typename Fn>
  Status Guard(const std::string& what, Fn&& fn);

  std::string path_;
  std::chrono::milliseconds busy_timeout_;
  ParseErrors* parse_errors_;
  uint64_t inode_ = 0;
  uint64_t device_ = 0;
  int64_t size_ = -1;
  int64_t mtime_ns_ = -1;
  std::string runs_select_;  // column list adapted to the file's schema
  std::string steps_select_;
  std::string events_select_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<Statements> stmts_;  // destroyed before db_
  bool in_transaction_ = false;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_STATE_READER_H_
