#ifndef PIPELINE_EXPORTER_COMMON_BYTE_SIZE_H_
#define PIPELINE_EXPORTER_COMMON_BYTE_SIZE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// Parses a size in bytes the way Prometheus' --storage.tsdb.retention.size
// does: an integer followed by an optional unit B, KB, MB, GB, TB, PB
// (powers of 1024, as in Prometheus), or their IEC spellings KiB, MiB, GiB,
// TiB, PiB (same values): "0", "512MB", "10GiB". Rejects signs, fractions,
// spaces, unknown units and overflow; the error quotes the input.
Result<std::uint64_t> ParseByteSize(std::string_view text);

// The inverse for the values ParseByteSize returns: the largest unit that
// divides the value exactly ("10GB", "1536KB", "0").
std::string FormatByteSize(std::uint64_t bytes);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_BYTE_SIZE_H_
