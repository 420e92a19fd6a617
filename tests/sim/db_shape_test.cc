#include "tools/sim/db_shape.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tools/sim/bulk_load.h"
#include "tools/sim/db_shape_main.h"
#include "tools/sim/sim_flags.h"

namespace pe::sim {
namespace {

using std::chrono::system_clock;

// 2025-12-05T10:00:00Z
constexpr double kNowUnix = 1764928800;
const system_clock::time_point kNow =
    system_clock::time_point(std::chrono::seconds(1764928800));

std::vector<std::string> Split(const std::string& flags) {
  std::istringstream in(flags);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

class DbShapeTest : public ::testing::Test {
 protected:
  DbShapeTest() { options_.artifacts = false; }

  DbShape LoadAndMeasure(const std::string& name, size_t terminal,
                         size_t active) {
    const std::string path = dir_.File(name);
    Status s = BulkLoad(path, options_, terminal, active, kNow);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Result<DbShape> shape = MeasureDbShape(path, kNowUnix);
    EXPECT_TRUE(shape.ok()) << shape.status().ToString();
    return shape.ok() ? *shape : DbShape{};
  }

  testing::TempDir dir_;
  SimOptions options_;
};

TEST_F(DbShapeTest, TheSimulatorsOwnShapeIsReportedAsItIs) {
  const DbShape shape = LoadAndMeasure("default.db", 3000, 200);
  EXPECT_EQ(shape.runs, 3200);
  EXPECT_EQ(shape.active_runs, 200);
  EXPECT_EQ(shape.terminal_runs, 3000);
  EXPECT_EQ(shape.steps, 3200 * 8);
  EXPECT_DOUBLE_EQ(shape.run_id_bytes, 26);
  EXPECT_EQ(shape.projects.distinct, 4);
  EXPECT_DOUBLE_EQ(shape.projects.mean_bytes, 6);  // "proj-a"
  EXPECT_EQ(shape.phases.distinct, 5);
  EXPECT_EQ(shape.workstreams.distinct, 40);
  EXPECT_NEAR(shape.workstream_share, 2.0 / 3, 0.03);
  EXPECT_GT(shape.events_per_run(), 4.5);
  EXPECT_LT(shape.events_per_run(), 6);
  EXPECT_GT(shape.error_messages, 0);
  EXPECT_EQ(shape.events_without_run, 0);
  // 30 days of history, ended evenly: about 3000 / 720 h in the last hour.
  EXPECT_NEAR(shape.history_seconds, 30 * 86400, 3600);
  EXPECT_LE(shape.ended_last_hour, 15);
}

TEST_F(DbShapeTest, EveryShapeParameterReachesTheDatabase) {
  BulkShape& s = options_.shape;
  s.phases = 9;
  s.workstreams = 13;
  s.workstream_share = 0.5;
  s.run_id_bytes = 36;
  s.project_bytes = 20;
  s.phase_bytes = 18;
  s.workstream_bytes = 22;
  s.events_per_run = 9;
  s.error_bytes = 800;
  s.metadata_bytes = 400;
  options_.projects = 7;
  options_.bulk_span = std::chrono::hours(48);
  const DbShape shape = LoadAndMeasure("shaped.db", 3000, 200);
  EXPECT_EQ(shape.runs, 3200);
  EXPECT_DOUBLE_EQ(shape.run_id_bytes, 36);
  EXPECT_EQ(shape.projects.distinct, 7);
  EXPECT_DOUBLE_EQ(shape.projects.mean_bytes, 20);
  EXPECT_EQ(shape.phases.distinct, 9);
  EXPECT_DOUBLE_EQ(shape.phases.mean_bytes, 18);
  EXPECT_EQ(shape.workstreams.distinct, 13);
  EXPECT_DOUBLE_EQ(shape.workstreams.mean_bytes, 22);
  EXPECT_NEAR(shape.workstream_share, 0.5, 0.03);
  // Terminal runs reach 9; the 200 active ones have fewer.
  EXPECT_NEAR(shape.events_per_run(), 9, 1);
  EXPECT_NEAR(shape.error_mean_bytes, 800, 120);
  // All but the rare invalid (Python repr) metadata are lengthened.
  EXPECT_NEAR(shape.metadata_bytes, 400, 5);
  // 3000 ends over 48 h but the last 10 min: ~52 in the last hour.
  EXPECT_NEAR(static_cast<double>(shape.ended_last_hour), 52, 20);
}

TEST_F(DbShapeTest, TheSuggestedSimulateFlagsReproduceTheShape) {
  options_.projects = 11;
  options_.shape.phases = 7;
  options_.shape.run_id_bytes = 32;
  options_.shape.project_bytes = 25;
  options_.shape.metadata_bytes = 300;
  options_.bulk_span = std::chrono::hours(20);
  const DbShape original = LoadAndMeasure("original.db", 4000, 300);

  Result<SimFlags> flags =
      ParseSimFlags(Split("--db x.db " + SimulateFlagsFor(original)));
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->bulk, 4000u);
  EXPECT_EQ(flags->bulk_active, 300u);
  options_ = flags->options;
  options_.artifacts = false;
  const DbShape copy =
      LoadAndMeasure("copy.db", flags->bulk, flags->bulk_active);

  EXPECT_EQ(copy.runs, original.runs);
  EXPECT_EQ(copy.active_runs, original.active_runs);
  EXPECT_EQ(copy.projects.distinct, original.projects.distinct);
  EXPECT_EQ(copy.phases.distinct, original.phases.distinct);
  EXPECT_EQ(copy.workstreams.distinct, original.workstreams.distinct);
  EXPECT_DOUBLE_EQ(copy.run_id_bytes, original.run_id_bytes);
  EXPECT_DOUBLE_EQ(copy.projects.mean_bytes, original.projects.mean_bytes);
  EXPECT_NEAR(copy.steps_per_run(), original.steps_per_run(), 0.01);
  EXPECT_NEAR(copy.events_per_run(), original.events_per_run(), 0.3);
  EXPECT_NEAR(copy.workstream_share, original.workstream_share, 0.03);
  EXPECT_NEAR(copy.metadata_bytes, original.metadata_bytes, 5);
  // What decides how many runs are exposed: within 15%.
  EXPECT_NEAR(static_cast<double>(copy.ended_last_hour),
              static_cast<double>(original.ended_last_hour),
              0.15 * static_cast<double>(original.ended_last_hour));
}

TEST_F(DbShapeTest, AFileWithoutTheContractTablesIsAnErrorNamingIt) {
  const std::string path = dir_.File("other.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE notes (x TEXT)");
  }
  Result<DbShape> shape = MeasureDbShape(path, kNowUnix);
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find(path), std::string::npos)
      << shape.status().message();
}

TEST_F(DbShapeTest, TheReportEndsWithTheCommandThatBuildsItsShape) {
  DbShape shape;
  shape.runs = 10;
  shape.active_runs = 1;
  shape.terminal_runs = 9;
  shape.projects = {3, 8};
  const std::string report = FormatDbShape(shape);
  EXPECT_NE(report.find("active 1 = 10.0%"), std::string::npos) << report;
  EXPECT_NE(report.find("pipeline_exporter simulate --db bench.db --seed 42 " +
                        SimulateFlagsFor(shape)),
            std::string::npos)
      << report;
}

TEST(DbShapeMainTest, BadFlagsExitTwoAndAMissingFileOne) {
  EXPECT_EQ(DbShapeMain({}), 2);
  EXPECT_EQ(DbShapeMain({"--db"}), 2);
  EXPECT_EQ(DbShapeMain({"--db", "x.db", "--color", "red"}), 2);
  EXPECT_EQ(DbShapeMain({"--db", "x.db", "--now", "yesterday"}), 2);
  EXPECT_EQ(DbShapeMain({"--db", "/nonexistent/state.db"}), 1);
  EXPECT_EQ(DbShapeMain({"--help"}), 0);
}

}  // namespace
}  // namespace pe::sim
