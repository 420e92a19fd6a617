#include "exporter/worker/job_queue.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using testing::Count;

using std::chrono::milliseconds;

constexpr double kT0 = 1764929472.0;  // 2025-12-05T10:11:12Z
constexpr double kLease = 60;

BusyRetryPolicy Policy() {
  return {.busy_timeout = milliseconds(2000),
          .max_attempts = 5,
          .initial_backoff = milliseconds(10),
          .max_backoff = milliseconds(100)};
}

// One worker: its own connection and queue.
struct Worker {
  explicit Worker(const std::string& path) {
    auto opened = WorkerStore::Open(path, Policy());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
    queue = std::make_unique<JobQueue>(store.get());
  }
  std::unique_ptr<WorkerStore> store;
  std::unique_ptr<JobQueue> queue;
};

std::vector<std::string> Ids(const std::vector<Job>& jobs) {
  std::vector<std::string> ids;
  for (const Job& job : jobs) ids.push_back(job.run_id);
  return ids;
}

class JobQueueTest : public ::testing::Test {
 protected:
  JobQueueTest() : fixture_(dir_.File("state.db")) {}

  void AddEnded(const std::string& run_id, const std::string& ended_at,
                const std::string& state = "succeeded") {
    fixture_.AddRun({.run_id = run_id, .state = state, .ended_at = ended_at});
  }

  // Enqueues everything and claims one job for owner.
  Job EnqueueAndClaimOne(Worker& w, const std::string& owner, double now) {
    EXPECT_TRUE(w.queue->Enqueue(now, 100).ok());
    auto jobs = w.queue->Claim(owner, kLease, now, 1);
    EXPECT_TRUE(jobs.ok());
    EXPECT_EQ(jobs->size(), 1u);
    return jobs->empty() ? Job{} : jobs->front();
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
};

TEST_F(JobQueueTest, EnqueuesTerminalRunsOldestEndFirstWhateverTheFormat) {
  // Written in every format the contract allows; the text order differs
  // from the time order.
  AddEnded("d", "2025-12-05T12:11:13+02:00");  // 10:11:13Z
  AddEnded("b", "2025-12-05 10:11:11", "partial");
  AddEnded("a", "2025-12-05T10:11:10.5Z", "failed");
  AddEnded("c", "2025-12-05T10:11:12.000001", "canceled");
  AddEnded("e", "2025-12-06T00:00:00", "quarantined");
  fixture_.AddRun({.run_id = "f-no-end",
                   .state = "succeeded",
                   .created_at = "2025-12-05T10:11:12.5"});
  fixture_.AddRun({.run_id = "g-garbage",
                   .state = "succeeded",
                   .created_at = "yesterday",
                   .ended_at = "soon"});
  fixture_.AddRun({.run_id = "running", .state = "running"});
  fixture_.AddRun({.run_id = "pending", .state = "pending"});

  Worker w(fixture_.path());
  auto added = w.queue->Enqueue(kT0, 100);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 7);
  auto again = w.queue->Enqueue(kT0, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  auto jobs = w.queue->Claim("w1", kLease, kT0, 100);
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  EXPECT_EQ(Ids(*jobs), (std::vector<std::string>{"a", "b", "c", "f-no-end",
                                                  "d", "e", "g-garbage"}));
  EXPECT_EQ(jobs->front().stage, JobStage::kQueued);
  EXPECT_EQ(jobs->front().run_ended_at, "2025-12-05T10:11:10.5Z");
  EXPECT_EQ(jobs->front().lease_owner, "w1");
  EXPECT_EQ(jobs->front().lease_expires_at, kT0 + kLease);
}

TEST_F(JobQueueTest, EnqueueTakesTheOldestRunsFirstWhenLimited) {
  AddEnded("late", "2025-12-05T11:00:00");
  AddEnded("early", "2025-12-05T09:00:00");
  Worker w(fixture_.path());
  auto added = w.queue->Enqueue(kT0, 1);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 1);
  auto early = w.queue->Get("early");
  auto late = w.queue->Get("late");
  ASSERT_TRUE(early.ok() && late.ok());
  EXPECT_TRUE(early->has_value());
  EXPECT_FALSE(late->has_value());
}

