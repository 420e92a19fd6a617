#include "tools/sim/run_id.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

namespace pe::sim {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The 48-bit millisecond prefix (first ten characters) of an id.
uint64_t Millis(const std::string& id) {
  uint64_t ms = 0;
  for (int i = 0; i < 10; ++i) {
    const char* digit = std::char_traits<char>::find(kCrockford, 32, id[i]);
    EXPECT_NE(digit, nullptr) << id;
    ms = ms * 32 + static_cast<uint64_t>(digit - kCrockford);
  }
  return ms;
}

TEST(RunIdGeneratorTest, IdsAreUlidLikeUniqueAscendingAndSeeded) {
  RunIdGenerator a(5), b(5), c(6);
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = a.Next();
    EXPECT_TRUE(IsUlidLike(id)) << id;
    EXPECT_EQ(id, b.Next());
    EXPECT_NE(id, c.Next());
    EXPECT_GT(id, previous);
    EXPECT_TRUE(seen.insert(id).second);
    previous = id;
  }
}

TEST(RunIdGeneratorTest, IsUlidLikeRejectsOtherShapes) {
  EXPECT_FALSE(IsUlidLike(""));
  EXPECT_FALSE(IsUlidLike("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 chars
  EXPECT_FALSE(IsUlidLike("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27 chars
  EXPECT_FALSE(IsUlidLike("01ARZ3NDEKTSV4RRFFQ69G5FAI"));   // I not Crockford
  EXPECT_FALSE(IsUlidLike("81ARZ3NDEKTSV4RRFFQ69G5FAV"));   // > 128 bits
  EXPECT_FALSE(IsUlidLike("../../etc/passwd//////////"));
  EXPECT_TRUE(IsUlidLike("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

TEST(RunIdGeneratorTest, ThePrefixIsAClockFrom2024ThatStepsForward) {
  constexpr uint64_t k2024 = 1704067200000ULL;  // 2024-01-01T00:00:00Z
  RunIdGenerator ids(42);
  uint64_t previous = Millis(ids.Next());
  EXPECT_GE(previous, k2024);
  EXPECT_LT(previous, k2024 + (1ULL << 36) + 4000);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t ms = Millis(ids.Next());
    // Each id is 1 ms to 4 s after the one before.
    EXPECT_GE(ms, previous + 1);
    EXPECT_LE(ms, previous + 4000);
    previous = ms;
  }
}

TEST(RunIdGeneratorTest, SeedsStartTheirClocksApart) {
  std::set<uint64_t> starts;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    starts.insert(Millis(RunIdGenerator(seed).Next()));
  }
  EXPECT_EQ(starts.size(), 20u);
}

TEST(RunIdGeneratorTest, TheRandomPartVaries) {
  // Ids drawn in one millisecond step differ in their last 16 characters.
  RunIdGenerator ids(3);
  std::set<std::string> tails;
  for (int i = 0; i < 1000; ++i) tails.insert(ids.Next().substr(10));
  EXPECT_EQ(tails.size(), 1000u);
}

TEST(RunIdGeneratorTest, IsUlidLikeAcceptsOnlyUpperCaseCrockford) {
  EXPECT_FALSE(IsUlidLike("01arz3ndektsv4rrffq69g5fav"));  // lower case
  for (char excluded : {'I', 'L', 'O', 'U'}) {
    std::string id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    id[12] = excluded;
    EXPECT_FALSE(IsUlidLike(id)) << excluded;
  }
  std::string with_nul = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  with_nul[5] = '\0';
  EXPECT_FALSE(IsUlidLike(with_nul));
  EXPECT_TRUE(IsUlidLike("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));  // the largest
}

}  // namespace
}  // namespace pe::sim
