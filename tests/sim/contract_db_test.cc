#include "tools/sim/contract_db.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace pe::sim {
namespace {

using std::chrono::milliseconds;

TEST(OpenContractDbTest, CreatesFolderSchemaAndWalMode) {
  testing::TempDir dir;
  const std::string path = dir.File("a/b/orchestration.db");
  auto db = OpenContractDb(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(path));
  SQLite::Statement mode(**db, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.executeStep());
  EXPECT_EQ(mode.getColumn(0).getString(), "wal");
  SQLite::Statement timeout(**db, "PRAGMA busy_timeout");
  ASSERT_TRUE(timeout.executeStep());
  EXPECT_EQ(timeout.getColumn(0).getInt(), kBusyTimeoutMs);
  SQLite::Statement tables(**db,
                           "SELECT COUNT(*) FROM sqlite_master WHERE type = "
                           "'table' AND name IN ('runs', 'steps', 'events')");
  ASSERT_TRUE(tables.executeStep());
  EXPECT_EQ(tables.getColumn(0).getInt(), 3);
}

TEST(OpenContractDbTest, RejectsAFileThatIsNotADatabase) {
  testing::TempDir dir;
  std::ofstream(dir.File("junk.db")) << std::string(8192, 'x');
  auto db = OpenContractDb(dir.File("junk.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kCorruption);
}

class WriteTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenContractDb(dir_.File("x.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    db_->setBusyTimeout(10);  // make contention surface quickly
  }
  // Holds the write lock from another connection for `hold`.
  std::thread HoldLock(milliseconds hold) {
    std::atomic<bool> locked{false};
    std::thread t([this, hold, &locked] {
      SQLite::Database other(dir_.File("x.db"), SQLite::OPEN_READWRITE);
      other.exec("BEGIN IMMEDIATE");
      locked = true;
      std::this_thread::sleep_for(hold);
      other.exec("COMMIT");
    });
    while (!locked) std::this_thread::sleep_for(milliseconds(1));
    return t;
  }
  int64_t Runs() {
    SQLite::Statement q(*db_, "SELECT COUNT(*) FROM runs");
    q.executeStep();
    return q.getColumn(0).getInt64();
  }
  void InsertRun() {
    db_->exec(
        "INSERT INTO runs (run_id, project_id, phase_id, state, created_at) "
        "VALUES ('r1', 'p', 'ph', 'pending', '2025-12-05T10:00:00')");
  }

  testing::TempDir dir_;
  std::unique_ptr<SQLite::Database> db_;
};

TEST_F(WriteTransactionTest, CommitsTheBody) {
  ASSERT_TRUE(WriteTransaction(*db_, "insert", [&] { InsertRun(); }).ok());
  EXPECT_EQ(Runs(), 1);
}

TEST_F(WriteTransactionTest, RetriesWhileAnotherConnectionHoldsTheLock) {
  const auto start = std::chrono::steady_clock::now();
  std::thread holder = HoldLock(milliseconds(150));
  Status s = WriteTransaction(*db_, "insert", [&] { InsertRun(); });
  const auto waited = std::chrono::steady_clock::now() - start;
  holder.join();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(waited, milliseconds(140));  // far past the 10 ms busy timeout
  EXPECT_EQ(Runs(), 1);
}

TEST_F(WriteTransactionTest, GivesUpWithBusyAfterTheLastAttempt) {
  std::thread holder = HoldLock(milliseconds(600));
  Status s = WriteTransaction(
      *db_, "insert", [&] { InsertRun(); }, 2);
  holder.join();
  EXPECT_EQ(s.code(), Status::Code::kBusy);
  EXPECT_NE(s.message().find("insert"), std::string::npos);
  EXPECT_EQ(Runs(), 0);
}

TEST_F(WriteTransactionTest, RollsBackAndReportsOtherErrors) {
  Status s = WriteTransaction(*db_, "twice", [&] {
    InsertRun();
    InsertRun();  // primary key violation
  });
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_EQ(Runs(), 0);
}

}  // namespace
}  // namespace pe::sim
