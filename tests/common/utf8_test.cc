#include "exporter/common/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pe {
namespace {

// The length of the sequence at the start of `bytes`.
std::size_t LengthOf(std::string_view bytes) {
  return Utf8SequenceLength(bytes, 0);
}

TEST(Utf8SequenceLengthTest, AsciiIsOneByteIncludingNulAndDel) {
  EXPECT_EQ(LengthOf("a"), 1u);
  EXPECT_EQ(LengthOf(std::string_view("\0", 1)), 1u);
  EXPECT_EQ(LengthOf("\x7F"), 1u);
}

TEST(Utf8SequenceLengthTest, MeasuresEachWellFormedLengthAtItsBounds) {
  EXPECT_EQ(LengthOf("\xC2\x80"), 2u);          // U+0080
  EXPECT_EQ(LengthOf("\xDF\xBF"), 2u);          // U+07FF
  EXPECT_EQ(LengthOf("\xE0\xA0\x80"), 3u);      // U+0800
  EXPECT_EQ(LengthOf("\xED\x9F\xBF"), 3u);      // U+D7FF, below surrogates
  EXPECT_EQ(LengthOf("\xEE\x80\x80"), 3u);      // U+E000, above them
  EXPECT_EQ(LengthOf("\xEF\xBF\xBF"), 3u);      // U+FFFF
  EXPECT_EQ(LengthOf("\xF0\x90\x80\x80"), 4u);  // U+10000
  EXPECT_EQ(LengthOf("\xF4\x8F\xBF\xBF"), 4u);  // U+10FFFF, the last
  EXPECT_EQ(LengthOf("é"), 2u);
  EXPECT_EQ(LengthOf("日"), 3u);
  EXPECT_EQ(LengthOf("😀"), 4u);
}

TEST(Utf8SequenceLengthTest, RejectsOverlongEncodings) {
  EXPECT_EQ(LengthOf("\xC0\x80"), 0u);          // U+0000 in two bytes
  EXPECT_EQ(LengthOf("\xC1\xBF"), 0u);          // U+007F in two bytes
  EXPECT_EQ(LengthOf("\xE0\x80\x80"), 0u);      // U+0000 in three bytes
  EXPECT_EQ(LengthOf("\xE0\x9F\xBF"), 0u);      // U+07FF in three bytes
  EXPECT_EQ(LengthOf("\xF0\x80\x80\x80"), 0u);  // U+0000 in four bytes
  EXPECT_EQ(LengthOf("\xF0\x8F\xBF\xBF"), 0u);  // U+FFFF in four bytes
}

TEST(Utf8SequenceLengthTest, RejectsSurrogates) {
  EXPECT_EQ(LengthOf("\xED\xA0\x80"), 0u);  // U+D800
  EXPECT_EQ(LengthOf("\xED\xBF\xBF"), 0u);  // U+DFFF
}

TEST(Utf8SequenceLengthTest, RejectsCodePointsAboveU10FFFF) {
  EXPECT_EQ(LengthOf("\xF4\x90\x80\x80"), 0u);  // U+110000
  for (int lead = 0xF5; lead <= 0xFF; ++lead) {
    const std::string bytes = {static_cast<char>(lead), '\x80', '\x80', '\x80'};
    EXPECT_EQ(LengthOf(bytes), 0u) << std::hex << lead;
  }
}

TEST(Utf8SequenceLengthTest, RejectsALoneContinuationByte) {
  EXPECT_EQ(LengthOf("\x80"), 0u);
  EXPECT_EQ(LengthOf("\xBF"), 0u);
}

TEST(Utf8SequenceLengthTest, RejectsASequenceCutShort) {
  // At the end of the string: never reads past it.
  EXPECT_EQ(LengthOf("\xE6\x97"), 0u);
  EXPECT_EQ(LengthOf("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(LengthOf("\xC3"), 0u);
  // Followed by something that is not a continuation byte.
  EXPECT_EQ(LengthOf("\xE6\x97"
                     "a"),
            0u);
  EXPECT_EQ(LengthOf("\xF0\x9F\x98\xC3\xA9"), 0u);
  EXPECT_EQ(LengthOf("\xC3\xC3\xA9"), 0u);
}

TEST(Utf8SequenceLengthTest, MeasuresAtTheGivenIndex) {
  const std::string_view text = "a\xC3\xA9\xE6\x97\xA5\x80z";
  EXPECT_EQ(Utf8SequenceLength(text, 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(text, 1), 2u);
  EXPECT_EQ(Utf8SequenceLength(text, 2), 0u);  // inside 'é'
  EXPECT_EQ(Utf8SequenceLength(text, 3), 3u);
  EXPECT_EQ(Utf8SequenceLength(text, 6), 0u);  // stray continuation
  EXPECT_EQ(Utf8SequenceLength(text, 7), 1u);
}

TEST(Utf8SequenceLengthTest, TheReplacementCharacterIsU_FFFDAndWellFormed) {
  EXPECT_EQ(kReplacement, "\uFFFD");
  EXPECT_EQ(LengthOf(kReplacement), kReplacement.size());
}

}  // namespace
}  // namespace pe
