#include "exporter/worker/archive_scrubber.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporter/archive/archive_writer.h"
#include "exporter/worker/archival_log.h"
#include "exporter/worker/iso_time.h"
#include "exporter/worker/worker_store.h"
#include "tests/archive/archive_test_util.h"
#include "tests/support/fixture_db.h"
#include "tests/support/sql_query.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::Count;
using testing::ReadFile;
using testing::WriteFile;

constexpr double kT0 = 1764929472.0;  // 2025-12-05T10:11:12Z
constexpr double kDay = 86400;
constexpr const char* kNotOurs = "is not where this exporter writes archives";

struct EventRow {
  std::string type, severity, data;
};

struct JobRow {
  std::string stage;
  int64_t attempts = 0;
  std::string lease_owner, last_error;
  bool next_attempt_at_null = true;
};

std::vector<std::string> Ids(const std::vector<ScrubCheck>& checks) {
  std::vector<std::string> ids;
  for (const ScrubCheck& c : checks) ids.push_back(c.run_id);
  return ids;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A contract database opened by the worker's store, a worktrees folder and
// an archive folder in one temporary directory.
class ArchiveScrubberTest : public ::testing::Test {
 protected:
  ArchiveScrubberTest() : fixture_(dir_.File("state.db")) {
    auto opened = WorkerStore::Open(dir_.File("state.db"),
                                    {.busy_timeout = milliseconds(2000),
                                     .max_attempts = 5,
                                     .initial_backoff = milliseconds(10),
                                     .max_backoff = milliseconds(100)});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    fs::create_directories(archive_dir());
    fs::create_directories(dir_.path() / "worktrees");
  }

  std::string archive_dir() const { return dir_.File("archive"); }
  std::string worktree(const std::string& run_id) const {
    return (dir_.path() / "worktrees" / run_id).string();
  }
  std::string zip(const std::string& run_id) const {
    return archive_dir() + "/" + run_id + ".zip";
  }

  ScrubOptions Options(double interval = kDay, std::size_t batch = 8) const {
    ScrubOptions options;
    options.archive_dir = archive_dir();
    options.worktrees_dir = dir_.File("worktrees");
    options.interval_seconds = interval;
    options.batch = batch;
    return options;
  }

  // Writes run_id's worktree and a real archive of it at final_path.
  ArchiveStats WriteArchive(const std::string& run_id,
                            const std::string& final_path) {
    std::string log;
    for (int i = 0; i < 8000; ++i) {
      log += "step " + std::to_string(i) + " took " +
             std::to_string(i * 7 % 1000) + " ms\n";
    }
    WriteFile(fs::path(worktree(run_id)) / "logs" / "build.log", log);
    WriteFile(fs::path(worktree(run_id)) / "README.txt", "hello\n");
    ArchiveResult result = WriteRunArchive(worktree(run_id), run_id, final_path,
                                           {.deflate_threads = -1});
    EXPECT_TRUE(result.ok()) << result.status.ToString();
    return result.stats;
  }

  // A run archived at archived_at the way the worker records it, with its
  // job done.
  void Archive(const std::string& run_id, double archived_at) {
    const ArchiveStats stats = WriteArchive(run_id, zip(run_id));
    ArchiveRecord record{
        .archive_path = zip(run_id),
        .size_bytes = static_cast<int64_t>(stats.archive_bytes),
        .sha256 = stats.archive_sha256,
        .integrity = "verified",
        .archived_at = archived_at};
    ASSERT_TRUE(store_
                    ->Write("test archive",
                            [&](SQLite::Database& db) {
                              UpsertArchive(db, run_id, record);
                              return Status::Ok();
                            })
                    .ok());
    SQLite::Statement job(fixture_.db(),
                          "INSERT INTO exporter_jobs (run_id, stage, attempts, "
                          "lease_owner, last_error) VALUES (?, 'done', 3, "
                          "'old-owner', 'old error')");
    job.bind(1, run_id);
    job.exec();
  }

  // An archival_log row with exactly these values, nothing written on disk.
  void AddRow(const std::string& run_id, const std::string& archive_path,
              double archived_at) {
    SQLite::Statement q(fixture_.db(),
                        "INSERT INTO archival_log (run_id, archive_path, "
                        "archived_at, size_bytes, sha256, integrity, "
                        "archived_unix, last_check_unix) "
                        "VALUES (?, ?, ?, 10, 'abc', 'verified', ?4, ?4)");
    q.bind(1, run_id);
    q.bind(2, archive_path);
    q.bind(3, FormatIsoUtc(archived_at));
    q.bind(4, archived_at);
    q.exec();
  }

  void Exec(const std::string& sql) { fixture_.Exec(sql); }

  ArchivalLogRow Log(const std::string& run_id) {
    SQLite::Database db(dir_.File("state.db"), SQLite::OPEN_READONLY);
    std::optional<ArchivalLogRow> row = ReadArchivalLog(db, run_id);
    EXPECT_TRUE(row.has_value()) << run_id;
    return row.value_or(ArchivalLogRow{});
  }

  JobRow Job(const std::string& run_id) {
    SQLite::Statement q(fixture_.db(),
                        "SELECT stage, attempts, COALESCE(lease_owner, ''), "
                        "COALESCE(last_error, ''), next_attempt_at IS NULL "
                        "FROM exporter_jobs WHERE run_id = ?");
    q.bind(1, run_id);
    EXPECT_TRUE(q.executeStep()) << run_id;
    return {q.getColumn(0).getString(), q.getColumn(1).getInt64(),
            q.getColumn(2).getString(), q.getColumn(3).getString(),
            q.getColumn(4).getInt() == 1};
  }

  std::vector<EventRow> Events(const std::string& run_id) {
    SQLite::Statement q(fixture_.db(),
                        "SELECT event_type, severity, COALESCE(data, '') "
                        "FROM events WHERE run_id = ? ORDER BY id");
    q.bind(1, run_id);
    std::vector<EventRow> rows;
    while (q.executeStep()) {
      rows.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                      q.getColumn(2).getString()});
    }
    return rows;
  }

  void FlipMiddleByte(const std::string& path) {
    std::string bytes = ReadFile(path);
    ASSERT_GT(bytes.size(), 100u);
    bytes[bytes.size() / 2] ^= 0x5a;
    WriteFile(path, bytes);
  }

  std::vector<ScrubCheck> Scrub(ArchiveScrubber& scrubber, double now) {
    auto checks = scrubber.RunDue(now);
    EXPECT_TRUE(checks.ok()) << checks.status().ToString();
    return checks.ok() ? *checks : std::vector<ScrubCheck>{};
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
  std::unique_ptr<WorkerStore> store_;
};

