#ifndef PIPELINE_EXPORTER_WORKER_WORKER_STORE_H_
#define PIPELINE_EXPORTER_WORKER_WORKER_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/worker/busy_retry.h"

namespace SQLite {
class Database;
}  // namespace SQLite

namespace pe {

// The completion worker's read-write connection to the orchestrator's
// database. Owns one connection (closed with the object); not thread-safe:
// one WorkerStore per thread. Everything the worker writes goes through
// Write(): one short BEGIN IMMEDIATE transaction, retried as a whole while
// the database is busy (BusyRetry), committed or rolled back entirely.
// Callers do their file I/O between calls, never inside one.
class WorkerStore {
 public:
  // Opens an existing file read-write (never creates it), checks that the
  // orchestrator's tables runs, steps and events are there (NotFound if not)
  // and creates the exporter's own tables (worker_schema.h) in one write
  // transaction with busy retry. A missing file is NotFound.
  static Result<std::unique_ptr<WorkerStore>> Open(const std::string& path,
                                                   BusyRetryPolicy retry);
  ~WorkerStore();
  WorkerStore(const WorkerStore&) = delete;
  WorkerStore& operator=(const WorkerStore&) = delete;

  using Work = std::function<Status(SQLite::Database&)>;

  // Runs work inside one IMMEDIATE transaction: committed if work returns
  // OK, rolled back if it returns an error or throws. Retried from the
  // start while busy, so work must reset any output it fills in. Returns
  // Busy only after the retry budget, with nothing written.
  Status Write(const std::string& what, const Work& work);

  // Runs read-only work outside any explicit transaction (each statement
  // sees its own snapshot), with the same busy retry. Statements must be
  // local to work, so none outlives the call.
  Status Read(const std::string& what, const Work& work);

  // The ids, in the order given, for which `sql` (a query whose one
  // parameter is the id, meant to look it up by key) returns a row; one
  // Read. What a pass over a list of runs costs: the list, not the table.
  Result<std::vector<std::string>> KeepMatching(
      const std::string& what, const std::string& sql,
      const std::vector<std::string>& ids);

  // Whether the file at path() is no longer the one this store opened (it
  // was deleted, or replaced by another file): the caller then drops the
  // store and opens the new file, as the poller does. Only stat()s the
  // path: opening it would release this process's locks on the file.
  bool FileReplaced() const;

  // When a worker first ran on this database (exporter_meta
  // kFirstStartKey, Unix seconds), recording now if none did yet; runs that
  // ended before it are history (backfill.h). A read, and one short write
  // the first time only.
  Result<double> FirstStart(double now);

  // Whether runs has the updated_at column (older files lack it).
  bool runs_has_updated_at() const { return runs_has_updated_at_; }
  const std::string& path() const { return path_; }
  const BusyRetry& retry() const { return retry_; }

 private:
  WorkerStore(std::string path, BusyRetryPolicy retry);
  Status Init();

  std::string path_;
  BusyRetry retry_;
  std::unique_ptr<SQLite::Database> db_;
  bool runs_has_updated_at_ = false;
  unsigned long long device_ = 0;
  unsigned long long inode_ = 0;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_WORKER_STORE_H_
