#include "exporter/metrics/family_selection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pe::metrics {
namespace {

FamilySelection Make(const char* allow, const char* deny) {
  Result<FamilySelection> selection = FamilySelection::Make(allow, deny);
  EXPECT_TRUE(selection.ok()) << selection.status().message();
  return selection.ok() ? *selection : FamilySelection();
}

std::vector<std::string> HiddenNames(const FamilySelection& selection) {
  std::vector<std::string> names;
  for (const Def* def : selection.Hidden()) names.emplace_back(def->name);
  return names;
}

TEST(FamilySelectionTest, TheDefaultExposesEveryDeclaredFamily) {
  const FamilySelection all;
  EXPECT_TRUE(all.all());
  for (const Def* def : AllDefs()) EXPECT_TRUE(all.Exposes(*def)) << def->name;
  EXPECT_TRUE(HiddenNames(all).empty());
  EXPECT_TRUE(Make("", "").all());
}

TEST(FamilySelectionTest, DenyHidesFamiliesByNameOrExpression) {
  const FamilySelection selection =
      Make("", "pipeline_run_failure_info, pipeline_exporter_poll_.*");
  EXPECT_FALSE(selection.all());
  EXPECT_FALSE(selection.Exposes(kRunFailureInfo));
  EXPECT_FALSE(selection.Exposes(kPollDuration));
  EXPECT_FALSE(selection.Exposes(kPollErrors));
  EXPECT_TRUE(selection.Exposes(kPolls)) << "polls_total: not poll_.*";
  EXPECT_TRUE(selection.Exposes(kRunInfo));
  EXPECT_EQ(HiddenNames(selection),
            (std::vector<std::string>{"pipeline_run_failure_info",
                                      "pipeline_exporter_poll_duration_seconds",
                                      "pipeline_exporter_poll_errors_total"}))
      << "in declaration order";
}

TEST(FamilySelectionTest, AllowExposesOnlyMatchingFamiliesAndDenyWins) {
  const FamilySelection selection = Make(
      "pipeline_run_.*,pipeline_exporter_build_info", "pipeline_run_steps");
  EXPECT_TRUE(selection.Exposes(kRunInfo));
  EXPECT_TRUE(selection.Exposes(kRunStatus));
  EXPECT_TRUE(selection.Exposes(kBuildInfo));
  EXPECT_FALSE(selection.Exposes(kRunSteps)) << "denied although allowed";
  EXPECT_FALSE(selection.Exposes(kRuns)) << "pipeline_runs: not allowed";
  EXPECT_FALSE(selection.Exposes(kStateUp));
}

TEST(FamilySelectionTest, AnEntryMatchingNoFamilyIsAnErrorNamingIt) {
  Result<FamilySelection> deny =
      FamilySelection::Make("", "pipeline_run_info,pipeline_run_infos");
  ASSERT_FALSE(deny.ok());
  EXPECT_EQ(
      deny.status().message().rfind(
          "deny list: \"pipeline_run_infos\" matches no metric family", 0),
      0u)
      << deny.status().message();
  Result<FamilySelection> allow = FamilySelection::Make("go_.*", "");
  ASSERT_FALSE(allow.ok());
  EXPECT_NE(allow.status().message().find("allow list: \"go_.*\""),
            std::string::npos);
  EXPECT_FALSE(FamilySelection::CheckList("pipeline_run").ok())
      << "a prefix is not a match: entries match whole names";
  EXPECT_TRUE(FamilySelection::CheckList("pipeline_run.*").ok());
}

TEST(FamilySelectionTest, NamesOutsideTheDeclarationsAreNotOursToHide) {
  const FamilySelection selection = Make("pipeline_run_info", "");
  EXPECT_TRUE(selection.Exposes("process_cpu_seconds_total"));
}

}  // namespace
}  // namespace pe::metrics
