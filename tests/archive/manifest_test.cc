#include "exporter/archive/manifest.h"

#include <gtest/gtest.h>

namespace pe {
namespace {

const std::string kA(64, 'a');
const std::string kB(64, 'b');

TEST(ArchiveManifestTest, FormatsSha256sumLinesInNameOrder) {
  Manifest m = {{"run/z.txt", kA}, {"run/a b.txt", kB}};
  EXPECT_EQ(FormatManifest(m), kB + "  run/a b.txt\n" + kA + "  run/z.txt\n");
}

TEST(ArchiveManifestTest, EscapesBackslashAndNewlineLikeSha256sum) {
  Manifest m = {{"run/a\\b\nc", kA}};
  const std::string text = FormatManifest(m);
  EXPECT_EQ(text, "\\" + kA + "  run/a\\\\b\\nc\n");
  Result<Manifest> back = ParseManifest(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(ArchiveManifestTest, RejectsMalformedLines) {
  const std::string cases[] = {
      kA + "  run/x",                       // no newline
      kA + " run/x\n",                      // one space
      std::string(63, 'a') + "  run/x\n",   // short digest
      std::string(64, 'A') + "  run/x\n",   // upper case
      kA + "  run/x\n" + kB + "  run/x\n",  // twice
  };
  for (const std::string& text : cases) {
    Result<Manifest> m = ParseManifest(text);
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << text;
  }
}

}  // namespace
}  // namespace pe
