#ifndef PIPELINE_EXPORTER_COMMON_DIGEST128_H_
#define PIPELINE_EXPORTER_COMMON_DIGEST128_H_

#include <cstdint>
#include <string_view>

namespace pe {

// A 128-bit digest of a string, standing in for the string where only
// equality matters and holding the bytes costs too much (the run ids of the
// whole database). Two strings share a digest with a probability of about
// n² / 2^129 among n strings: 6·10^-29 at 200k runs.
struct Digest128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Digest128&) const = default;
};

// MurmurHash3_x64_128 (Austin Appleby, public domain): not cryptographic, so
// a key chosen to collide can collide; run ids come from the orchestrator.
Digest128 Murmur3Digest(std::string_view data, uint32_t seed = 0);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_DIGEST128_H_
