#include "exporter/http/header_tokens.h"

#include <gtest/gtest.h>

namespace pe {
namespace {

TEST(HeaderTokensTest, TrimOwsRemovesSpacesAndTabsAtBothEndsOnly) {
  EXPECT_EQ(TrimOws(" \tgzip, br \t"), "gzip, br");
  EXPECT_EQ(TrimOws("a b"), "a b");
  EXPECT_EQ(TrimOws(" \t "), "");
  EXPECT_EQ(TrimOws(""), "");
}

TEST(HeaderTokensTest, EqualsIgnoreCaseComparesAsciiLettersOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(EqualsIgnoreCase("keep-alive", "keep-alive "));
  EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzi"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
}

TEST(HeaderTokensTest, HeaderHasTokenFindsAWholeElementOfTheList) {
  EXPECT_TRUE(HeaderHasToken("keep-alive", "keep-alive"));
  EXPECT_TRUE(HeaderHasToken("Upgrade,  Keep-Alive ", "keep-alive"));
  EXPECT_TRUE(HeaderHasToken("gzip, chunked", "chunked"));
  EXPECT_FALSE(HeaderHasToken("keep-alive-ish", "keep-alive"));
  EXPECT_FALSE(HeaderHasToken("close", "keep-alive"));
  EXPECT_FALSE(HeaderHasToken("", "close"));
  EXPECT_FALSE(HeaderHasToken(",,", "close"));
}

}  // namespace
}  // namespace pe
