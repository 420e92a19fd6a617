#include "exporter/common/digest128.h"

#include <cstring>

namespace pe {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// A key word's mix before it enters h1 (c1, 31, c2) or h2 (c2, 33, c1).
uint64_t MixKey(uint64_t k, uint64_t ca, int r, uint64_t cb) {
  return Rotl(k * ca, r) * cb;
}

uint64_t FinalMix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// Little-endian 64-bit word at p (the reference reads native words; this
// machine and the reference's test vectors are little-endian).
uint64_t Word(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

// The last len & 15 bytes as the reference's fall-through switch reads them.
uint64_t Tail(const unsigned char* p, std::size_t n) {
  uint64_t k = 0;
  for (std::size_t i = n; i-- > 0;) k |= static_cast<uint64_t>(p[i]) << (8 * i);
  return k;
}

}  // namespace

Digest128 Murmur3Digest(std::string_view data, uint32_t seed) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t len = data.size();
  const std::size_t blocks = len / 16;
  uint64_t h1 = seed;
  uint64_t h2 = seed;
  for (std::size_t i = 0; i < blocks; ++i) {
    h1 ^= MixKey(Word(bytes + i * 16), kC1, 31, kC2);
    h1 = Rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    h2 ^= MixKey(Word(bytes + i * 16 + 8), kC2, 33, kC1);
    h2 = Rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = bytes + blocks * 16;
  const std::size_t rest = len & 15;
  if (rest > 8) h2 ^= MixKey(Tail(tail + 8, rest - 8), kC2, 33, kC1);
  if (rest > 0) h1 ^= MixKey(Tail(tail, rest < 8 ? rest : 8), kC1, 31, kC2);
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = FinalMix(h1);
  h2 = FinalMix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

}  // namespace pe
