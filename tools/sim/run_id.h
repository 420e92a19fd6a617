#ifndef PIPELINE_EXPORTER_TOOLS_SIM_RUN_ID_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_RUN_ID_H_

#include <cstdint>
#include <string>

#include "tools/sim/rng.h"

namespace pe::sim {

// Makes ULID-like run ids: 26 characters of Crockford base32, a 48-bit
// "millisecond" prefix followed by 80 random bits. Both parts come from the
// seeded generator (the prefix is a virtual clock that only moves forward), so
// the same seed yields the same ids, in ascending order, whatever the wall
// clock says.
class RunIdGenerator {
 public:
  explicit RunIdGenerator(uint64_t seed);

  std::string Next();

 private:
  Rng rng_;
  uint64_t virtual_ms_;
};

// True if `id` has the shape RunIdGenerator produces.
bool IsUlidLike(const std::string& id);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_RUN_ID_H_
