#include "exporter/report/report_style.h"

#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace pe {
namespace {

// Whether the stylesheet has a selector for class `name` (".name" not
// followed by another character of a class name).
bool Styles(std::string_view css, std::string_view name) {
  const std::string needle = "." + std::string(name);
  for (std::size_t pos = css.find(needle); pos != std::string_view::npos;
       pos = css.find(needle, pos + 1)) {
    const std::size_t end = pos + needle.size();
    const char next = end < css.size() ? css[end] : ' ';
    if (!std::isalnum(static_cast<unsigned char>(next)) && next != '-' &&
        next != '_') {
      return true;
    }
  }
  return false;
}

TEST(ReportStylesheetTest, LoadsNothingFromOutsideThePage) {
  const std::string_view css = ReportStylesheet();
  ASSERT_FALSE(css.empty());
  EXPECT_EQ(css.find("url("), std::string_view::npos);
  EXPECT_EQ(css.find("@import"), std::string_view::npos);
  EXPECT_EQ(css.find("expression("), std::string_view::npos);
  EXPECT_EQ(css.find("javascript:"), std::string_view::npos);
}

TEST(ReportStylesheetTest, CannotCloseTheStyleElementItIsInlinedIn) {
  const std::string_view css = ReportStylesheet();
  EXPECT_EQ(css.find('<'), std::string_view::npos);
  for (char c : css) {
    // ASCII only: the page's encoding cannot garble it.
    EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  }
}

TEST(ReportStylesheetTest, BracesAndCommentsAreBalanced) {
  const std::string_view css = ReportStylesheet();
  int depth = 0;
  for (char c : css) {
    if (c == '{') ++depth;
    if (c == '}') --depth;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_EQ(css.find("/*"), std::string_view::npos);
}

TEST(ReportStylesheetTest, StylesEveryClassItsHeaderPromises) {
  const std::string_view css = ReportStylesheet();
  for (const char* name : {"ok", "warn", "bad", "quar", "info", "grey", "badge",
                           "tiles", "tile", "card", "kv", "bar", "s-completed",
                           "s-failed", "s-skipped", "s-other", "error"}) {
    EXPECT_TRUE(Styles(css, name)) << name;
  }
  const std::size_t error = css.find("pre.error{");
  ASSERT_NE(error, std::string_view::npos);
  const std::string_view rule = css.substr(error, css.find('}', error) - error);
  EXPECT_NE(rule.find("white-space:pre-wrap"), std::string_view::npos);
  EXPECT_NE(rule.find("max-height:26em"), std::string_view::npos);
  EXPECT_NE(rule.find("overflow:auto"), std::string_view::npos);
}

TEST(ReportStylesheetTest, StylesEveryClassTheGoldenReportUses) {
  std::ifstream in(std::string(PE_TEST_DATA_DIR) + "/golden/report.html");
  ASSERT_TRUE(in.good());
  const std::string html(std::istreambuf_iterator<char>(in), {});
  std::set<std::string> classes;
  for (std::size_t pos = html.find("class=\""); pos != std::string::npos;
       pos = html.find("class=\"", pos + 1)) {
    const std::size_t start = pos + 7;
    std::istringstream names(html.substr(start, html.find('"', start) - start));
    for (std::string name; names >> name;) classes.insert(name);
  }
  ASSERT_GT(classes.size(), 10u);
  // "top", "l" and "v" are styled through their parents (header.top,
  // .tile .l); Styles() finds those too.
  for (const std::string& name : classes) {
    EXPECT_TRUE(Styles(ReportStylesheet(), name)) << name;
  }
}

TEST(ReportStylesheetTest, IsTheSameTextEveryCall) {
  EXPECT_EQ(ReportStylesheet().data(), ReportStylesheet().data());
  EXPECT_EQ(ReportStylesheet(), ReportStylesheet());
}

}  // namespace
}  // namespace pe