TEST_F(JobQueueTest, TwoOwnersOnTwoConnectionsNeverClaimTheSameRun) {
  {
    SQLite::Transaction tx(fixture_.db());
    for (int i = 0; i < 200; ++i) {
      AddEnded("run-" + std::to_string(1000 + i), "2025-12-05T10:00:00");
    }
    tx.commit();
  }

  std::vector<std::string> claimed[2];
  std::latch start(2);
  auto work = [&](int index) {
    Worker w(fixture_.path());
    const std::string owner = "owner-" + std::to_string(index);
    start.arrive_and_wait();
    // Both enqueue at once: each run gets exactly one job.
    auto added = w.queue->Enqueue(kT0, 1000);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    for (;;) {
      auto jobs = w.queue->Claim(owner, kLease, kT0, 1 + index);
      ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
      if (jobs->empty()) return;
      for (const Job& job : *jobs) {
        EXPECT_EQ(job.lease_owner, owner);
        claimed[index].push_back(job.run_id);
      }
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();

  std::multiset<std::string> all(claimed[0].begin(), claimed[0].end());
  all.insert(claimed[1].begin(), claimed[1].end());
  EXPECT_EQ(all.size(), 200u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 200u);
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM exporter_jobs"), 200);
}

TEST_F(JobQueueTest, ExpiredLeaseGoesToAnotherOwnerAndTheOldOwnerLosesIt) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker a(fixture_.path()), b(fixture_.path());
  EnqueueAndClaimOne(a, "a", kT0);

  auto early = b.queue->Claim("b", kLease, kT0 + kLease - 1, 10);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty()) << "lease still valid";

  auto late = b.queue->Claim("b", kLease, kT0 + kLease, 10);
  ASSERT_TRUE(late.ok());
  ASSERT_EQ(Ids(*late), std::vector<std::string>{"r1"});

  const double t = kT0 + kLease + 1;
  for (auto result : {a.queue->Advance("a", "r1", JobStage::kArchived, t),
                      a.queue->Renew("a", "r1", kLease, t),
                      a.queue->Fail("a", "r1", "boom", t + 10, t),
                      a.queue->Release("a", "r1", t)}) {
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(*result, LeaseStatus::kLost);
  }
  auto job = b.queue->Get("r1");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->stage, JobStage::kQueued);
  EXPECT_EQ((*job)->attempts, 0);
  EXPECT_EQ((*job)->lease_owner, "b");

  auto advanced = b.queue->Advance("b", "r1", JobStage::kArchived, t);
  ASSERT_TRUE(advanced.ok());
  EXPECT_EQ(*advanced, LeaseStatus::kHeld);
}

TEST_F(JobQueueTest, AnOwnerWhoseLeaseExpiredCannotAdvanceEvenIfNobodyTookIt) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker a(fixture_.path());
  EnqueueAndClaimOne(a, "a", kT0);
  auto renewed = a.queue->Renew("a", "r1", kLease, kT0 + kLease - 1);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, LeaseStatus::kHeld);
  // Renewed at kT0 + 59 for 60 s: still held at kT0 + 100, lost at + 119.
  auto held = a.queue->Advance("a", "r1", JobStage::kArchived, kT0 + 100);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, LeaseStatus::kHeld);
  auto lost = a.queue->Advance("a", "r1", JobStage::kVerified, kT0 + 119);
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ(*lost, LeaseStatus::kLost);
}

TEST_F(JobQueueTest, FailedAttemptWaitsForItsBackoffAndKeepsItsStage) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker w(fixture_.path());
  EnqueueAndClaimOne(w, "w", kT0);
  ASSERT_EQ(*w.queue->Advance("w", "r1", JobStage::kArchived, kT0 + 1),
            LeaseStatus::kHeld);
  auto failed =
      w.queue->Fail("w", "r1", "verify: CRC mismatch", kT0 + 30, kT0 + 2,
                    {{.run_id = "r1",
                      .type = "archival_validation_failed",
                      .severity = "error"}});
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_EQ(*failed, LeaseStatus::kHeld);

  auto job = w.queue->Get("r1");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->attempts, 1);
  EXPECT_EQ((*job)->last_error, "verify: CRC mismatch");
  EXPECT_EQ((*job)->next_attempt_at, kT0 + 30);
  EXPECT_TRUE((*job)->lease_owner.empty());
  EXPECT_EQ(Count(fixture_.db(),
                  "SELECT COUNT(*) FROM events "
                  "WHERE event_type = 'archival_validation_failed'"),
            1);

  auto too_soon = w.queue->Claim("w", kLease, kT0 + 29.5, 10);
  ASSERT_TRUE(too_soon.ok());
  EXPECT_TRUE(too_soon->empty());
  auto due = w.queue->Claim("w", kLease, kT0 + 30, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().stage, JobStage::kArchived);
  EXPECT_EQ(due->front().attempts, 1);
}

TEST_F(JobQueueTest, GivingUpMakesTheJobFailedForGoodButKeepsItInTheBacklog) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker w(fixture_.path());
  EnqueueAndClaimOne(w, "w", kT0);
  ASSERT_EQ(*w.queue->Fail("w", "r1", "too many attempts", std::nullopt, kT0),
            LeaseStatus::kHeld);
  auto job = w.queue->Get("r1");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->stage, JobStage::kFailed);
  auto later = w.queue->Claim("w", kLease, kT0 + 1e6, 10);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->empty());
  EXPECT_EQ(*w.queue->Backlog(), 1);
}

