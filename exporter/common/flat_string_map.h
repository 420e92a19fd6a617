#ifndef PIPELINE_EXPORTER_COMMON_FLAT_STRING_MAP_H_
#define PIPELINE_EXPORTER_COMMON_FLAT_STRING_MAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pe {

// A hash map from strings to small values for hundreds of thousands of
// entries (every run id of the state database): the keys live back to back
// in one arena, the entries in one vector and the open-addressing table
// holds 32-bit entry numbers. About 12 + sizeof(V) + key length + 5 to 10
// bytes an entry (the table is a power of two at most 80% full) against ~110
// for std::unordered_map<std::string, V> with 26-byte keys, and a lookup
// touches three contiguous arrays instead of a chain of nodes.
//
// The arrays grow by a quarter when full. Pointers to values stay valid
// until the next TryEmplace or Erase. Erase
// moves the last entry into the hole (iteration order is not insertion
// order); the arena is compacted once half of it is dead. Not thread-safe.
template <typename V>
class FlatStringMap {
 public:
  std::size_t size() const { return entries_.size(); }

  // Room for n entries, so that filling the map neither rehashes nor
  // doubles its arrays past what they need. The arena is sized at the next
  // insertion, for the entries still missing with keys as long as that one
  // (run ids of one database mostly share a length).
  void Reserve(std::size_t n) {
    if (NeedsGrowth(n)) Rehash(n);
    entries_.reserve(n);
    reserved_ = n;
  }

  // The value of key, value-initialized and inserted if absent; whether it
  // was inserted.
  std::pair<V*, bool> TryEmplace(std::string_view key) {
    if (NeedsGrowth(entries_.size() + 1)) Rehash(entries_.size() + 1);
    const uint32_t hash = Hash(key);
    std::size_t free_slot = kNone;
    std::size_t i = hash & Mask();
    for (;; i = (i + 1) & Mask()) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) break;
      if (s == kTombstone) {
        if (free_slot == kNone) free_slot = i;
        continue;
      }
      Entry& e = entries_[s - 1];
      if (e.hash == hash && KeyOf(e) == key) return {&e.value, false};
    }
    if (free_slot == kNone) {
      free_slot = i;
    } else {
      --tombstones_;
    }
    // Grown by a quarter, not doubled: after Reserve(COUNT(*)) the first new
    // key would otherwise double arrays that hold every run.
    if (entries_.size() == entries_.capacity()) {
      entries_.reserve(entries_.size() + entries_.size() / 4 + 16);
    }
    if (arena_.size() + key.size() > arena_.capacity()) {
      const std::size_t missing = reserved_ > entries_.size()
                                      ? reserved_ - entries_.size()
                                      : entries_.size() / 4 + 1;
      arena_.reserve(arena_.size() + missing * key.size() + 64);
    }
    entries_.push_back(Entry{static_cast<uint32_t>(arena_.size()),
                             static_cast<uint32_t>(key.size()), hash, V{}});
    arena_.append(key);
    slots_[free_slot] = static_cast<uint32_t>(entries_.size());
    return {&entries_.back().value, true};
  }

  V* Find(std::string_view key) {
    const std::size_t slot = SlotOf(key);
    return slot == kNone ? nullptr : &entries_[slots_[slot] - 1].value;
  }
  const V* Find(std::string_view key) const {
    return const_cast<FlatStringMap*>(this)->Find(key);
  }

  bool Erase(std::string_view key) {
    const std::size_t slot = SlotOf(key);
    if (slot == kNone) return false;
    const uint32_t index = slots_[slot] - 1;
    slots_[slot] = kTombstone;
    ++tombstones_;
    dead_bytes_ += entries_[index].length;
    const auto last = static_cast<uint32_t>(entries_.size() - 1);
    if (index != last) {
      // The last entry takes the hole: repoint its slot.
      std::size_t i = entries_[last].hash & Mask();
      while (slots_[i] != last + 1) i = (i + 1) & Mask();
      slots_[i] = index + 1;
      entries_[index] = std::move(entries_[last]);
    }
    entries_.pop_back();
    if (dead_bytes_ > 4096 && dead_bytes_ * 2 > arena_.size()) CompactArena();
    return true;
  }

  // fn(std::string_view key, const V& value) for every entry.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : entries_) fn(KeyOf(e), e.value);
  }

  // Heap bytes held (capacities, not sizes).
  std::size_t MemoryBytes() const {
    return entries_.capacity() * sizeof(Entry) + arena_.capacity() +
           slots_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Entry {
    uint32_t offset;  // of the key in arena_
    uint32_t length;
    uint32_t hash;
    V value;
  };
  static constexpr uint32_t kEmpty = 0;  // else entry number + 1
  static constexpr uint32_t kTombstone = UINT32_MAX;
  static constexpr std::size_t kNone = SIZE_MAX;

  static uint32_t Hash(std::string_view key) {
    const std::size_t h = std::hash<std::string_view>()(key);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  std::size_t Mask() const { return slots_.size() - 1; }
  std::string_view KeyOf(const Entry& e) const {
    return std::string_view(arena_).substr(e.offset, e.length);
  }
  // At most 80% of the slots in use, tombstones included: with a good hash,
  // linear probing still finds a key in about three probes.
  bool NeedsGrowth(std::size_t entries) const {
    return (entries + tombstones_) * 5 > slots_.size() * 4;
  }
  std::size_t SlotOf(std::string_view key) const {
    if (slots_.empty()) return kNone;
    const uint32_t hash = Hash(key);
    for (std::size_t i = hash & Mask();; i = (i + 1) & Mask()) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) return kNone;
      if (s == kTombstone) continue;
      const Entry& e = entries_[s - 1];
      if (e.hash == hash && KeyOf(e) == key) return i;
    }
  }
  // A table for at least `entries` at 80% at most, without tombstones.
  void Rehash(std::size_t entries) {
    std::size_t size = 16;
    while (entries * 5 > size * 4) size *= 2;
    slots_.assign(size, kEmpty);
    tombstones_ = 0;
    for (std::size_t n = 0; n < entries_.size(); ++n) {
      std::size_t i = entries_[n].hash & Mask();
      while (slots_[i] != kEmpty) i = (i + 1) & Mask();
      slots_[i] = static_cast<uint32_t>(n + 1);
    }
  }
  void CompactArena() {
    std::string arena;
    arena.reserve(arena_.size() - dead_bytes_);
    for (Entry& e : entries_) {
      const auto offset = static_cast<uint32_t>(arena.size());
      arena.append(KeyOf(e));
      e.offset = offset;
    }
    arena_ = std::move(arena);
    dead_bytes_ = 0;
  }

  std::string arena_;
  std::size_t dead_bytes_ = 0;
  std::size_t reserved_ = 0;  // the last Reserve
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;
  std::size_t tombstones_ = 0;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_FLAT_STRING_MAP_H_
