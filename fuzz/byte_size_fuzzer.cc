// Fuzzes pe::ParseByteSize / pe::FormatByteSize (exporter/common/byte_size.h).
// For the input as text:
//  - accepted text is <digits>[unit] with unit one of B KB MB GB TB PB or
//    KiB MiB GiB TiB PiB, and its value equals an independent 128-bit product
//    that fits in 64 bits;
//  - FormatByteSize of the value parses back to it and is canonical;
//  - a rejected text's error is InvalidArgument and quotes the input.
// For the first 8 bytes as a uint64 v: ParseByteSize(FormatByteSize(v)) is v
// and the printed number is not divisible by 1024 (largest unit), unless the
// unit is PB.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/byte_size.h"
#include "fuzz/fuzz_check.h"

namespace {

using pe::fuzz::Check;

std::optional<unsigned __int128> Reference(std::string_view s) {
  struct Unit {
    std::string_view name;
    int shift;
  };
  static constexpr Unit kUnits[] = {{"", 0},     {"B", 0},    {"KB", 10},
                                    {"KiB", 10}, {"MB", 20},  {"MiB", 20},
                                    {"GB", 30},  {"GiB", 30}, {"TB", 40},
                                    {"TiB", 40}, {"PB", 50},  {"PiB", 50}};
  std::size_t i = 0;
  unsigned __int128 number = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    number = number * 10 + (s[i++] - '0');
    if (number > std::numeric_limits<uint64_t>::max()) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  for (const Unit& unit : kUnits) {
    if (s.substr(i) != unit.name) continue;
    const unsigned __int128 value = number << unit.shift;
    if (value > std::numeric_limits<uint64_t>::max()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

void CheckRoundTrip(uint64_t v, const std::string& context) {
  const std::string formatted = pe::FormatByteSize(v);
  const pe::Result<uint64_t> back = pe::ParseByteSize(formatted);
  Check(back.ok() && *back == v, "ParseByteSize(FormatByteSize(v)) == v",
        context + " -> " + formatted);
  Check(pe::FormatByteSize(*back) == formatted, "FormatByteSize is canonical",
        formatted);
  // Largest unit: the number printed is not a multiple of 1024 unless the
  // unit is already the largest (PB) or the value is 0.
  std::size_t digits = 0;
  while (digits < formatted.size() && formatted[digits] >= '0' &&
         formatted[digits] <= '9') {
    ++digits;
  }
  const uint64_t number = std::stoull(formatted.substr(0, digits));
  Check(v == 0 || number % 1024 != 0 || formatted.ends_with("PB"),
        "FormatByteSize uses the largest exact unit", formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const pe::Result<uint64_t> parsed = pe::ParseByteSize(text);
  const std::optional<unsigned __int128> expected = Reference(text);
  Check(parsed.ok() == expected.has_value(),
        "ParseByteSize accepts exactly the documented grammar", text);
  if (parsed.ok()) {
    Check(*parsed == *expected, "ParseByteSize value equals the reference",
          text);
    CheckRoundTrip(*parsed, text);
  } else {
    const pe::Status& status = parsed.status();
    Check(status.code() == pe::Status::Code::kInvalidArgument,
          "rejection is InvalidArgument", status.message());
    Check(status.message().find("\"" + text + "\"") != std::string::npos,
          "error quotes the input", status.message());
  }
  if (size >= 8) {
    uint64_t v;
    std::memcpy(&v, data, sizeof v);
    CheckRoundTrip(v, "v=" + std::to_string(v));
  }
  return 0;
}
