#include "exporter/worker/retention.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "exporter/worker/archival_log.h"
#include "exporter/worker/iso_time.h"
#include "tests/support/fixture_db.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// PlanRetention

constexpr double kNow = 10000;

RetainedArchive Verified(const std::string& run_id, double archived_at,
                         uint64_t size = 10) {
  return {.run_id = run_id,
          .archive_path = "/archives/" + run_id + ".zip",
          .size_bytes = size,
          .archived_at = archived_at,
          .integrity = "verified"};
}

RetainedArchive Unverified(const std::string& run_id, double archived_at,
                           bool worktree_exists, uint64_t size = 10,
                           const std::string& integrity = "failed") {
  RetainedArchive a = Verified(run_id, archived_at, size);
  a.integrity = integrity;
  a.worktree_exists = worktree_exists;
  return a;
}

using Expected = std::vector<std::pair<std::string, std::string>>;

struct PlanCase {
  std::string name;
  std::vector<RetainedArchive> archives;
  RetentionLimits limits;
  Expected removed;  // (run_id, reason), oldest first
  int64_t kept_unverified = 0;
};

void PrintTo(const PlanCase& c, std::ostream* os) { *os << c.name; }

class PlanRetentionTest : public ::testing::TestWithParam<PlanCase> {};

TEST_P(PlanRetentionTest, RemovesTheOldestUntilTheRestFits) {
  const PlanCase& c = GetParam();
  int64_t kept = -1;
  const std::vector<Removal> plan =
      PlanRetention(c.archives, c.limits, kNow, &kept);
  Expected got;
  for (const Removal& r : plan) got.emplace_back(r.run_id, r.reason);
  EXPECT_EQ(got, c.removed);
  EXPECT_EQ(kept, c.kept_unverified);
}