TEST(ArchiveScrubberResultName, NamesEveryResult) {
  EXPECT_STREQ(ScrubResultName(ScrubResult::kOk), "ok");
  EXPECT_STREQ(ScrubResultName(ScrubResult::kFailed), "failed");
  EXPECT_STREQ(ScrubResultName(ScrubResult::kMissing), "missing");
}

TEST_F(ArchiveScrubberTest, GoodArchivePassesAndItsCheckTimesMove) {
  Archive("run-1", kT0);
  ArchiveScrubber scrubber(store_.get(), Options());
  const double now = kT0 + kDay + 5;

  const std::vector<ScrubCheck> checks = Scrub(scrubber, now);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].run_id, "run-1");
  EXPECT_EQ(checks[0].archive_path, zip("run-1"));
  EXPECT_EQ(checks[0].result, ScrubResult::kOk) << checks[0].problem;
  EXPECT_EQ(checks[0].problem, "");
  EXPECT_FALSE(checks[0].requeued);
  EXPECT_EQ(checks[0].bytes, fs::file_size(zip("run-1")));
  const ArchivalLogRow row = Log("run-1");
  EXPECT_EQ(row.integrity, "verified");
  EXPECT_EQ(row.checked_at, FormatIsoUtc(now));
  EXPECT_EQ(row.verified_at, FormatIsoUtc(now));
  EXPECT_EQ(row.check_problem, "");
  EXPECT_EQ(row.archived_at, FormatIsoUtc(kT0));
  EXPECT_TRUE(Events("run-1").empty());
  EXPECT_EQ(Job("run-1").stage, "done");
}

