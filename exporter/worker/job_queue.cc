#include "exporter/worker/job_queue.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <cstdio>

#include "exporter/worker/iso_time.h"

namespace pe {
namespace {

constexpr const char* kJobColumns =
    "run_id, stage, attempts, next_attempt_at, last_error, lease_owner, "
    "lease_expires_at, run_ended_at, end_sort_key, stage_data";

// The claimable condition; ?1 is now. Its stage test is written exactly
// like the partial index's WHERE so the query planner can use
// exporter_jobs_open. A job last written more than 300 seconds in
// the future (updated_at) was written before the wall clock went back:
// its backoff and lease, computed on that clock, would otherwise hold it
// for as long as the jump, so they are ignored.
constexpr const char* kClaimable =
    "stage NOT IN ('done', 'skipped', 'failed') "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= ?1 "
    "OR pe_unix_time(updated_at) > ?1 + 300) "
    "AND (lease_owner IS NULL OR lease_expires_at IS NULL "
    "OR lease_expires_at <= ?1 OR pe_unix_time(updated_at) > ?1 + 300)";

// Runs the queue takes on: the contract's terminal states.
constexpr const char* kTerminalRunStates =
    "('succeeded', 'partial', 'failed', 'quarantined', 'canceled')";
// A run's place in the queue: ended_at, else created_at, else last.
constexpr const char* kRunSortKey =
    "COALESCE(pe_unix_time(r.ended_at), pe_unix_time(r.created_at), 9e15)";

std::optional<double> OptionalReal(SQLite::Statement& q, int col) {
  if (q.isColumnNull(col)) return std::nullopt;
  return q.getColumn(col).getDouble();
}

std::string Text(SQLite::Statement& q, int col) {
  return q.isColumnNull(col) ? std::string() : q.getColumn(col).getString();
}

Job ReadJob(SQLite::Statement& q) {
  Job job;
  job.run_id = Text(q, 0);
  job.stage = ParseJobStage(Text(q, 1)).value_or(JobStage::kFailed);
  job.attempts = q.getColumn(2).getInt64();
  job.next_attempt_at = OptionalReal(q, 3);
  job.last_error = Text(q, 4);
  job.lease_owner = Text(q, 5);
  job.lease_expires_at = OptionalReal(q, 6);
  job.run_ended_at = Text(q, 7);
  job.end_sort_key = OptionalReal(q, 8).value_or(0);
  job.stage_data = Text(q, 9);
  return job;
}

std::optional<Job> SelectJob(SQLite::Database& db, const std::string& run_id) {
  SQLite::Statement q(db, std::string("SELECT ") + kJobColumns +
                              " FROM exporter_jobs WHERE run_id = ?");
  q.bind(1, run_id);
  if (!q.executeStep()) return std::nullopt;
  return ReadJob(q);
}

Status InsertEvents(SQLite::Database& db,
                    const std::vector<WorkerEvent>& events, double now) {
  for (const WorkerEvent& event : events) {
    Status status = InsertWorkerEvent(db, event, now);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status ValidateEvents(const std::vector<WorkerEvent>& events) {
  for (const WorkerEvent& event : events) {
    Status status = ValidateWorkerEvent(event);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> JobQueue::Enqueue(double now, std::size_t limit) {
  // Phase one reads, without a write lock, which terminal runs have no job
  // yet (a scan of the runs table, slow on a large one), so that an idle poll
  // never takes the write lock and a busy one holds it only for the inserts.
  std::vector<std::string> ids;
  Status status =
      store_->Read("find runs to enqueue", [&](SQLite::Database& db) {
        ids.clear();
        SQLite::Statement q(
            db, std::string("SELECT r.run_id, ") + kRunSortKey +
                    " AS sort_key FROM runs AS r WHERE r.state IN " +
                    kTerminalRunStates +
                    " AND NOT EXISTS (SELECT 1 FROM exporter_jobs AS j "
                    "WHERE j.run_id = r.run_id) AND sort_key >= ?2 "
                    "ORDER BY sort_key, r.run_id LIMIT ?1");
        q.bind(1, static_cast<int64_t>(limit));
        q.bind(2, fresh_since_);
        while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return Insert(ids, now);
}

Result<int64_t> JobQueue::EnqueueListed(const std::vector<std::string>& run_ids,
                                        double now) {
  // KeepMatching binds only the id: the window's start goes in as text,
  // in full precision (-inf as the lowest double).
  char since[40];
  std::snprintf(since, sizeof since, "%.17g",
                std::max(since_, std::numeric_limits<double>::lowest()));
  auto ids = store_->KeepMatching(
      "find read runs to enqueue",
      std::string(
          "SELECT 1 FROM runs AS r WHERE r.run_id = ? AND r.state IN ") +
          kTerminalRunStates +
          " AND NOT EXISTS (SELECT 1 FROM exporter_jobs AS j "
          "WHERE j.run_id = r.run_id) AND " +
          kRunSortKey + " >= " + since,
      run_ids);
  if (!ids.ok()) return ids.status();
  return Insert(*ids, now);
}

Result<int64_t> JobQueue::EnqueueBackfill(std::size_t limit, double now) {
  std::vector<std::string> ids;
  Status status =
      store_->Read("find history runs to enqueue", [&](SQLite::Database& db) {
        ids.clear();
        SQLite::Statement q(
            db, std::string("SELECT r.run_id, ") + kRunSortKey +
                    " AS sort_key FROM runs AS r WHERE r.state IN " +
                    kTerminalRunStates +
                    " AND NOT EXISTS (SELECT 1 FROM exporter_jobs AS j "
                    "WHERE j.run_id = r.run_id) AND sort_key >= ?1 AND "
                    "sort_key < ?2 ORDER BY sort_key DESC, r.run_id DESC "
                    "LIMIT ?3");
        q.bind(1, since_);
        q.bind(2, fresh_since_);
        q.bind(3, static_cast<int64_t>(limit));
        while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return Insert(ids, now);
}

Result<HistoryCounts> JobQueue::CountHistory() {
  HistoryCounts counts;
  Status status = store_->Read("count history runs", [&](SQLite::Database& db) {
    SQLite::Statement q(
        db, std::string("SELECT COALESCE(SUM(k >= ?1), 0), "
                        "COALESCE(SUM(k < ?1), 0) FROM (SELECT ") +
                kRunSortKey + " AS k FROM runs AS r WHERE r.state IN " +
                kTerminalRunStates +
                " AND NOT EXISTS (SELECT 1 FROM exporter_jobs AS j "
                "WHERE j.run_id = r.run_id)) WHERE k < ?2");
    q.bind(1, since_);
    q.bind(2, fresh_since_);
    q.executeStep();
    counts.pending = q.getColumn(0).getInt64();
    counts.skipped = q.getColumn(1).getInt64();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return counts;
}

Result<bool> JobQueue::AnyClaimable(double now) {
  bool any = false;
  Status status =
      store_->Read("look for claimable jobs", [&](SQLite::Database& db) {
        SQLite::Statement q(
            db, std::string("SELECT 1 FROM exporter_jobs WHERE ") + kClaimable +
                    " LIMIT 1");
        q.bind(1, now);
        any = q.executeStep();
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return any;
}

Result<int64_t> JobQueue::Insert(const std::vector<std::string>& ids,
                                 double now) {
  if (ids.empty()) return int64_t{0};
  // Phase two inserts them, checking again that each run is still there and
  // terminal; a run another exporter enqueued meanwhile is ignored.
  int64_t added = 0;
  Status status =
      store_->Write("enqueue terminal runs", [&](SQLite::Database& db) {
        added = 0;
        SQLite::Statement q(
            db,
            std::string("INSERT OR IGNORE INTO exporter_jobs (run_id, stage, "
                        "attempts, updated_at, run_ended_at, end_sort_key, "
                        "enqueued_at) SELECT r.run_id, 'queued', 0, ?1, "
                        "r.ended_at, ") +
                kRunSortKey + ", ?1 FROM runs AS r WHERE r.run_id = ?2 " +
                "AND r.state IN " + kTerminalRunStates);
        const std::string stamp = FormatIsoUtc(now);
        for (const std::string& run_id : ids) {
          q.bind(1, stamp);
          q.bind(2, run_id);
          added += q.exec();
          q.reset();
        }
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return added;
}

Result<std::vector<Job>> JobQueue::Claim(const std::string& owner,
                                         double lease_seconds, double now,
                                         std::size_t max) {
  if (owner.empty()) return Status::InvalidArgument("claim: empty owner");
  std::vector<Job> claimed;
  Status status = store_->Write("claim jobs", [&](SQLite::Database& db) {
    claimed.clear();
    std::vector<std::string> ids;
    // Fresh jobs first, oldest end first; then history, newest end first.
    for (const char* order : {"end_sort_key >= ?3 ORDER BY end_sort_key, "
                              "run_id LIMIT ?2",
                              "end_sort_key < ?3 ORDER BY end_sort_key DESC, "
                              "run_id DESC LIMIT ?2"}) {
      if (ids.size() >= max) break;
      SQLite::Statement pick(db, std::string("SELECT run_id FROM exporter_jobs "
                                             "WHERE ") +
                                     kClaimable + " AND " + order);
      pick.bind(1, now);
      pick.bind(2, static_cast<int64_t>(max - ids.size()));
      pick.bind(3, fresh_since_);
      while (pick.executeStep()) ids.push_back(pick.getColumn(0).getString());
    }
    SQLite::Statement lease(
        db, std::string("UPDATE exporter_jobs SET lease_owner = ?2, "
                        "lease_expires_at = ?3, updated_at = ?4 "
                        "WHERE run_id = ?5 AND ") +
                kClaimable);
    for (const std::string& run_id : ids) {
      lease.bind(1, now);
      lease.bind(2, owner);
      lease.bind(3, now + lease_seconds);
      lease.bind(4, FormatIsoUtc(now));
      lease.bind(5, run_id);
      const int changed = lease.exec();
      lease.reset();
      if (changed != 1) continue;  // cannot happen under IMMEDIATE; be safe
      if (auto job = SelectJob(db, run_id)) {
        job->backfill = job->end_sort_key < fresh_since_;
        claimed.push_back(std::move(*job));
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return claimed;
}

template <typename Fn>
Result<LeaseStatus> JobQueue::WithLease(const std::string& what,
                                        const std::string& owner,
                                        const std::string& run_id, double now,
                                        Fn&& work) {
  LeaseStatus lease = LeaseStatus::kLost;
  Status status = store_->Write(
      what + " of run '" + run_id + "'", [&](SQLite::Database& db) {
        lease = LeaseStatus::kLost;
        {
          SQLite::Statement check(
              db,
              "SELECT 1 FROM exporter_jobs WHERE run_id = ? "
              "AND lease_owner = ? AND lease_expires_at > ?");
          check.bind(1, run_id);
          check.bind(2, owner);
          check.bind(3, now);
          if (!check.executeStep()) return Status::Ok();
        }
        Status done = work(db);
        if (!done.ok()) return done;
        lease = LeaseStatus::kHeld;
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return lease;
}

Result<LeaseStatus> JobQueue::Renew(const std::string& owner,
                                    const std::string& run_id,
                                    double lease_seconds, double now) {
  return WithLease(
      "renew lease", owner, run_id, now, [&](SQLite::Database& db) {
        SQLite::Statement q(db,
                            "UPDATE exporter_jobs SET lease_expires_at = ?, "
                            "updated_at = ? WHERE run_id = ?");
        q.bind(1, now + lease_seconds);
        q.bind(2, FormatIsoUtc(now));
        q.bind(3, run_id);
        q.exec();
        return Status::Ok();
      });
}

Result<LeaseStatus> JobQueue::Advance(const std::string& owner,
                                      const std::string& run_id,
                                      JobStage new_stage, double now,
                                      const AdvanceEffects& effects) {
  if (new_stage == JobStage::kFailed) {
    return Status::InvalidArgument("advance to failed: use Fail");
  }
  Status valid = ValidateEvents(effects.events);
  if (!valid.ok()) return valid;
  const bool final_stage = IsFinalJobStage(new_stage);
  return WithLease(
      std::string("advance to ") + JobStageName(new_stage), owner, run_id, now,
      [&](SQLite::Database& db) {
        SQLite::Statement q(
            db, final_stage
                    ? "UPDATE exporter_jobs SET stage = ?1, updated_at = ?2, "
                      "next_attempt_at = NULL, lease_owner = NULL, "
                      "lease_expires_at = NULL, stage_data = ?4 "
                      "WHERE run_id = ?3"
                    : "UPDATE exporter_jobs SET stage = ?1, updated_at = ?2, "
                      "next_attempt_at = NULL, stage_data = ?4 "
                      "WHERE run_id = ?3");
        q.bind(1, JobStageName(new_stage));
        q.bind(2, FormatIsoUtc(now));
        q.bind(3, run_id);
        if (effects.stage_data.empty()) {
          q.bind(4);
        } else {
          q.bind(4, effects.stage_data);
        }
        q.exec();
        if (effects.archive) UpsertArchive(db, run_id, *effects.archive);
        if (effects.report) UpsertReport(db, run_id, *effects.report);
        if (effects.worktree_deleted_at) {
          MarkWorktreeDeleted(db, run_id, *effects.worktree_deleted_at);
        }
        return InsertEvents(db, effects.events, now);
      });
}

Result<LeaseStatus> JobQueue::Fail(const std::string& owner,
                                   const std::string& run_id,
                                   const std::string& error,
                                   std::optional<double> retry_at, double now,
                                   const std::vector<WorkerEvent>& events,
                                   std::optional<JobStage> retry_from) {
  Status valid = ValidateEvents(events);
  if (!valid.ok()) return valid;
  if (retry_from && IsFinalJobStage(*retry_from)) {
    return Status::InvalidArgument(std::string("retry from final stage ") +
                                   JobStageName(*retry_from));
  }
  return WithLease(
      "record failure", owner, run_id, now, [&](SQLite::Database& db) {
        // Given up: failed. Retried from another stage: that stage, without
        // the data of the one it leaves.
        const char* stage_update = !retry_at ? ", stage = 'failed'"
                                   : retry_from
                                       ? ", stage = ?5, stage_data = NULL"
                                       : "";
        SQLite::Statement q(
            db, std::string("UPDATE exporter_jobs SET attempts = attempts + 1, "
                            "last_error = ?1, next_attempt_at = ?2, "
                            "updated_at = ?3, lease_owner = NULL, "
                            "lease_expires_at = NULL") +
                    stage_update + " WHERE run_id = ?4");
        q.bind(1, error);
        if (retry_at) {
          q.bind(2, *retry_at);
        } else {
          q.bind(2);
        }
        q.bind(3, FormatIsoUtc(now));
        q.bind(4, run_id);
        if (retry_at && retry_from) q.bind(5, JobStageName(*retry_from));
        q.exec();
        return InsertEvents(db, events, now);
      });
}

Result<LeaseStatus> JobQueue::Release(const std::string& owner,
                                      const std::string& run_id, double now) {
  return WithLease(
      "release lease", owner, run_id, now, [&](SQLite::Database& db) {
        SQLite::Statement q(db,
                            "UPDATE exporter_jobs SET lease_owner = NULL, "
                            "lease_expires_at = NULL, updated_at = ? "
                            "WHERE run_id = ?");
        q.bind(1, FormatIsoUtc(now));
        q.bind(2, run_id);
        q.exec();
        return Status::Ok();
      });
}

Result<std::optional<Job>> JobQueue::Get(const std::string& run_id) {
  std::optional<Job> job;
  Status status = store_->Read("read job", [&](SQLite::Database& db) {
    job = SelectJob(db, run_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return job;
}

Result<int64_t> JobQueue::Backlog() {
  int64_t count = 0;
  Status status = store_->Read("count backlog", [&](SQLite::Database& db) {
    // Open jobs through the partial index exporter_jobs_open, failed ones
    // through exporter_jobs_stage: what the backlog holds, not every job.
    SQLite::Statement q(db,
                        "SELECT (SELECT COUNT(*) FROM exporter_jobs "
                        "INDEXED BY exporter_jobs_open WHERE "
                        "stage NOT IN ('done', 'skipped', 'failed')) + "
                        "(SELECT COUNT(*) FROM exporter_jobs "
                        "WHERE stage = 'failed')");
    q.executeStep();
    count = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return count;
}

Result<int64_t> JobQueue::ForgetPrunedRuns(std::size_t limit) {
  std::vector<std::string> gone;
  Status status =
      store_->Read("find jobs of pruned runs", [&](SQLite::Database& db) {
        gone.clear();
        SQLite::Statement q(db,
                            "SELECT j.run_id FROM exporter_jobs j "
                            "WHERE j.stage IN ('done', 'skipped', 'failed') "
                            "AND NOT EXISTS (SELECT 1 FROM runs r "
                            "WHERE r.run_id = j.run_id) LIMIT ?");
        q.bind(1, static_cast<int64_t>(limit));
        while (q.executeStep()) gone.push_back(q.getColumn(0).getString());
        return Status::Ok();
      });
  if (!status.ok()) return status;
  if (gone.empty()) return int64_t{0};
  int64_t deleted = 0;
  status =
      store_->Write("forget jobs of pruned runs", [&](SQLite::Database& db) {
        deleted = 0;
        SQLite::Statement q(db,
                            "DELETE FROM exporter_jobs WHERE run_id = ? "
                            "AND stage IN ('done', 'skipped', 'failed') "
                            "AND NOT EXISTS (SELECT 1 FROM runs r "
                            "WHERE r.run_id = exporter_jobs.run_id)");
        for (const std::string& run_id : gone) {
          q.bind(1, run_id);
          deleted += q.exec();
          q.reset();
        }
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return deleted;
}

Result<std::vector<std::string>> JobQueue::RunsWritingArchives(double now) {
  std::vector<std::string> runs;
  Status status =
      store_->Read("list jobs writing archives", [&](SQLite::Database& db) {
        runs.clear();
        // Only open jobs hold leases (a final stage clears it) or wait in
        // archived: the partial index exporter_jobs_open keeps this to them.
        SQLite::Statement q(
            db,
            "SELECT run_id FROM exporter_jobs "
            "INDEXED BY exporter_jobs_open WHERE "
            "stage NOT IN ('done', 'skipped', 'failed') AND "
            "(stage = 'archived' OR "
            "(lease_owner IS NOT NULL AND lease_expires_at > ?))");
        q.bind(1, now);
        while (q.executeStep()) runs.push_back(q.getColumn(0).getString());
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return runs;
}

Result<std::map<JobStage, int64_t>> JobQueue::StageCounts() {
  std::map<JobStage, int64_t> counts;
  Status status = store_->Read("count stages", [&](SQLite::Database& db) {
    counts.clear();
    for (JobStage stage : kAllJobStages) counts[stage] = 0;
    SQLite::Statement q(
        db, "SELECT stage, COUNT(*) FROM exporter_jobs GROUP BY stage");
    while (q.executeStep()) {
      if (auto stage = ParseJobStage(q.getColumn(0).getString())) {
        counts[*stage] = q.getColumn(1).getInt64();
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return counts;
}

}  // namespace pe
