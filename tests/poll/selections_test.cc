#include "exporter/poll/selections.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

std::string ErrorOf(const Config& config) {
  Result<Selections> selections = SelectionsFromConfig(config);
  return selections.ok() ? "" : selections.status().message();
}

TEST(SelectionsTest, TheDefaultsSelectEveryProjectAndFamily) {
  Result<Selections> selections = SelectionsFromConfig(Config{});
  ASSERT_TRUE(selections.ok());
  EXPECT_TRUE(selections->projects.all());
  EXPECT_TRUE(selections->families.all());
}

TEST(SelectionsTest, ReadsEachKey) {
  Config config;
  config.metrics_project_include = "team-.*";
  config.metrics_project_exclude = "team-tmp";
  config.metrics_family_allow = "pipeline_run_.*";
  config.metrics_family_deny = "pipeline_run_steps";
  Result<Selections> selections = SelectionsFromConfig(config);
  ASSERT_TRUE(selections.ok()) << selections.status().message();
  EXPECT_TRUE(selections->projects.Selects("team-a"));
  EXPECT_FALSE(selections->projects.Selects("team-tmp"));
  EXPECT_FALSE(selections->projects.Selects("other"));
  EXPECT_TRUE(selections->families.Exposes(metrics::kRunInfo));
  EXPECT_FALSE(selections->families.Exposes(metrics::kRunSteps));
  EXPECT_FALSE(selections->families.Exposes(metrics::kStateUp));
}

TEST(SelectionsTest, AnErrorNamesTheKeyAndTheEntry) {
  Config unknown_allowed;
  unknown_allowed.metrics_family_allow = "pipeline_run_info,pipeline_jobs";
  EXPECT_EQ(
      ErrorOf(unknown_allowed)
          .rfind("metrics.family-allow: \"pipeline_jobs\" matches no metric "
                 "family",
                 0),
      0u)
      << ErrorOf(unknown_allowed);
  Config unknown_denied;
  unknown_denied.metrics_family_deny = "pipeline_run_stats";
  EXPECT_EQ(ErrorOf(unknown_denied)
                .rfind("metrics.family-deny: \"pipeline_run_stats\"", 0),
            0u)
      << ErrorOf(unknown_denied);
  Config bad_regex;
  bad_regex.metrics_project_exclude = "team-(";
  EXPECT_EQ(ErrorOf(bad_regex).rfind("metrics.project-exclude: ", 0), 0u)
      << ErrorOf(bad_regex);
}

}  // namespace
}  // namespace pe
