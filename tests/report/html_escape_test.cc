#include "exporter/report/html_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

TEST(ReportHtmlEscapeTest, EscapesMarkupAndReplacesWhatHtmlCannotHold) {
  const struct {
    std::string raw;
    std::string want;
  } cases[] = {
      {"plain text", "plain text"},
      {"a & b", "a &amp; b"},
      {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
      {"\"double\" 'single'", "&quot;double&quot; &#39;single&#39;"},
      {"&amp;", "&amp;amp;"},
      {"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
      {std::string("nul\0x", 5), "nul\xEF\xBF\xBDx"},
      {"bell\x07", "bell\xEF\xBF\xBD"},
      {"del\x7F", "del\xEF\xBF\xBD"},
      {"c1\xC2\x85", "c1\xEF\xBF\xBD"},  // U+0085, a C1 control
      {"caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80",
       "caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80"},
      {"bad\xFF", "bad\xEF\xBF\xBD"},
      {"cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"surrogate\xED\xA0\x80",
       "surrogate\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HtmlEscape(c.raw), c.want) << c.raw;
  }
}

TEST(ReportHtmlEscapeTest, AppendsToWhatIsAlreadyThere) {
  std::string out = "<b>";
  AppendHtmlEscaped(&out, "<i>");
  EXPECT_EQ(out, "<b>&lt;i&gt;");
}

}  // namespace
}  // namespace pe
