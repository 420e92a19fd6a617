#ifndef PIPELINE_EXPORTER_COMMON_DIGEST_MAP_H_
#define PIPELINE_EXPORTER_COMMON_DIGEST_MAP_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/digest128.h"

namespace pe {

// A hash map from strings to small values for hundreds of thousands of
// entries (every run id of the state database) that keeps a 128-bit digest
// of each key instead of its bytes: two keys with the same digest are one
// key (Digest128: about 6·10^-29 at 200k keys), and keys cannot be listed.
// The entries live in one vector and the open-addressing table holds 32-bit
// entry numbers: 16 + sizeof(V) bytes an entry plus 5 to 10 for the table
// (a power of two at most 80% full), whatever the key's length, against
// ~110 for std::unordered_map<std::string, V> with 26-byte keys.
//
// The entry vector grows by a quarter when full. Pointers to values stay
// valid until the next TryEmplace, Erase or EraseIf. Erase moves the last
// entry into the hole (iteration order is not insertion order). Not
// thread-safe.
template <typename V>
class DigestMap {
 public:
  std::size_t size() const { return entries_.size(); }

  // Room for n entries, so that filling the map neither rehashes nor grows
  // its arrays past what they need.
  void Reserve(std::size_t n) {
    if (NeedsGrowth(n)) Rehash(n);
    entries_.reserve(n);
  }

  // The value of key, value-initialized and inserted if absent; whether it
  // was inserted.
  std::pair<V*, bool> TryEmplace(std::string_view key) {
    if (NeedsGrowth(entries_.size() + 1)) Rehash(entries_.size() + 1);
    const Digest128 digest = Murmur3Digest(key);
    std::size_t free_slot = kNone;
    std::size_t i = digest.lo & Mask();
    for (;; i = (i + 1) & Mask()) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) break;
      if (s == kTombstone) {
        if (free_slot == kNone) free_slot = i;
        continue;
      }
      Entry& e = entries_[s - 1];
      if (e.digest == digest) return {&e.value, false};
    }
    if (free_slot == kNone) {
      free_slot = i;
    } else {
      --tombstones_;
    }
    // Grown by a quarter, not doubled: after Reserve(COUNT(*)) the first new
    // key would otherwise double an array that holds every run.
    if (entries_.size() == entries_.capacity()) {
      entries_.reserve(entries_.size() + entries_.size() / 4 + 16);
    }
    entries_.push_back(Entry{digest, V{}});
    slots_[free_slot] = static_cast<uint32_t>(entries_.size());
    return {&entries_.back().value, true};
  }

  V* Find(std::string_view key) {
    const std::size_t slot = SlotOf(Murmur3Digest(key));
    return slot == kNone ? nullptr : &entries_[slots_[slot] - 1].value;
  }
  const V* Find(std::string_view key) const {
    return const_cast<DigestMap*>(this)->Find(key);
  }

  bool Erase(std::string_view key) {
    const std::size_t slot = SlotOf(Murmur3Digest(key));
    if (slot == kNone) return false;
    const uint32_t index = slots_[slot] - 1;
    slots_[slot] = kTombstone;
    ++tombstones_;
    const auto last = static_cast<uint32_t>(entries_.size() - 1);
    if (index != last) {
      // The last entry takes the hole: repoint its slot.
      std::size_t i = entries_[last].digest.lo & Mask();
      while (slots_[i] != last + 1) i = (i + 1) & Mask();
      slots_[i] = index + 1;
      entries_[index] = std::move(entries_[last]);
    }
    entries_.pop_back();
    return true;
  }

  // Erases every entry for which pred(V&) returns true, in one pass (a
  // full read forgets the runs it did not see).
  template <typename Pred>
  void EraseIf(Pred&& pred) {
    std::size_t kept = 0;
    for (std::size_t n = 0; n < entries_.size(); ++n) {
      if (pred(entries_[n].value)) continue;
      if (kept != n) entries_[kept] = std::move(entries_[n]);
      ++kept;
    }
    if (kept == entries_.size()) return;
    entries_.resize(kept);
    Rehash(kept);
  }

  // fn(const V& value) for every entry.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : entries_) fn(e.value);
  }

  // Heap bytes held (capacities, not sizes).
  std::size_t MemoryBytes() const {
    return entries_.capacity() * sizeof(Entry) +
           slots_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Entry {
    Digest128 digest;
    V value;
  };
  static constexpr uint32_t kEmpty = 0;  // else entry number + 1
  static constexpr uint32_t kTombstone = UINT32_MAX;
  static constexpr std::size_t kNone = SIZE_MAX;

  std::size_t Mask() const { return slots_.size() - 1; }
  // At most 80% of the slots in use, tombstones included: with a good hash,
  // linear probing still finds a key in about three probes.
  bool NeedsGrowth(std::size_t entries) const {
    return (entries + tombstones_) * 5 > slots_.size() * 4;
  }
  std::size_t SlotOf(const Digest128& digest) const {
    if (slots_.empty()) return kNone;
    for (std::size_t i = digest.lo & Mask();; i = (i + 1) & Mask()) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) return kNone;
      if (s == kTombstone) continue;
      if (entries_[s - 1].digest == digest) return i;
    }
  }
  // A table for at least `entries` at 80% at most (never smaller than the
  // present one), without tombstones.
  void Rehash(std::size_t entries) {
    std::size_t size = slots_.empty() ? 16 : slots_.size();
    while (entries * 5 > size * 4) size *= 2;
    slots_.assign(size, kEmpty);
    tombstones_ = 0;
    for (std::size_t n = 0; n < entries_.size(); ++n) {
      std::size_t i = entries_[n].digest.lo & Mask();
      while (slots_[i] != kEmpty) i = (i + 1) & Mask();
      slots_[i] = static_cast<uint32_t>(n + 1);
    }
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;
  std::size_t tombstones_ = 0;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_DIGEST_MAP_H_