TEST_F(ArchiveScrubberTest, ChecksOnlyDueArchivesLeastRecentlyCheckedFirst) {
  Archive("c-newest-due", kT0 + 20);
  Archive("a-oldest", kT0);
  Archive("b-middle", kT0 + 10);
  Archive("d-not-due", kT0 + 90);
  ArchiveScrubber scrubber(store_.get(), Options(/*interval=*/100,
                                                 /*batch=*/2));
  const double now = kT0 + 120;  // due: last check at or before kT0 + 20

  EXPECT_EQ(Ids(Scrub(scrubber, now)),
            (std::vector<std::string>{"a-oldest", "b-middle"}));
  EXPECT_EQ(Ids(Scrub(scrubber, now)),
            std::vector<std::string>{"c-newest-due"});
  EXPECT_TRUE(Scrub(scrubber, now).empty());
  EXPECT_EQ(Log("d-not-due").checked_at, FormatIsoUtc(kT0 + 90));
  // d is due exactly interval seconds after its last check.
  EXPECT_TRUE(Scrub(scrubber, kT0 + 189).empty());
  EXPECT_EQ(Ids(Scrub(scrubber, kT0 + 190)),
            std::vector<std::string>{"d-not-due"});
}

TEST_F(ArchiveScrubberTest, LastCheckCountsOverArchivalTime) {
  Archive("checked-recently", kT0);
  Archive("checked-long-ago", kT0 + 50);
  // As a scrub records a check: the time in text and in Unix seconds.
  Exec("UPDATE archival_log SET checked_at = '" + FormatIsoUtc(kT0 + 500) +
       "', last_check_unix = " + std::to_string(kT0 + 500) +
       " WHERE run_id = 'checked-recently'");
  Exec("UPDATE archival_log SET checked_at = '" + FormatIsoUtc(kT0 + 60) +
       "', last_check_unix = " + std::to_string(kT0 + 60) +
       " WHERE run_id = 'checked-long-ago'");
  ArchiveScrubber scrubber(store_.get(), Options(/*interval=*/100));

  EXPECT_EQ(Ids(Scrub(scrubber, kT0 + 300)),
            std::vector<std::string>{"checked-long-ago"});
}

TEST_F(ArchiveScrubberTest, RowWithUnparsableTimesIsDueFirst) {
  Archive("ok-time", kT0);
  Archive("bad-time", kT0);
  Exec(
      "UPDATE archival_log SET checked_at = 'garbage', archived_at = NULL, "
      "archived_unix = NULL, last_check_unix = -1e300 "
      "WHERE run_id = 'bad-time'");
  ArchiveScrubber scrubber(store_.get(), Options(/*interval=*/100,
                                                 /*batch=*/1));

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + 1000);
  ASSERT_EQ(Ids(checks), std::vector<std::string>{"bad-time"});
  EXPECT_EQ(checks[0].result, ScrubResult::kOk) << checks[0].problem;
}