TEST_F(JobQueueTest, AdvanceRecordsItsEffectsInTheSameTransaction) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker w(fixture_.path());
  EnqueueAndClaimOne(w, "w", kT0);

  AdvanceEffects effects{
      .archive = ArchiveRecord{.archive_path = ".archive/r1.zip",
                               .size_bytes = 1234,
                               .sha256 = "ff00",
                               .integrity = "ok",
                               .archived_at = kT0 + 5},
      .events = {{.run_id = "r1",
                  .type = "run_archived",
                  .data_json = R"({"size_bytes": 1234})"}}};
  ASSERT_EQ(*w.queue->Advance("w", "r1", JobStage::kArchived, kT0 + 5, effects),
            LeaseStatus::kHeld);
  EXPECT_EQ(Count(fixture_.db(),
                  "SELECT COUNT(*) FROM archival_log WHERE run_id = 'r1' AND "
                  "archive_path = '.archive/r1.zip' AND size_bytes = 1234"),
            1);
  EXPECT_EQ(Count(fixture_.db(),
                  "SELECT COUNT(*) FROM events WHERE event_type = "
                  "'run_archived'"),
            1);

  // A bad event aborts the whole advance: neither stage nor report change.
  AdvanceEffects bad{.report = ReportRecord{"r.json", "r.html"},
                     .events = {{.run_id = "r1", .type = "run_failed"}}};
  auto rejected =
      w.queue->Advance("w", "r1", JobStage::kReported, kT0 + 6, bad);
  EXPECT_EQ(rejected.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*w.queue->Get("r1"))->stage, JobStage::kArchived);
  EXPECT_EQ(Count(fixture_.db(),
                  "SELECT COUNT(*) FROM archival_log WHERE report_json IS "
                  "NOT NULL"),
            0);
}

TEST_F(JobQueueTest, LostLeaseWritesNoEffects) {
  AddEnded("r1", "2025-12-05T10:00:00");
  Worker w(fixture_.path());
  EnqueueAndClaimOne(w, "w", kT0);
  AdvanceEffects effects{.archive = ArchiveRecord{.archive_path = "x.zip"},
                         .events = {{.run_id = "r1", .type = "run_archived"}}};
  auto result =
      w.queue->Advance("intruder", "r1", JobStage::kArchived, kT0, effects);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, LeaseStatus::kLost);
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM archival_log"), 0);
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM events"), 0);
}

TEST_F(JobQueueTest, RestartResumesFromTheRecordedStage) {
  AddEnded("r1", "2025-12-05T10:00:00");
  AddEnded("r2", "2025-12-05T10:00:01");
  {
    Worker before_crash(fixture_.path());
    EnqueueAndClaimOne(before_crash, "w-old", kT0);
    ASSERT_EQ(*before_crash.queue->Advance("w-old", "r1", JobStage::kVerified,
                                           kT0 + 1),
              LeaseStatus::kHeld);
    // Dies holding the lease: no Release.
  }
  Worker after(fixture_.path());
  auto added = after.queue->Enqueue(kT0 + 2, 100);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 0) << "jobs survive the restart";

  auto while_leased = after.queue->Claim("w-new", kLease, kT0 + 2, 10);
  ASSERT_TRUE(while_leased.ok());
  EXPECT_EQ(Ids(*while_leased), std::vector<std::string>{"r2"});

  auto resumed = after.queue->Claim("w-new", kLease, kT0 + kLease, 10);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(Ids(*resumed), std::vector<std::string>{"r1"});
  EXPECT_EQ(resumed->front().stage, JobStage::kVerified);
}

TEST_F(JobQueueTest, FinishedJobsAreNeverClaimedAgainAndLeaveTheBacklog) {
  AddEnded("r1", "2025-12-05T10:00:00");
  AddEnded("r2", "2025-12-05T10:00:01");
  AddEnded("r3", "2025-12-05T10:00:02");
  Worker w(fixture_.path());
  ASSERT_TRUE(w.queue->Enqueue(kT0, 100).ok());
  auto jobs = w.queue->Claim("w", kLease, kT0, 10);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ(*w.queue->Backlog(), 3);

  ASSERT_EQ(*w.queue->Advance("w", "r1", JobStage::kDone, kT0),
            LeaseStatus::kHeld);
  ASSERT_EQ(*w.queue->Advance("w", "r2", JobStage::kSkipped, kT0),
            LeaseStatus::kHeld);
  ASSERT_EQ(*w.queue->Release("w", "r3", kT0), LeaseStatus::kHeld);

  auto next = w.queue->Claim("w", kLease, kT0 + 1, 10);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(Ids(*next), std::vector<std::string>{"r3"});
  EXPECT_EQ(*w.queue->Backlog(), 1);

  auto counts = w.queue->StageCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), kAllJobStages.size());
  EXPECT_EQ(counts->at(JobStage::kDone), 1);
  EXPECT_EQ(counts->at(JobStage::kSkipped), 1);
  EXPECT_EQ(counts->at(JobStage::kQueued), 1);
  EXPECT_EQ(counts->at(JobStage::kArchived), 0);
}

}  // namespace
}  // namespace pe