INSTANTIATE_TEST_SUITE_P(
    Retention, PlanRetentionTest,
    ::testing::Values(
        PlanCase{.name = "ZeroLimitsRemoveNothing",
                 .archives = {Verified("a", 1), Verified("b", 2),
                              Unverified("c", 3, false)},
                 .limits = {},
                 .removed = {}},
        PlanCase{.name = "AgeRemovesEveryArchiveOlderThanMaxAge",
                 .archives = {Verified("new", 9900), Verified("old", 100),
                              Verified("edge", 9000), Verified("older", 50)},
                 .limits = {.max_age_seconds = 1000},
                 // "edge" is exactly max_age old: not older, kept.
                 .removed = {{"older", "age"}, {"old", "age"}}},
        PlanCase{.name = "CountRemovesTheOldestBeyondMaxCount",
                 .archives = {Verified("c", 300), Verified("a", 100),
                              Verified("d", 400), Verified("b", 200)},
                 .limits = {.max_count = 2},
                 .removed = {{"a", "count"}, {"b", "count"}}},
        PlanCase{.name = "CountWithinLimitRemovesNothing",
                 .archives = {Verified("a", 100), Verified("b", 200)},
                 .limits = {.max_count = 2},
                 .removed = {}},
        PlanCase{.name = "BytesRemovesTheOldestUntilTheTotalFits",
                 .archives = {Verified("a", 100, 10), Verified("b", 200, 20),
                              Verified("c", 300, 30), Verified("d", 400, 40)},
                 .limits = {.max_bytes = 70},
                 .removed = {{"a", "bytes"}, {"b", "bytes"}}},
        PlanCase{.name = "BytesExactlyAtTheTotalRemovesNothing",
                 .archives = {Verified("a", 100, 10), Verified("b", 200, 20),
                              Verified("c", 300, 30)},
                 .limits = {.max_bytes = 60},
                 .removed = {}},
        PlanCase{.name = "CombinedLimitsApplyAgeThenCountThenBytes",
                 .archives = {Verified("a", 100, 10), Verified("b", 9600, 10),
                              Verified("c", 9700, 50), Verified("d", 9800, 50),
                              Verified("e", 9900, 50)},
                 .limits = {.max_count = 3,
                            .max_bytes = 100,
                            .max_age_seconds = 1000},
                 .removed = {{"a", "age"}, {"b", "count"}, {"c", "bytes"}}},
        PlanCase{.name = "ReasonIsTheFirstLimitThatSelected",
                 // All three limits would select "a" and "b".
                 .archives = {Verified("a", 100, 100), Verified("b", 200, 100),
                              Verified("c", 9900, 100)},
                 .limits = {.max_count = 1,
                            .max_bytes = 100,
                            .max_age_seconds = 5000},
                 .removed = {{"a", "age"}, {"b", "age"}}},
        PlanCase{.name = "TiesAreOrderedByRunId",
                 .archives = {Verified("c", 500), Verified("a", 500),
                              Verified("b", 500)},
                 .limits = {.max_count = 1},
                 .removed = {{"a", "count"}, {"b", "count"}}},
        PlanCase{.name = "UnverifiedWithoutWorktreeIsSkippedForAge",
                 .archives = {Unverified("a", 100, false), Verified("b", 200)},
                 .limits = {.max_age_seconds = 1000},
                 .removed = {{"b", "age"}},
                 .kept_unverified = 1},
        PlanCase{.name = "UnverifiedWithoutWorktreeStillCountsForCount",
                 .archives = {Unverified("a", 100, false), Verified("b", 200),
                              Verified("c", 300)},
                 .limits = {.max_count = 2},
                 .removed = {{"b", "count"}},
                 .kept_unverified = 1},
        PlanCase{.name = "UnverifiedWithoutWorktreeStillCountsForBytes",
                 .archives = {Unverified("a", 100, false, 50),
                              Verified("b", 200, 30), Verified("c", 300, 30)},
                 .limits = {.max_bytes = 60},
                 .removed = {{"b", "bytes"}, {"c", "bytes"}},
                 .kept_unverified = 1},
        PlanCase{.name = "UnverifiedKeptIsCountedOnceAcrossLimits",
                 .archives = {Unverified("a", 100, false, 50),
                              Verified("b", 9900, 50)},
                 .limits = {.max_count = 1,
                            .max_bytes = 10,
                            .max_age_seconds = 1000},
                 .removed = {{"b", "count"}},
                 .kept_unverified = 1},
        PlanCase{.name = "MissingOrUnknownIntegrityIsUnverifiedToo",
                 .archives = {Unverified("a", 100, false, 10, "missing"),
                              Unverified("b", 200, false, 10, ""),
                              Verified("c", 300)},
                 .limits = {.max_count = 1},
                 .removed = {{"c", "count"}},
                 .kept_unverified = 2},
        PlanCase{.name = "UnverifiedWithWorktreeIsRemovable",
                 .archives = {Unverified("a", 100, true), Verified("b", 200)},
                 .limits = {.max_count = 1},
                 .removed = {{"a", "count"}}},
        PlanCase{.name = "AllUnverifiedWithoutWorktreeRemovesNothing",
                 .archives = {Unverified("a", 100, false),
                              Unverified("b", 200, false),
                              Unverified("c", 300, false)},
                 .limits = {.max_count = 1},
                 .removed = {},
                 .kept_unverified = 2}),
    [](const ::testing::TestParamInfo<PlanCase>& info) {
      return info.param.name;
    });

TEST(RetentionLimitsTest, AnyIsFalseOnlyWhenEveryLimitIsZero) {
  EXPECT_FALSE(RetentionLimits{}.any());
  EXPECT_TRUE(RetentionLimits{.max_count = 1}.any());
  EXPECT_TRUE(RetentionLimits{.max_bytes = 1}.any());
  EXPECT_TRUE(RetentionLimits{.max_age_seconds = 1}.any());
}

TEST(PlanRetentionRemovalTest, ReportsSizeAndPathOfEachRemoval) {
  const auto plan =
      PlanRetention({Verified("a", 100, 1234)}, {.max_age_seconds = 1}, kNow);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].archive_path, "/archives/a.zip");
  EXPECT_EQ(plan[0].size_bytes, 1234u);
  EXPECT_EQ(plan[0].archived_at, 100);
}

// ---------------------------------------------------------------------------
// RetentionEnforcer, on a real SQLite file and real files.

constexpr double kT0 = 1764929472.0;  // 2025-12-05T10:11:12Z