TEST_F(ArchiveScrubberTest,
       FlippedByteFailsAndRequeuesTheJobWhenWorktreeIsLeft) {
  Archive("run-1", kT0);
  FlipMiddleByte(zip("run-1"));
  const std::string bad_bytes = ReadFile(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());
  const double now = kT0 + kDay;

  const std::vector<ScrubCheck> checks = Scrub(scrubber, now);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_NE(checks[0].problem, "");
  EXPECT_TRUE(checks[0].requeued);
  const ArchivalLogRow row = Log("run-1");
  EXPECT_EQ(row.integrity, "failed");
  EXPECT_EQ(row.check_problem, checks[0].problem);
  EXPECT_EQ(row.checked_at, FormatIsoUtc(now));
  EXPECT_EQ(row.verified_at, FormatIsoUtc(kT0));  // the last good check
  const JobRow job = Job("run-1");
  EXPECT_EQ(job.stage, "queued");
  EXPECT_EQ(job.attempts, 0);
  EXPECT_EQ(job.lease_owner, "");
  EXPECT_TRUE(job.next_attempt_at_null);
  EXPECT_EQ(job.last_error, checks[0].problem);
  const std::vector<EventRow> events = Events("run-1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "archival_validation_failed");
  EXPECT_EQ(events[0].severity, "error");
  EXPECT_TRUE(Contains(events[0].data, "\"check\":\"scrub\""))
      << events[0].data;
  EXPECT_TRUE(Contains(events[0].data, "\"action\":\"requeued\""));
  EXPECT_TRUE(Contains(events[0].data, "\"result\":\"failed\""));
  EXPECT_TRUE(Contains(events[0].data, "\"archive_path\":\"" + zip("run-1")));
  // The scrub never deletes or rewrites the archive.
  EXPECT_EQ(ReadFile(zip("run-1")), bad_bytes);
}

TEST_F(ArchiveScrubberTest, CorruptArchiveIsCaughtEvenWithoutRecordedHash) {
  Archive("run-1", kT0);
  Exec("UPDATE archival_log SET sha256 = NULL, size_bytes = NULL");
  FlipMiddleByte(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_FALSE(Contains(checks[0].problem, "SHA-256 of '" + zip("run-1")))
      << checks[0].problem;
  EXPECT_EQ(Log("run-1").integrity, "failed");
}

TEST_F(ArchiveScrubberTest, FlippedByteIsKeptWhenNoWorktreeIsLeft) {
  Archive("run-1", kT0);
  fs::remove_all(worktree("run-1"));
  FlipMiddleByte(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_FALSE(checks[0].requeued);
  EXPECT_EQ(Job("run-1").stage, "done");
  EXPECT_EQ(Job("run-1").attempts, 3);
  EXPECT_TRUE(fs::exists(zip("run-1")));
  const std::vector<EventRow> events = Events("run-1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(Contains(events[0].data, "\"action\":\"kept\""))
      << events[0].data;
}

TEST_F(ArchiveScrubberTest, WorktreeThatIsASymlinkDoesNotRequeue) {
  Archive("run-1", kT0);
  fs::rename(worktree("run-1"), dir_.path() / "elsewhere");
  fs::create_directory_symlink(dir_.path() / "elsewhere", worktree("run-1"));
  FlipMiddleByte(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_FALSE(checks[0].requeued);
  EXPECT_EQ(Job("run-1").stage, "done");
}

TEST_F(ArchiveScrubberTest, OnlyADoneJobIsRequeued) {
  Archive("run-1", kT0);
  Exec("UPDATE exporter_jobs SET stage = 'reported'");
  FlipMiddleByte(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_FALSE(checks[0].requeued);
  EXPECT_EQ(Job("run-1").stage, "reported");
  EXPECT_TRUE(Contains(Events("run-1").at(0).data, "\"action\":\"kept\""));
}

TEST_F(ArchiveScrubberTest, DeletedArchiveIsMissing) {
  Archive("run-1", kT0);
  fs::remove(zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());
  const double now = kT0 + kDay;

  const std::vector<ScrubCheck> checks = Scrub(scrubber, now);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kMissing);
  EXPECT_TRUE(checks[0].requeued);
  const ArchivalLogRow row = Log("run-1");
  EXPECT_EQ(row.integrity, "missing");
  EXPECT_EQ(row.checked_at, FormatIsoUtc(now));
  EXPECT_EQ(row.check_problem, checks[0].problem);
  const std::vector<EventRow> events = Events("run-1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "archival_validation_failed");
  EXPECT_TRUE(Contains(events[0].data, "\"result\":\"missing\""));
  EXPECT_EQ(Job("run-1").stage, "queued");
}

TEST_F(ArchiveScrubberTest, RecordedHashThatDiffersFails) {
  Archive("run-1", kT0);
  Exec("UPDATE archival_log SET sha256 = '" + std::string(64, '0') + "'");
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_TRUE(Contains(checks[0].problem, "SHA-256")) << checks[0].problem;
  EXPECT_EQ(Log("run-1").integrity, "failed");
}

TEST_F(ArchiveScrubberTest, RecordedSizeThatDiffersFails) {
  Archive("run-1", kT0);
  Exec("UPDATE archival_log SET sha256 = NULL, size_bytes = size_bytes + 1");
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_TRUE(Contains(checks[0].problem, "bytes")) << checks[0].problem;
}

TEST_F(ArchiveScrubberTest, HostileArchivePathIsNeverOpenedAndFails) {
  // A valid archive of each run exists where the hostile path points, so a
  // scrub that opened it would find it intact: only the path check fails it.
  const std::string other_dir = dir_.File("other");
  fs::create_directories(other_dir);
  WriteArchive("in-other-dir", other_dir + "/in-other-dir.zip");
  WriteArchive("dotdot", other_dir + "/dotdot.zip");
  WriteArchive("sub-dotdot", archive_dir() + "/sub-dotdot.zip");
  fs::create_directories(archive_dir() + "/sub");
  WriteArchive("wrong-name", archive_dir() + "/other-name.zip");

  struct Case {
    std::string run_id, archive_path;
  };
  const std::vector<Case> cases = {
      {"etc-passwd", "/etc/passwd"},
      {"relative", "../x.zip"},
      {"in-other-dir", other_dir + "/in-other-dir.zip"},
      {"dotdot", archive_dir() + "/../other/dotdot.zip"},
      {"sub-dotdot", archive_dir() + "/sub/../sub-dotdot.zip"},
      {"wrong-name", archive_dir() + "/other-name.zip"},
      {"../escape", archive_dir() + "/../escape.zip"},
      {"-dash", archive_dir() + "/-dash.zip"},
      {"no-suffix", archive_dir() + "/no-suffix"},
  };
  for (const Case& c : cases) AddRow(c.run_id, c.archive_path, kT0);
  ArchiveScrubber scrubber(store_.get(), Options(kDay, /*batch=*/100));

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), cases.size());
  std::map<std::string, ScrubCheck> by_id;
  for (const ScrubCheck& c : checks) by_id[c.run_id] = c;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.run_id + " at " + c.archive_path);
    ASSERT_EQ(by_id.count(c.run_id), 1u);
    const ScrubCheck& check = by_id[c.run_id];
    EXPECT_EQ(check.result, ScrubResult::kFailed);
    EXPECT_TRUE(Contains(check.problem, kNotOurs)) << check.problem;
    EXPECT_EQ(check.bytes, 0u);  // never read
    EXPECT_FALSE(check.requeued);
    EXPECT_EQ(Log(c.run_id).integrity, "failed");
    EXPECT_EQ(Events(c.run_id).size(), 1u);
  }
}

