// Generated text: error messages and names.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tools/sim/catalog.h"
#include "tools/sim/error_text.h"

namespace pe::sim {
namespace {

TEST(MakeErrorMessageTest, CoversTheTextsTheExporterMustSurvive) {
  Rng rng(1);
  bool traceback = false, enospc = false, html = false, multiline = false,
       non_ascii = false, kilobytes = false, quotes = false;
  for (int i = 0; i < 2000; ++i) {
    const std::string m = MakeErrorMessage(rng, "build");
    ASSERT_FALSE(m.empty());
    traceback |= m.rfind("Traceback (most recent call last):", 0) == 0;
    enospc |= m.find("OSError: [Errno 28] No space left on device") !=
              std::string::npos;
    html |= m.find("<b>oops</b>") != std::string::npos;
    multiline |= m.find('\n') != std::string::npos;
    non_ascii |= m.find("Ü") != std::string::npos;
    kilobytes |= m.size() >= 4096;
    quotes |=
        m.find('"') != std::string::npos && m.find('\'') != std::string::npos;
  }
  EXPECT_TRUE(traceback);
  EXPECT_TRUE(enospc);
  EXPECT_TRUE(html);
  EXPECT_TRUE(multiline);
  EXPECT_TRUE(non_ascii);
  EXPECT_TRUE(kilobytes);
  EXPECT_TRUE(quotes);
}

TEST(ErrorSummaryTest, KeepsTheExceptionLineOfATraceback) {
  EXPECT_EQ(ErrorSummary("Traceback (most recent call last):\n  File "
                         "\"x.py\", line 1\nKeyError: 'a'"),
            "KeyError: 'a'");
  EXPECT_EQ(ErrorSummary("first line\nsecond"), "first line");
}

TEST(ErrorSummaryTest, CutsLongTextWithoutSplittingUtf8) {
  std::string text(199, 'x');
  text += "ü and more text";  // 'ü' straddles byte 200
  const std::string summary = ErrorSummary(text);
  EXPECT_EQ(summary, std::string(199, 'x'));
}

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

}  // namespace
}  // namespace pe::sim
