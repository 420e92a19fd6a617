#ifndef PIPELINE_EXPORTER_TOOLS_SIM_RNG_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_RNG_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace pe::sim {

// A small, fast, seeded generator (xoshiro256**) whose output is the same on
// every platform and compiler, unlike the std:: distributions. Every decision
// the simulator makes is drawn from one of these, so a seed fixes them all.
// Not thread-safe.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();
  // Uniform in [0, 1).
  double Uniform();
  // Uniform in [0, n); 0 when n == 0.
  uint64_t Below(uint64_t n);
  // Uniform integer in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi);
  // True with probability p.
  bool Chance(double p);
  // Exponentially distributed with the given mean (>= 0).
  double Exponential(double mean);
  // Index i with probability weights[i] / sum(weights).
  size_t Weighted(std::initializer_list<double> weights);

 private:
  uint64_t s_[4];
};

// Derives an independent seed for a named purpose ("bulk", "live", ...), so
// streams never overlap and adding one does not shift the others.
uint64_t DeriveSeed(uint64_t seed, std::string_view purpose, uint64_t salt = 0);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_RNG_H_
