#include "exporter/common/json.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace pe {
namespace {

std::string Quoted(std::string_view raw, JsonEscapes escapes = {}) {
  std::string out;
  AppendJsonString(&out, raw, escapes);
  return out;
}

TEST(JsonStringTest, EscapesStringsAsJsonRequires) {
  const struct {
    std::string raw;
    std::string want;
  } cases[] = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {R"(say "hi")", R"("say \"hi\"")"},
      {R"(C:\path)", R"("C:\\path")"},
      {"a/b", R"("a/b")"},
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {std::string("\0", 1), R"("\u0000")"},
      {"\x01\x1F\x7F", R"("\u0001\u001f\u007f")"},
      {"</script><b>&", R"("</script><b>&")"},
      {"caf\xC3\xA9 \xF0\x9F\x98\x80", "\"caf\xC3\xA9 \xF0\x9F\x98\x80\""},
      {"bad\xFF", "\"bad\xEF\xBF\xBD\""},
      {"overlong\xC0\xAF", "\"overlong\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"cut\xE2\x82", "\"cut\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Quoted(c.raw), c.want) << c.raw;
  }
}

TEST(JsonStringTest, LogEscapesSpellBackspaceFormFeedAndReplacementOut) {
  EXPECT_EQ(Quoted("\b\f\n", kLogJsonEscapes), R"("\u0008\u000c\n")");
  EXPECT_EQ(Quoted("a\xFF"
                   "b",
                   kLogJsonEscapes),
            R"("a\ufffdb")");
  EXPECT_EQ(Quoted("\xE6\x97", kLogJsonEscapes), R"("\ufffd\ufffd")");
  EXPECT_EQ(Quoted("\xE6\x97\xA5", kLogJsonEscapes), "\"\xE6\x97\xA5\"");
}

TEST(JsonStringTest, LogfmtEscapesKeepTheReplacementCharacterItself) {
  EXPECT_EQ(Quoted("\b\f", kLogfmtEscapes), R"("\u0008\u000c")");
  EXPECT_EQ(Quoted("a\xFF", kLogfmtEscapes), "\"a\xEF\xBF\xBD\"");
}

TEST(JsonStringTest, EscapedAppendsWithoutQuotes) {
  std::string out = "x=";
  AppendJsonEscaped(&out, "a\"b");
  EXPECT_EQ(out, R"(x=a\"b)");
  EXPECT_EQ(JsonQuote("l1\nl2"), R"("l1\nl2")");
}

TEST(JsonObjectTest, BuildsAFlatObjectInCallOrder) {
  EXPECT_EQ(JsonObject().Build(), "{}");
  EXPECT_EQ(JsonObject().Str("a", "x\"y").Int("n", -3).Build(),
            R"({"a":"x\"y","n":-3})");
  EXPECT_EQ(JsonObject().Str("k\"ey", "v").Build(), R"({"k\"ey":"v"})");
}

TEST(JsonObjectTest, WritesNumbersShortestOrWithFixedDecimals) {
  EXPECT_EQ(JsonObject().Num("d", 1.5).Num("e", 0.1).Build(),
            R"({"d":1.5,"e":0.10000000000000001})");
  EXPECT_EQ(JsonObject().Num("d", 1.5, 3).Num("e", 2.0 / 3, 3).Build(),
            R"({"d":1.500,"e":0.667})");
  EXPECT_EQ(JsonObject().Num("big", 1e300, 3).Build().size(),
            std::string(R"({"big":})").size() + 301 + 4);
}

TEST(JsonObjectTest, WritesNonFiniteNumbersAsZero) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(JsonObject().Num("a", inf).Num("b", nan).Num("c", -inf, 3).Build(),
            R"({"a":0,"b":0,"c":0.000})");
}

}  // namespace
}  // namespace pe
