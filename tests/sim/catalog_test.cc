#include "tools/sim/catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/support/json_query.h"

namespace pe::sim {
namespace {

using testing::IsValidJson;

TEST(SimCatalogTest, NamesFollowTheOrchestratorsConventions) {
  EXPECT_EQ(ProjectName(0), "proj-a");
  EXPECT_EQ(ProjectName(25), "proj-z");
  EXPECT_EQ(ProjectName(26), "proj-aa");
  EXPECT_EQ(StepId(0), "step_01");
  EXPECT_EQ(StepId(11), "step_12");
  EXPECT_EQ(StepName(0), "checkout");
  EXPECT_EQ(StepName(10), "checkout 2");
  Rng rng(4);
  std::set<std::string> phases, projects;
  int without_workstream = 0;
  for (int i = 0; i < 1000; ++i) {
    phases.insert(PickPhase(rng));
    projects.insert(PickProject(rng, 4));
    without_workstream += PickWorkstream(rng).has_value() ? 0 : 1;
  }
  EXPECT_EQ(phases.size(), 5u);
  EXPECT_TRUE(phases.count("phase5_execution"));
  EXPECT_EQ(projects,
            (std::set<std::string>{"proj-a", "proj-b", "proj-c", "proj-d"}));
  EXPECT_NEAR(without_workstream, 333, 60);
}

TEST(SimCatalogTest, MetadataIsJsonUnlessInvalidIsAllowed) {
  Rng rng(5);
  int invalid = 0;
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(MakeRunMetadata(rng, false).front(), '{');
    EXPECT_EQ(MakeRunMetadata(rng, false).back(), '}');
    invalid += MakeRunMetadata(rng, true).back() != '}' ? 1 : 0;
  }
  EXPECT_GT(invalid, 0);
  EXPECT_LT(invalid, 50);
}

TEST(PadNameTest, LengthensWithoutEverCuttingTheName) {
  EXPECT_EQ(PadName("proj-a", 0), "proj-a");
  EXPECT_EQ(PadName("proj-a", 3), "proj-a");
  const std::string padded = PadName("proj-a", 24);
  EXPECT_EQ(padded.size(), 24u);
  EXPECT_EQ(padded.rfind("proj-a-", 0), 0u) << padded;
  EXPECT_NE(padded.back(), '-');
  EXPECT_EQ(PadName("proj-a", 24), padded);  // deterministic
  EXPECT_NE(PadName("proj-b", 24), padded);  // distinct names stay distinct
}

TEST(NumberedPhaseNameTest, GoesOnPastTheFiveNamedPhases) {
  EXPECT_EQ(NumberedPhaseName(0), PhaseName(0));
  EXPECT_EQ(NumberedPhaseName(4), PhaseName(4));
  EXPECT_EQ(NumberedPhaseName(5), "phase6_planning");
  EXPECT_EQ(NumberedPhaseName(6), "phase7_design");
}

TEST(SimCatalogTest, ProjectNamesCountInLettersLikeSpreadsheetColumns) {
  EXPECT_EQ(ProjectName(27), "proj-ab");
  EXPECT_EQ(ProjectName(701), "proj-zz");
  EXPECT_EQ(ProjectName(702), "proj-aaa");
  std::set<std::string> names;
  for (size_t i = 0; i < 20000; ++i) names.insert(ProjectName(i));
  EXPECT_EQ(names.size(), 20000u);
  // No projects asked for still gives a name.
  Rng rng(1);
  EXPECT_EQ(PickProject(rng, 0), "proj-a");
}

TEST(SimCatalogTest, PhasesAreTheFiveNamedOnesInOrder) {
  EXPECT_EQ(PhaseCount(), 5u);
  EXPECT_EQ(PhaseName(0), "phase1_planning");
  EXPECT_EQ(PhaseName(1), "phase2_design");
  EXPECT_EQ(PhaseName(2), "phase3_build");
  EXPECT_EQ(PhaseName(3), "phase4_validation");
  EXPECT_EQ(PhaseName(4), "phase5_execution");
  EXPECT_EQ(PhaseName(5), PhaseName(0));  // wraps
}

TEST(SimCatalogTest, NumberedPhaseNamesStayDistinct) {
  std::set<std::string> names;
  for (size_t i = 0; i < 10000; ++i) {
    const std::string name = NumberedPhaseName(i);
    EXPECT_EQ(name.rfind("phase" + std::to_string(i + 1) + "_", 0), 0u) << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 10000u);
}

TEST(SimCatalogTest, WorkstreamsAreNumberedWithThreeDigitsAtLeast) {
  EXPECT_EQ(WorkstreamName(0), "ws-000");
  EXPECT_EQ(WorkstreamName(7), "ws-007");
  EXPECT_EQ(WorkstreamName(1234), "ws-1234");
  Rng rng(2);
  std::set<std::string> picked;
  for (int i = 0; i < 3000; ++i) {
    if (auto ws = PickWorkstream(rng)) picked.insert(*ws);
  }
  EXPECT_EQ(picked.size(), 40u);
  EXPECT_EQ(*picked.begin(), "ws-000");
  EXPECT_EQ(*picked.rbegin(), "ws-039");
}

TEST(SimCatalogTest, StepIdsSortByPositionWithinTheDefaultRange) {
  // Two digits: ids sort like their positions up to 99 steps. (Beyond,
  // "step_100" sorts before "step_99".)
  for (int i = 1; i < 99; ++i) {
    EXPECT_LT(StepId(i - 1), StepId(i)) << i;
  }
  EXPECT_EQ(StepId(99), "step_100");
  std::set<std::string> names;
  for (int i = 0; i < 10; ++i) names.insert(StepName(i));
  EXPECT_EQ(names.size(), 10u);
  EXPECT_EQ(StepName(20), "checkout 3");
  EXPECT_EQ(StepName(13), "build 2");
}

TEST(SimCatalogTest, MetadataIsAJsonObject) {
  Rng rng(6);
  for (int i = 0; i < 500; ++i) {
    const std::string metadata = MakeRunMetadata(rng, false);
    EXPECT_TRUE(IsValidJson(metadata)) << metadata;
    EXPECT_NE(metadata.find("\"trigger\":"), std::string::npos) << metadata;
  }
}

TEST(SimCatalogTest, SizedMetadataIsExactlyThatLongAndStillJson) {
  for (size_t bytes : {120u, 121u, 500u, 4096u}) {
    Rng rng(7);
    const std::string metadata = MakeRunMetadata(rng, false, bytes);
    EXPECT_EQ(metadata.size(), bytes);
    EXPECT_TRUE(IsValidJson(metadata)) << metadata;
    EXPECT_NE(metadata.find(",\"notes\":\""), std::string::npos);
  }
  // Shorter than the natural text: the natural text, drawn alike.
  Rng a(8), b(8);
  EXPECT_EQ(MakeRunMetadata(a, false, 10), MakeRunMetadata(b, false));
}

TEST(SimCatalogTest, InvalidMetadataIsNeverLengthened) {
  Rng rng(9);
  int invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string metadata = MakeRunMetadata(rng, true, 2000);
    if (IsValidJson(metadata)) {
      EXPECT_EQ(metadata.size(), 2000u);
    } else {
      ++invalid;
      EXPECT_LT(metadata.size(), 100u) << metadata;
    }
  }
  EXPECT_GT(invalid, 0);
}

}  // namespace
}  // namespace pe::sim
