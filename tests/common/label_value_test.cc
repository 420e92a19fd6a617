#include "exporter/common/label_value.h"

#include <gtest/gtest.h>

#include <string>

namespace pe {
namespace {

TEST(SanitizeReasonTest, KeepsTheFirstLineOfAPlainMessage) {
  EXPECT_EQ(SanitizeReason("disk quota exceeded\nmore detail\n", 120),
            "disk quota exceeded");
}

TEST(SanitizeReasonTest, KeepsTheExceptionLineOfAPythonTraceback) {
  const std::string tb =
      "Traceback (most recent call last):\n"
      "  File \"/app/run.py\", line 10, in <module>\n"
      "    main()\n"
      "OSError: [Errno 28] No space left on device\n\n";
  EXPECT_EQ(SanitizeReason(tb, 120),
            "OSError: [Errno 28] No space left on device");
}

TEST(SanitizeReasonTest, LinesOfControlCharactersCountAsBlank) {
  // Found by fuzz/label_value_fuzzer (fuzz/regressions/).
  EXPECT_EQ(SanitizeReason(std::string("\0\nConnection refused", 20), 120),
            "Connection refused");
  EXPECT_EQ(SanitizeReason("Traceback (most recent call last):\n"
                           "  File \"x.py\", line 1\n"
                           "ValueError: bad\n\f\n\x1b\n",
                           120),
            "ValueError: bad");
}

TEST(SanitizeReasonTest, CollapsesWhiteSpaceAndControlCharacters) {
  EXPECT_EQ(SanitizeReason("  a\t\tb\r\x01 c  ", 120), "a b c");
}

TEST(SanitizeReasonTest, KeepsMarkupAndQuotesAsText) {
  EXPECT_EQ(SanitizeReason("<script>alert(\"x\")</script>", 120),
            "<script>alert(\"x\")</script>");
}

TEST(SanitizeReasonTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(SanitizeReason("bad \xff\xfe byte", 120),
            "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
  // Overlong encoding of '/' and a lone surrogate are invalid too.
  EXPECT_EQ(SanitizeReason("\xC0\xAF", 120), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeReason("\xED\xA0\x80", 120),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SanitizeReasonTest, CutsOnACodePointBoundaryWithAnEllipsis) {
  // "é" is two bytes: a cut must never split it.
  const std::string text = "ééééééééé";  // 18 bytes
  const std::string got = SanitizeReason(text, 10);
  EXPECT_LE(got.size(), 10u);
  EXPECT_EQ(got, "ééé...");
}

TEST(SanitizeReasonTest, BoundsKilobytesOfText) {
  const std::string huge(100000, 'x');
  EXPECT_EQ(SanitizeReason(huge, 120).size(), 120u);
}

TEST(SanitizeReasonTest, EmptyAndBlankGiveEmpty) {
  EXPECT_EQ(SanitizeReason("", 120), "");
  EXPECT_EQ(SanitizeReason("\n \n\t\n", 120), "");
}

// The poller keeps a tracked run's reason sanitized, and rendering
// sanitizes it again: that must not change it.
TEST(SanitizeReasonTest, SanitizingTwiceChangesNothing) {
  const std::string inputs[] = {
      "plain message\nsecond line",
      "Traceback (most recent call last):\n  File \"x.py\"\nValueError: "
      "bad",
      "Traceback only",
      "  tabs\tand\x01controls\x7f  ",
      "bad utf8 \xff\xfe here",
      std::string(300, 'x') + " tail",
      "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
      "...",
      ""};
  for (std::size_t max : {1u, 3u, 4u, 10u, 120u}) {
    for (const std::string& in : inputs) {
      const std::string once = SanitizeReason(in, max);
      EXPECT_EQ(SanitizeReason(once, max), once) << in << " at " << max;
    }
  }
}

TEST(SanitizeLabelValueTest, KeepsNonAsciiAndSpaces) {
  EXPECT_EQ(SanitizeLabelValue("projet été 1", 64), "projet été 1");
}

TEST(AppendEscapedLabelValueTest, EscapesBackslashQuoteAndNewline) {
  std::string out;
  AppendEscapedLabelValue(&out, "a\\b\"c\nd");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
}

}  // namespace
}  // namespace pe