TEST_F(ArchiveScrubberTest, EquivalentSpellingOfTheArchivePathIsAccepted) {
  Archive("run-1", kT0);
  Exec("UPDATE archival_log SET archive_path = '" + archive_dir() +
       "/./run-1.zip'");
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kOk) << checks[0].problem;
}

TEST_F(ArchiveScrubberTest, SymlinkInPlaceOfTheArchiveIsNotFollowed) {
  Archive("run-1", kT0);
  fs::rename(zip("run-1"), dir_.File("real.zip"));
  fs::create_symlink(dir_.File("real.zip"), zip("run-1"));
  ArchiveScrubber scrubber(store_.get(), Options());

  const std::vector<ScrubCheck> checks = Scrub(scrubber, kT0 + kDay);

  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].result, ScrubResult::kFailed);
  EXPECT_TRUE(Contains(checks[0].problem, "not a regular file"))
      << checks[0].problem;
  EXPECT_EQ(checks[0].bytes, 0u);
}

TEST_F(ArchiveScrubberTest, RemovedAndReportOnlyRowsAreSkipped) {
  Archive("removed", kT0);
  Exec(
      "UPDATE archival_log SET removed_at = '2025-12-06T00:00:00+00:00', "
      "removed_reason = 'retention' WHERE run_id = 'removed'");
  fs::remove(zip("removed"));
  Exec(
      "INSERT INTO archival_log (run_id, report_json) "
      "VALUES ('report-only', '/r.json')");
  ArchiveScrubber scrubber(store_.get(), Options());

  EXPECT_TRUE(Scrub(scrubber, kT0 + 10 * kDay).empty());
  EXPECT_EQ(Log("removed").checked_at, FormatIsoUtc(kT0));
  EXPECT_EQ(Log("removed").integrity, "verified");
  EXPECT_EQ(Count(fixture_.db(), "SELECT COUNT(*) FROM events"), 0);
}

TEST_F(ArchiveScrubberTest, ResultIsDroppedWhenTheRowWasReArchivedMeanwhile) {
  Archive("run-1", kT0);
  FlipMiddleByte(zip("run-1"));
  // Another worker re-archives the run while this one verifies.
  ArchiveScrubber scrubber(store_.get(), Options());
  scrubber.SetBeforeRecordHookForTesting([&](const ScrubCheck&) {
    Exec("UPDATE archival_log SET archived_at = '" + FormatIsoUtc(kT0 + 7) +
         "', sha256 = 'new' WHERE run_id = 'run-1'");
  });

  EXPECT_TRUE(Scrub(scrubber, kT0 + kDay).empty());

  const ArchivalLogRow row = Log("run-1");
  EXPECT_EQ(row.integrity, "verified");
  EXPECT_EQ(row.checked_at, FormatIsoUtc(kT0));
  EXPECT_EQ(row.check_problem, "");
  EXPECT_TRUE(Events("run-1").empty());
  EXPECT_EQ(Job("run-1").stage, "done");
}