void WriteFile(const fs::path& path, const std::string& content = "zip") {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class RetentionEnforcerTest : public ::testing::Test {
 protected:
  RetentionEnforcerTest()
      : fixture_(dir_.File("state.db")),
        archive_dir_(dir_.File("a/b/archives")),
        worktrees_dir_(dir_.File("worktrees")) {
    auto opened = WorkerStore::Open(dir_.File("state.db"),
                                    {.busy_timeout = milliseconds(200),
                                     .max_attempts = 3,
                                     .initial_backoff = milliseconds(10),
                                     .max_backoff = milliseconds(50)});
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store_ = std::move(*opened);
    fs::create_directories(archive_dir_);
    fs::create_directories(worktrees_dir_);
  }

  std::string ArchiveFile(const std::string& run_id) const {
    return archive_dir_ + "/" + run_id + ".zip";
  }

  struct Archive {
    std::string run_id;
    double archived_at = kT0;
    std::optional<std::string> stage = "done";  // nullopt: no job row
    std::string integrity = "verified";
    bool file = true;
    std::string archive_path;  // empty: the expected one
  };
  void Add(const Archive& a) {
    const std::string path =
        a.archive_path.empty() ? ArchiveFile(a.run_id) : a.archive_path;
    ASSERT_TRUE(store_
                    ->Write("add archive",
                            [&](SQLite::Database& db) {
                              UpsertArchive(db, a.run_id,
                                            {.archive_path = path,
                                             .size_bytes = 3,
                                             .sha256 = "00",
                                             .integrity = a.integrity,
                                             .archived_at = a.archived_at});
                              return Status::Ok();
                            })
                    .ok());
    if (a.stage) {
      SQLite::Statement q(fixture_.db(),
                          "INSERT INTO exporter_jobs (run_id, stage) "
                          "VALUES (?, ?)");
      q.bind(1, a.run_id);
      q.bind(2, *a.stage);
      q.exec();
    }
    if (a.file) WriteFile(ArchiveFile(a.run_id));
  }

  Result<RetentionOutcome> Enforce(RetentionLimits limits, double now) {
    RetentionEnforcer enforcer(store_.get(), archive_dir_, worktrees_dir_,
                               limits);
    return enforcer.Enforce(now);
  }

  ArchivalLogRow Row(const std::string& run_id) {
    auto row = ReadArchivalLog(fixture_.db(), run_id);
    EXPECT_TRUE(row.has_value()) << run_id;
    return row.value_or(ArchivalLogRow{});
  }

  static std::set<std::string> RemovedIds(const RetentionOutcome& outcome) {
    std::set<std::string> ids;
    for (const Removal& r : outcome.removed) ids.insert(r.run_id);
    return ids;
  }

  testing::TempDir dir_;
  testing::FixtureDb fixture_;
  std::string archive_dir_;
  std::string worktrees_dir_;
  std::unique_ptr<WorkerStore> store_;
};

TEST_F(RetentionEnforcerTest, RemovesTheOldestFilesAndMarksTheirRows) {
  Add({.run_id = "r2", .archived_at = kT0 + 10});
  Add({.run_id = "r1", .archived_at = kT0});
  Add({.run_id = "r3", .archived_at = kT0 + 20});
  const double now = kT0 + 100;

  auto outcome = Enforce({.max_count = 1}, now);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  ASSERT_EQ(outcome->removed.size(), 2u);
  EXPECT_EQ(outcome->removed[0].run_id, "r1");
  EXPECT_EQ(outcome->removed[1].run_id, "r2");
  EXPECT_FALSE(outcome->removed[0].already_missing);
  EXPECT_TRUE(outcome->errors.empty());
  EXPECT_FALSE(fs::exists(ArchiveFile("r1")));
  EXPECT_FALSE(fs::exists(ArchiveFile("r2")));
  EXPECT_TRUE(fs::exists(ArchiveFile("r3")));
  for (const char* id : {"r1", "r2"}) {
    const ArchivalLogRow row = Row(id);
    EXPECT_EQ(row.removed_at, FormatIsoUtc(now)) << id;
    EXPECT_EQ(row.removed_reason, "count") << id;
    EXPECT_EQ(row.archive_path, ArchiveFile(id)) << id;  // kept for history
  }
  EXPECT_EQ(Row("r3").removed_at, "");
  EXPECT_EQ(Row("r3").removed_reason, "");
}

TEST_F(RetentionEnforcerTest, TouchesOnlyRunsWhoseJobIsDoneOrAbsent) {
  const std::vector<std::string> busy = {"queued",   "archived", "verified",
                                         "reported", "skipped",  "failed"};
  for (const std::string& stage : busy) {
    Add({.run_id = "job-" + stage, .stage = stage});
  }
  Add({.run_id = "job-done", .stage = "done"});
  Add({.run_id = "no-job", .stage = std::nullopt});

  auto outcome = Enforce({.max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_EQ(RemovedIds(*outcome),
            (std::set<std::string>{"job-done", "no-job"}));
  EXPECT_TRUE(outcome->errors.empty());
  for (const std::string& stage : busy) {
    const std::string id = "job-" + stage;
    EXPECT_TRUE(fs::exists(ArchiveFile(id))) << id;
    EXPECT_EQ(Row(id).removed_at, "") << id;
  }
}

TEST_F(RetentionEnforcerTest, NeverDeletesAPathThatIsNotTheRunsArchive) {
  const fs::path root = dir_.path();
  struct Hostile {
    std::string run_id;
    std::string archive_path;
    std::vector<std::string> decoys;  // must all survive
  };
  const std::vector<Hostile> hostile = {
      {"r-etc", "/etc/passwd", {ArchiveFile("r-etc")}},
      {"r-rel", "../../x.zip", {ArchiveFile("r-rel")}},
      {"r-up",
       archive_dir_ + "/../../x.zip",
       {(root / "a/x.zip").string(), ArchiveFile("r-up")}},
      {"r-other",
       (root / "other/r-other.zip").string(),
       {(root / "other/r-other.zip").string(), ArchiveFile("r-other")}},
      {"r-dotdot",  // same file lexically, but ".." may cross a symlink
       archive_dir_ + "/../archives/r-dotdot.zip",
       {ArchiveFile("r-dotdot")}},
      {"../escape",  // run id not valid as a file name
       archive_dir_ + "/../escape.zip",
       {(root / "a/b/escape.zip").string()}},
  };
  for (const Hostile& h : hostile) {
    Add({.run_id = h.run_id, .file = false, .archive_path = h.archive_path});
    for (const std::string& decoy : h.decoys) WriteFile(decoy, "decoy");
  }
  Add({.run_id = "r-good"});

  auto outcome = Enforce({.max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_EQ(RemovedIds(*outcome), (std::set<std::string>{"r-good"}));
  EXPECT_FALSE(fs::exists(ArchiveFile("r-good")));
  EXPECT_EQ(outcome->errors.size(), hostile.size());
  for (const Hostile& h : hostile) {
    EXPECT_EQ(std::count_if(outcome->errors.begin(), outcome->errors.end(),
                            [&](const std::string& e) {
                              return e.find("run '" + h.run_id + "'") !=
                                     std::string::npos;
                            }),
              1)
        << h.run_id;
    for (const std::string& decoy : h.decoys) {
      EXPECT_TRUE(fs::exists(decoy)) << h.run_id << ": " << decoy;
    }
    EXPECT_EQ(Row(h.run_id).removed_at, "") << h.run_id;
  }
  EXPECT_TRUE(fs::exists("/etc/passwd"));
}

TEST_F(RetentionEnforcerTest, AcceptsTheArchivePathSpelledWithDotsOrSlashes) {
  Add({.run_id = "r1", .archive_path = archive_dir_ + "//./r1.zip"});

  auto outcome = Enforce({.max_count = 0, .max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_EQ(RemovedIds(*outcome), (std::set<std::string>{"r1"}));
  EXPECT_TRUE(outcome->errors.empty());
  EXPECT_FALSE(fs::exists(ArchiveFile("r1")));
  EXPECT_EQ(Row("r1").removed_reason, "age");
}

TEST_F(RetentionEnforcerTest, RecordsAnArchiveWhoseFileIsAlreadyGone) {
  Add({.run_id = "gone", .file = false});

  auto outcome = Enforce({.max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  ASSERT_EQ(outcome->removed.size(), 1u);
  EXPECT_TRUE(outcome->removed[0].already_missing);
  EXPECT_TRUE(outcome->errors.empty());
  EXPECT_EQ(Row("gone").removed_at, FormatIsoUtc(kT0 + 100));
  EXPECT_EQ(Row("gone").removed_reason, "age");
}

TEST_F(RetentionEnforcerTest, KeepsTheOnlyCopyOfAnUnverifiedRun) {
  Add({.run_id = "no-worktree", .integrity = "failed"});
  Add({.run_id = "worktree", .archived_at = kT0 + 1, .integrity = "failed"});
  Add({.run_id = "symlinked", .archived_at = kT0 + 2, .integrity = "missing"});
  Add({.run_id = "file-worktree",
       .archived_at = kT0 + 3,
       .integrity = "failed"});
  fs::create_directories(worktrees_dir_ + "/worktree");
  fs::create_directories(dir_.File("elsewhere"));
  fs::create_directory_symlink(dir_.File("elsewhere"),
                               worktrees_dir_ + "/symlinked");
  WriteFile(worktrees_dir_ + "/file-worktree");

  auto outcome = Enforce({.max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_EQ(RemovedIds(*outcome), (std::set<std::string>{"worktree"}));
  EXPECT_EQ(outcome->kept_unverified, 3);
  EXPECT_FALSE(fs::exists(ArchiveFile("worktree")));
  for (const char* id : {"no-worktree", "symlinked", "file-worktree"}) {
    EXPECT_TRUE(fs::exists(ArchiveFile(id))) << id;
    EXPECT_EQ(Row(id).removed_at, "") << id;
  }
}

TEST_F(RetentionEnforcerTest, LeavesARowWithAnUnparsableTimeAlone) {
  Add({.run_id = "bad-time"});
  fixture_.Exec(
      "UPDATE archival_log SET archived_at = 'yesterday', "
      "archived_unix = NULL WHERE run_id = 'bad-time'");

  auto outcome = Enforce({.max_age_seconds = 1}, kT0 + 100);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_TRUE(outcome->removed.empty());
  ASSERT_EQ(outcome->errors.size(), 1u);
  EXPECT_NE(outcome->errors[0].find("yesterday"), std::string::npos);
  EXPECT_TRUE(fs::exists(ArchiveFile("bad-time")));
}

TEST_F(RetentionEnforcerTest, ZeroLimitsKeepEverything) {
  Add({.run_id = "r1"});

  auto outcome = Enforce({}, kT0 + 1e9);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_TRUE(outcome->removed.empty());
  EXPECT_TRUE(fs::exists(ArchiveFile("r1")));
  EXPECT_EQ(Row("r1").removed_at, "");
}

TEST_F(RetentionEnforcerTest, SecondPassIsANoOp) {
  Add({.run_id = "r1"});
  Add({.run_id = "r2", .archived_at = kT0 + 10});
  Add({.run_id = "r3", .archived_at = kT0 + 20});
  const RetentionLimits limits{.max_count = 1};
  auto first = Enforce(limits, kT0 + 100);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->removed.size(), 2u);

  auto second = Enforce(limits, kT0 + 200);
  ASSERT_TRUE(second.ok()) << second.status().ToString();

  EXPECT_TRUE(second->removed.empty());
  EXPECT_TRUE(second->errors.empty());
  EXPECT_EQ(second->kept_unverified, 0);
  EXPECT_TRUE(fs::exists(ArchiveFile("r3")));
  EXPECT_EQ(Row("r1").removed_at, FormatIsoUtc(kT0 + 100));  // unchanged
}

TEST_F(RetentionEnforcerTest, ANewArchiveOfTheRunIsRetainedAgain) {
  Add({.run_id = "r1"});
  ASSERT_TRUE(Enforce({.max_age_seconds = 1}, kT0 + 100).ok());
  ASSERT_EQ(Row("r1").removed_reason, "age");

  // Re-archiving clears the removal (UpsertArchive); the new archive is
  // young enough to stay.
  fixture_.Exec("DELETE FROM exporter_jobs WHERE run_id = 'r1'");
  Add({.run_id = "r1", .archived_at = kT0 + 200});
  auto outcome = Enforce({.max_age_seconds = 1000}, kT0 + 300);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();

  EXPECT_TRUE(outcome->removed.empty());
  EXPECT_TRUE(fs::exists(ArchiveFile("r1")));
  EXPECT_EQ(Row("r1").removed_at, "");
}

}  // namespace
}  // namespace pe
