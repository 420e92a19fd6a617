#include "exporter/common/byte_size.h"

#include <array>
#include <limits>
#include <utility>

namespace pe {
namespace {

struct Unit {
  std::string_view name;
  std::string_view iec;
  std::uint64_t factor;
};

constexpr std::array<Unit, 6> kUnits = {{
    {"B", "B", 1},
    {"KB", "KiB", 1ull << 10},
    {"MB", "MiB", 1ull << 20},
    {"GB", "GiB", 1ull << 30},
    {"TB", "TiB", 1ull << 40},
    {"PB", "PiB", 1ull << 50},
}};

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid size \"" + std::string(text) +
                                 "\": " + std::string(why) +
                                 " (use e.g. 0, 512MB, 10GiB)");
}

}  // namespace

Result<std::uint64_t> ParseByteSize(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  if (digits == 0) return Invalid(text, "must start with a number");
  std::uint64_t value = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t i = 0; i < digits; ++i) {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (kMax - digit) / 10) return Invalid(text, "too large");
    value = value * 10 + digit;
  }
  const std::string_view unit = text.substr(digits);
  if (unit.empty()) return value;
  for (const Unit& u : kUnits) {
    if (unit != u.name && unit != u.iec) continue;
    if (value > kMax / u.factor) return Invalid(text, "too large");
    return value * u.factor;
  }
  return Invalid(text, "unknown unit \"" + std::string(unit) + "\"");
}

std::string FormatByteSize(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (bytes % it->factor == 0) {
      return std::to_string(bytes / it->factor) + std::string(it->name);
    }
  }
  return std::to_string(bytes) + "B";
}

}  // namespace pe
