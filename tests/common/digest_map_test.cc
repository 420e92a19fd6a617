#include "exporter/common/digest_map.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace pe {
namespace {

TEST(DigestMapTest, InsertsOnceFindsAndErases) {
  DigestMap<int> map;
  auto [value, inserted] = map.TryEmplace("run-1");
  ASSERT_TRUE(inserted);
  EXPECT_EQ(*value, 0);  // value-initialized
  *value = 7;
  auto [again, inserted_again] = map.TryEmplace("run-1");
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(*again, 7);
  EXPECT_EQ(map.size(), 1u);

  ASSERT_NE(map.Find("run-1"), nullptr);
  EXPECT_EQ(*map.Find("run-1"), 7);
  EXPECT_EQ(map.Find("run-2"), nullptr);
  EXPECT_EQ(map.Find(""), nullptr);

  EXPECT_TRUE(map.Erase("run-1"));
  EXPECT_FALSE(map.Erase("run-1"));
  EXPECT_EQ(map.Find("run-1"), nullptr);
  EXPECT_EQ(map.size(), 0u);
}

TEST(DigestMapTest, BehavesLikeAnUnorderedMapUnderRandomChurn) {
  // Inserts, updates and erases over a small key space, so that slots are
  // reused through tombstones and the table grows.
  std::mt19937 rng(42);
  DigestMap<int> map;
  std::unordered_map<std::string, int> reference;
  for (int step = 0; step < 200000; ++step) {
    const std::string key =
        "01JRUN" + std::to_string(rng() % 5000) + std::string(rng() % 20, 'x');
    switch (rng() % 3) {
      case 0:
      case 1: {
        auto [value, inserted] = map.TryEmplace(key);
        auto [it, ref_inserted] = reference.try_emplace(key, 0);
        ASSERT_EQ(inserted, ref_inserted) << key;
        ASSERT_EQ(*value, it->second) << key;
        *value = it->second = step;
        break;
      }
      case 2:
        ASSERT_EQ(map.Erase(key), reference.erase(key) == 1) << key;
        break;
    }
    ASSERT_EQ(map.size(), reference.size());
  }
  // Values are the steps that last set them: unique, so they name the keys.
  std::set<int> seen;
  map.ForEach(
      [&](const int& value) { EXPECT_TRUE(seen.insert(value).second); });
  std::set<int> expected;
  for (const auto& [key, value] : reference) {
    expected.insert(value);
    ASSERT_NE(map.Find(key), nullptr) << key;
    EXPECT_EQ(*map.Find(key), value) << key;
  }
  EXPECT_EQ(seen, expected);
}

TEST(DigestMapTest, EraseIfKeepsTheOthersFindable) {
  DigestMap<int> map;
  for (int i = 0; i < 10000; ++i)
    *map.TryEmplace("run-" + std::to_string(i)).first = i;
  map.EraseIf([](int& v) { return v % 3 == 0; });
  EXPECT_EQ(map.size(), 10000u - 3334u);
  for (int i = 0; i < 10000; ++i) {
    const int* v = map.Find("run-" + std::to_string(i));
    if (i % 3 == 0) {
      EXPECT_EQ(v, nullptr) << i;
    } else {
      ASSERT_NE(v, nullptr) << i;
      EXPECT_EQ(*v, i);
    }
  }
  // Erased keys come back as new entries.
  EXPECT_TRUE(map.TryEmplace("run-3").second);
  EXPECT_FALSE(map.TryEmplace("run-4").second);
}

TEST(DigestMapTest, FillingAReservedMapAllocatesNothing) {
  DigestMap<uint64_t> map;
  map.Reserve(1000);
  const std::size_t reserved = map.MemoryBytes();
  for (int i = 0; i < 1000; ++i) {
    map.TryEmplace("01JD" + std::to_string(1000000000000000000LL + i) + "XYZ");
  }
  EXPECT_EQ(map.MemoryBytes(), reserved);
  // A second Reserve of the same size (a resync) keeps what is there.
  map.Reserve(1000);
  EXPECT_EQ(map.MemoryBytes(), reserved);
}

TEST(DigestMapTest, HoldsTwoHundredThousandRunIdsInUnderThirtyTwoBytesEach) {
  DigestMap<uint64_t> map;
  map.Reserve(200000);
  for (int i = 0; i < 200000; ++i) {
    // 36 bytes, like a UUID: the length of the key does not matter.
    map.TryEmplace("0190d1c2-7a3b-7c4d-8e5f-" +
                   std::to_string(100000000000LL + i));
  }
  EXPECT_EQ(map.size(), 200000u);
  // 24-byte entries and a table of 2^18 slots. The map of run ids by their
  // bytes took 59 at 36-byte ids; std::unordered_map<std::string, uint64_t>
  // about 130 (nodes, heap keys, buckets).
  EXPECT_LT(map.MemoryBytes(), 200000u * 32) << map.MemoryBytes();
}

}  // namespace
}  // namespace pe