TEST_F(ArchiveScrubberTest, ResultIsDroppedWhenRetentionRemovedTheArchive) {
  Archive("run-1", kT0);
  ArchiveScrubber scrubber(store_.get(), Options());
  scrubber.SetBeforeRecordHookForTesting([&](const ScrubCheck&) {
    Exec("UPDATE archival_log SET removed_at = '" + FormatIsoUtc(kT0 + 7) +
         "' WHERE run_id = 'run-1'");
  });

  EXPECT_TRUE(Scrub(scrubber, kT0 + kDay).empty());
  EXPECT_EQ(Log("run-1").checked_at, FormatIsoUtc(kT0));
}

TEST_F(ArchiveScrubberTest, VerifiesWithoutHoldingTheWriteLock) {
  Archive("run-1", kT0);
  bool other_writer_got_lock = false;
  ArchiveScrubber scrubber(store_.get(), Options());
  scrubber.SetBeforeRecordHookForTesting([&](const ScrubCheck&) {
    SQLite::Database other(dir_.File("state.db"), SQLite::OPEN_READWRITE,
                           /*busyTimeoutMs=*/0);
    other.exec("BEGIN IMMEDIATE");
    other.exec("COMMIT");
    other_writer_got_lock = true;
  });

  EXPECT_EQ(Scrub(scrubber, kT0 + kDay).size(), 1u);
  EXPECT_TRUE(other_writer_got_lock);
}

TEST_F(ArchiveScrubberTest, CancelStopsBeforeTheNextArchive) {
  Archive("a", kT0);
  Archive("b", kT0 + 1);
  std::atomic<bool> cancel{false};
  ArchiveScrubber scrubber(store_.get(), Options());
  scrubber.SetBeforeRecordHookForTesting(
      [&](const ScrubCheck&) { cancel = true; });

  auto checks = scrubber.RunDue(kT0 + kDay, &cancel);

  ASSERT_TRUE(checks.ok()) << checks.status().ToString();
  EXPECT_EQ(Ids(*checks), std::vector<std::string>{"a"});
  EXPECT_EQ(Log("b").checked_at, FormatIsoUtc(kT0 + 1));
}

TEST_F(ArchiveScrubberTest, SummaryCountsRetainedArchivesByIntegrity) {
  Archive("good", kT0 + 100);
  Archive("corrupt", kT0 + 200);
  Archive("gone", kT0 + 300);
  Archive("removed", kT0 + 5);
  Exec("UPDATE archival_log SET removed_at = 'x' WHERE run_id = 'removed'");
  Exec(
      "INSERT INTO archival_log (run_id, report_json) "
      "VALUES ('report-only', '/r.json')");
  FlipMiddleByte(zip("corrupt"));
  fs::remove(zip("gone"));
  ArchiveScrubber scrubber(store_.get(), Options(/*interval=*/150));
  // Checks good and corrupt only: gone was archived too recently.
  ASSERT_EQ(Scrub(scrubber, kT0 + 400).size(), 2u);
  ASSERT_EQ(Scrub(scrubber, kT0 + 450).size(), 1u);  // gone

  auto summary = scrubber.Summary();

  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->retained, 3);
  EXPECT_EQ(summary->verified, 1);
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(summary->missing, 1);
  EXPECT_EQ(static_cast<int64_t>(summary->retained_bytes),
            Count(fixture_.db(),
                  "SELECT SUM(size_bytes) FROM archival_log "
                  "WHERE run_id IN ('good', 'corrupt', 'gone')"));
  EXPECT_GT(summary->retained_bytes, 0u);
  ASSERT_TRUE(summary->oldest_check.has_value());
  EXPECT_DOUBLE_EQ(*summary->oldest_check, kT0 + 400);
}

TEST_F(ArchiveScrubberTest, SummaryOfNothingRetainedIsEmpty) {
  ArchiveScrubber scrubber(store_.get(), Options());

  auto summary = scrubber.Summary();

  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->retained, 0);
  EXPECT_EQ(summary->retained_bytes, 0u);
  EXPECT_FALSE(summary->oldest_check.has_value());
}

}  // namespace
}  // namespace pe
