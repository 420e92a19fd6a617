#include "exporter/state/project_selection.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

ProjectSelection Make(const char* include, const char* exclude) {
  Result<ProjectSelection> selection = ProjectSelection::Make(include, exclude);
  EXPECT_TRUE(selection.ok()) << selection.status().message();
  return selection.ok() ? *selection : ProjectSelection();
}

TEST(ProjectSelectionTest, TheDefaultSelectsEveryProject) {
  const ProjectSelection all;
  EXPECT_TRUE(all.all());
  EXPECT_TRUE(all.Selects("anything"));
  EXPECT_TRUE(all.Selects(""));
  EXPECT_TRUE(Make("", "").all());
}

TEST(ProjectSelectionTest, IncludeSelectsOnlyMatchingProjects) {
  const ProjectSelection teams = Make("team-.*", "");
  EXPECT_FALSE(teams.all());
  EXPECT_TRUE(teams.Selects("team-a"));
  EXPECT_FALSE(teams.Selects("sandbox"));
  EXPECT_FALSE(teams.Selects("my-team-a")) << "the whole name must match";
}

TEST(ProjectSelectionTest, ExcludeWinsOverInclude) {
  const ProjectSelection selection = Make("team-.*", "team-(scratch|tmp)");
  EXPECT_TRUE(selection.Selects("team-a"));
  EXPECT_FALSE(selection.Selects("team-scratch"));
  EXPECT_FALSE(selection.Selects("team-tmp"));
  const ProjectSelection only_exclude = Make("", "sandbox");
  EXPECT_TRUE(only_exclude.Selects("team-a"));
  EXPECT_FALSE(only_exclude.Selects("sandbox"));
}

TEST(ProjectSelectionTest, MatchesTheNameAsItsLabelShowsIt) {
  // A hostile row: a megabyte of name would overflow std::regex's stack.
  const std::string huge(1 << 20, 'a');
  EXPECT_TRUE(Make("a+[.]{3}", "").Selects(huge))
      << "as its label shows it: cut to 128 bytes, ending in ...";
  EXPECT_FALSE(Make("a+", "").Selects(huge));
  EXPECT_FALSE(Make("", "a+.*").Selects(huge));
  EXPECT_FALSE(Make("", "team a").Selects("team\na")) << "a newline: a space";
  EXPECT_TRUE(Make("", "team a").Selects("team-a"));
}

TEST(ProjectSelectionTest, AnInvalidExpressionNamesItsKey) {
  Result<ProjectSelection> include = ProjectSelection::Make("(", "");
  ASSERT_FALSE(include.ok());
  EXPECT_EQ(include.status().message().rfind("metrics.project-include: ", 0),
            0u)
      << include.status().message();
  Result<ProjectSelection> exclude = ProjectSelection::Make("a", "[");
  ASSERT_FALSE(exclude.ok());
  EXPECT_EQ(exclude.status().message().rfind("metrics.project-exclude: ", 0),
            0u)
      << exclude.status().message();
}

}  // namespace
}  // namespace pe
