#include "exporter/common/flat_string_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <unordered_map>

namespace pe {
namespace {

TEST(FlatStringMapTest, InsertsOnceFindsAndErases) {
  FlatStringMap<int> map;
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

TEST(FlatStringMapTest, BehavesLikeAnUnorderedMapUnderRandomChurn) {
  // Inserts, updates and erases over a small key space, so that slots are
  // reused through tombstones, the table grows and the arena is compacted.
  std::mt19937 rng(42);
  FlatStringMap<int> map;
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
  std::map<std::string, int> seen;
  map.ForEach([&](std::string_view key, const int& value) {
    EXPECT_TRUE(seen.emplace(std::string(key), value).second) << key;
  });
  const std::map<std::string, int> expected(reference.begin(), reference.end());
  EXPECT_EQ(seen, expected);
  for (const auto& [key, value] : reference) {
    ASSERT_NE(map.Find(key), nullptr) << key;
    EXPECT_EQ(*map.Find(key), value) << key;
  }
}

TEST(FlatStringMapTest, FillingAReservedMapAllocatesNothingAfterTheFirstKey) {
  FlatStringMap<uint64_t> map;
  map.Reserve(1000);
  map.TryEmplace("01JD1000000000000000000XYZ");
  const std::size_t after_first = map.MemoryBytes();
  for (int i = 1; i < 1000; ++i) {
    map.TryEmplace("01JD" + std::to_string(1000000000000000000LL + i) + "XYZ");
  }
  EXPECT_EQ(map.MemoryBytes(), after_first);
  // A second Reserve of the same size (a resync) keeps what is there.
  map.Reserve(1000);
  EXPECT_EQ(map.MemoryBytes(), after_first);
}

TEST(FlatStringMapTest, HoldsTwoHundredThousandRunIdsInUnderSixtyBytesEach) {
  FlatStringMap<uint64_t> map;
  map.Reserve(200000);
  for (int i = 0; i < 200000; ++i) {
    map.TryEmplace("01JD" + std::to_string(1000000000000000000LL + i) +
                   "XYZ");  // 26 bytes, like a ULID
  }
  EXPECT_EQ(map.size(), 200000u);
  // std::unordered_map<std::string, uint64_t> takes about 110 (nodes, heap
  // keys, buckets).
  EXPECT_LT(map.MemoryBytes(), 200000u * 60) << map.MemoryBytes();
}

}  // namespace
}  // namespace pe
