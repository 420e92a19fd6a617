#include "tools/sim/run_id.h"

#include <cstring>

namespace pe::sim {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// 2024-01-01T00:00:00Z in milliseconds: ids look like recent ULIDs.
constexpr uint64_t kVirtualEpochMs = 1704067200000ULL;

}  // namespace

RunIdGenerator::RunIdGenerator(uint64_t seed)
    : rng_(seed), virtual_ms_(kVirtualEpochMs + rng_.Below(1ULL << 36)) {}

std::string RunIdGenerator::Next() {
  virtual_ms_ += 1 + rng_.Below(4000);
  std::string id(26, '0');
  uint64_t ms = virtual_ms_ & ((1ULL << 48) - 1);
  for (int i = 9; i >= 0; --i) {
    id[i] = kCrockford[ms & 31];
    ms >>= 5;
  }
  uint64_t hi = rng_.Next() >> 24;  // 40 bits
  uint64_t lo = rng_.Next() >> 24;  // 40 bits
  for (int i = 25; i >= 18; --i) {
    id[i] = kCrockford[lo & 31];
    lo >>= 5;
  }
  for (int i = 17; i >= 10; --i) {
    id[i] = kCrockford[hi & 31];
    hi >>= 5;
  }
  return id;
}

bool IsUlidLike(const std::string& id) {
  if (id.size() != 26 || id[0] > '7') return false;
  for (char c : id) {
    if (c == '\0' || std::strchr(kCrockford, c) == nullptr) return false;
  }
  return true;
}

}  // namespace pe::sim
