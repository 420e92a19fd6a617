#include "exporter/common/pattern_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pe {
namespace {

TEST(FullMatchTest, MatchesTheWholeValueOnly) {
  Result<FullMatch> team = FullMatch::Compile("team-.*");
  ASSERT_TRUE(team.ok()) << team.status().message();
  EXPECT_TRUE(team->Matches("team-a"));
  EXPECT_FALSE(team->Matches("my-team-a")) << "anchored at the start";
  Result<FullMatch> exact = FullMatch::Compile("build");
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->Matches("build-nightly")) << "anchored at the end";
  EXPECT_TRUE(exact->Matches("build"));
}

TEST(FullMatchTest, AnExpressionThatDoesNotCompileIsAnErrorQuotingIt) {
  Result<FullMatch> bad = FullMatch::Compile("team-(a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"team-(a\""), std::string::npos)
      << bad.status().message();
}

TEST(FullMatchTest, BoundsTheExpressionAndTheValue) {
  EXPECT_FALSE(
      FullMatch::Compile(std::string(FullMatch::kMaxPatternBytes + 1, 'a'))
          .ok());
  EXPECT_TRUE(
      FullMatch::Compile(std::string(FullMatch::kMaxPatternBytes, 'a')).ok());
  Result<FullMatch> any = FullMatch::Compile(".*");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->Matches(std::string(FullMatch::kMaxValueBytes, 'x')));
  EXPECT_FALSE(any->Matches(std::string(1 << 20, 'x')))
      << "too long to match safely: matches nothing";
}

TEST(PatternListTest, SplitsOnCommasAndIgnoresBlanksAroundEntries) {
  Result<std::vector<FullMatch>> list = CompilePatternList(" a , b.* ,c");
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].pattern(), "a");
  EXPECT_EQ((*list)[1].pattern(), "b.*");
  EXPECT_EQ((*list)[2].pattern(), "c");
  EXPECT_TRUE((*list)[1].Matches("bee"));
}

TEST(PatternListTest, EmptyTextIsTheEmptyList) {
  for (const char* text : {"", "  "}) {
    Result<std::vector<FullMatch>> list = CompilePatternList(text);
    ASSERT_TRUE(list.ok());
    EXPECT_TRUE(list->empty()) << "\"" << text << "\"";
  }
}

TEST(PatternListTest, AnEmptyEntryIsRefused) {
  for (const char* text : {"a,,b", "a,", ",a", ","}) {
    Result<std::vector<FullMatch>> list = CompilePatternList(text);
    EXPECT_FALSE(list.ok()) << "\"" << text << "\"";
    if (!list.ok()) {
      EXPECT_NE(list.status().message().find("empty entry"), std::string::npos);
    }
  }
}

TEST(PatternListTest, AnEntryThatDoesNotCompileIsRefused) {
  Result<std::vector<FullMatch>> list = CompilePatternList("a,[b");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("\"[b\""), std::string::npos);
}

}  // namespace
}  // namespace pe
