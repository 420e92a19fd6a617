#include "tools/sim/rng.h"

#include <cmath>

namespace pe::sim {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = SplitMix64(state);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t Rng::Below(uint64_t n) {
  if (n == 0) return 0;
  // Lemire's multiply-shift; the tiny bias is irrelevant for a simulator.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                               64);
}

int64_t Rng::Between(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
}

bool Rng::Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return Uniform() < p;
}

double Rng::Exponential(double mean) {
  if (mean <= 0) return 0;
  return -std::log1p(-Uniform()) * mean;
}

size_t Rng::Weighted(std::initializer_list<double> weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = Uniform() * total;
  size_t i = 0;
  for (double w : weights) {
    if (x < w) return i;
    x -= w;
    ++i;
  }
  return weights.size() - 1;
}

uint64_t DeriveSeed(uint64_t seed, std::string_view purpose, uint64_t salt) {
  uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a over the purpose
  for (unsigned char c : purpose) h = (h ^ c) * 0x100000001B3ULL;
  uint64_t state = seed ^ h;
  uint64_t mixed = SplitMix64(state);
  state = mixed ^ salt;
  return SplitMix64(state);
}

}  // namespace pe::sim
