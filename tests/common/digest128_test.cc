#include "exporter/common/digest128.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace pe {
namespace {

TEST(Murmur3DigestTest, MatchesTheReferenceVerificationValue) {
  // SMHasher's check of MurmurHash3_x64_128: the digests of {}, {0}, {0, 1},
  // ... {0..254} with seed 256 - length, hashed again with seed 0; the first
  // four bytes read as a little-endian integer.
  unsigned char key[256];
  unsigned char digests[16 * 256];
  for (int i = 0; i < 256; ++i) {
    key[i] = static_cast<unsigned char>(i);
    const Digest128 d = Murmur3Digest(
        std::string_view(reinterpret_cast<const char*>(key), i), 256 - i);
    std::memcpy(digests + 16 * i, &d.lo, 8);
    std::memcpy(digests + 16 * i + 8, &d.hi, 8);
  }
  const Digest128 final_digest = Murmur3Digest(std::string_view(
      reinterpret_cast<const char*>(digests), sizeof(digests)));
  EXPECT_EQ(static_cast<uint32_t>(final_digest.lo), 0x6384BA69u);
}

TEST(Murmur3DigestTest, SimilarRunIdsDoNotShareADigestNorItsTableBits) {
  std::unordered_set<uint64_t> lows;
  std::unordered_set<uint64_t> highs;
  for (int i = 0; i < 200000; ++i) {
    const Digest128 d =
        Murmur3Digest("01JD" + std::to_string(1000000000000000000LL + i));
    EXPECT_TRUE(lows.insert(d.lo).second) << i;
    EXPECT_TRUE(highs.insert(d.hi).second) << i;
  }
  EXPECT_FALSE(Murmur3Digest("run") == Murmur3Digest(std::string("run\0", 4)));
}

TEST(Murmur3DigestTest, EmptyInputWithSeedZeroIsZero) {
  // The reference's finalisation of h1 = h2 = 0 with length 0 stays 0.
  EXPECT_EQ(Murmur3Digest(""), (Digest128{0, 0}));
  EXPECT_NE(Murmur3Digest("", 1), (Digest128{0, 0}));
}

TEST(Murmur3DigestTest, IsAPureFunctionOfDataAndSeed) {
  const std::string id = "01JDX5QY7H3K2M8N4P6R9S0T1V";
  EXPECT_EQ(Murmur3Digest(id), Murmur3Digest(std::string(id)));
  EXPECT_EQ(Murmur3Digest(id, 7), Murmur3Digest(id, 7));
  EXPECT_NE(Murmur3Digest(id, 0), Murmur3Digest(id, 1));
  // Only the bytes in the view count, not what follows them in memory.
  const std::string longer = id + "-suffix";
  EXPECT_EQ(Murmur3Digest(std::string_view(longer).substr(0, id.size())),
            Murmur3Digest(id));
}

TEST(Murmur3DigestTest, EveryByteOfBlocksAndTailChangesTheDigest) {
  // 35 bytes: two 16-byte blocks and a 3-byte tail; also every shorter
  // prefix, so each tail length (0 to 15) is read.
  const std::string base = "abcdefghijklmnopqrstuvwxyz012345678";
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (std::size_t len = 0; len <= base.size(); ++len) {
    const Digest128 d = Murmur3Digest(std::string_view(base).substr(0, len));
    EXPECT_TRUE(seen.insert({d.lo, d.hi}).second) << "prefix " << len;
  }
  for (std::size_t i = 0; i < base.size(); ++i) {
    std::string changed = base;
    changed[i] ^= 0x01;
    EXPECT_NE(Murmur3Digest(changed), Murmur3Digest(base)) << "byte " << i;
  }
}

}  // namespace
}  // namespace pe
