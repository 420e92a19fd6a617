#include "tools/sim/error_text.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/utf8_check.h"

namespace pe::sim {
namespace {

using testing::IsValidUtf8;

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

TEST(MakeErrorMessageTest, TheSameSeedGivesTheSameTexts) {
  Rng a(3), b(3), c(4);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const std::string m = MakeErrorMessage(a, "build");
    EXPECT_EQ(m, MakeErrorMessage(b, "build"));
    differs |= m != MakeErrorMessage(c, "build");
  }
  EXPECT_TRUE(differs);
}

TEST(MakeErrorMessageTest, TextsAreValidUtf8AndSomeNameTheStep) {
  Rng rng(5);
  bool named = false;
  for (int i = 0; i < 500; ++i) {
    const std::string m = MakeErrorMessage(rng, "unit tests");
    EXPECT_TRUE(IsValidUtf8(m)) << m;
    named |= m.find("unit tests") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

TEST(MakeErrorMessageTest, SizedTextsAreCutOrLengthenedToTheSizeOnACharacter) {
  // A cut may fall inside a character: the text is then up to three bytes
  // shorter, never invalid UTF-8.
  for (size_t bytes : {0u, 1u, 7u, 40u, 41u, 42u, 43u, 200u, 5000u, 20000u}) {
    Rng rng(11);
    for (int i = 0; i < 200; ++i) {
      const std::string m = MakeErrorMessage(rng, "build", bytes);
      EXPECT_LE(m.size(), bytes);
      EXPECT_GE(m.size() + 3, bytes) << bytes;
      EXPECT_TRUE(IsValidUtf8(m)) << bytes;
    }
  }
}

TEST(ErrorSummaryTest, IsOneValidLineOfAtMost200Bytes) {
  Rng rng(12);
  for (int i = 0; i < 1000; ++i) {
    const std::string summary = ErrorSummary(MakeErrorMessage(rng, "build"));
    EXPECT_EQ(summary.find('\n'), std::string::npos) << summary;
    EXPECT_LE(summary.size(), 200u);
    EXPECT_TRUE(IsValidUtf8(summary)) << summary;
  }
  EXPECT_EQ(ErrorSummary(""), "");
  EXPECT_EQ(ErrorSummary("KeyError: 'a'"), "KeyError: 'a'");
}

}  // namespace
}  // namespace pe::sim
