#include "exporter/common/duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace pe {
namespace {

struct Unit {
  std::string_view name;
  int64_t millis;
};

// Largest first: the order terms must appear in, and the order they are
// printed in. "ms" precedes "m" only in matching (see MatchUnit).
constexpr std::array<Unit, 7> kUnits = {{
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
}};

constexpr std::string_view kHint = " (use e.g. 500ms, 10s, 2m, 1h30m)";

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid duration \"" + std::string(text) +
                                 "\": " + std::string(why) +
                                 std::string(kHint));
}

// Index into kUnits of the unit at the start of `rest`, or -1.
int MatchUnit(std::string_view rest, std::size_t* length) {
  if (rest.substr(0, 2) == "ms") {
    *length = 2;
    return static_cast<int>(kUnits.size()) - 1;
  }
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (!rest.empty() && rest.substr(0, 1) == kUnits[i].name) {
      *length = 1;
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty");
  if (text[0] == '-') return Invalid(text, "must not be negative");
  std::string_view rest = text;
  int64_t total = 0;
  int previous_unit = -1;
  while (!rest.empty()) {
    if (!IsDigit(rest[0])) return Invalid(text, "expected a number");
    int64_t number = 0;
    while (!rest.empty() && IsDigit(rest[0])) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, rest[0] - '0', &number)) {
        return Invalid(text, "too large");
      }
      rest.remove_prefix(1);
    }
    if (rest.empty()) return Invalid(text, "missing unit");
    std::size_t unit_length = 0;
    const int unit = MatchUnit(rest, &unit_length);
    if (unit < 0) {
      return IsDigit(rest[0]) || rest[0] == '.'
                 ? Invalid(text, "only whole numbers are allowed")
                 : Invalid(text, "unknown unit");
    }
    if (unit <= previous_unit) {
      return Invalid(text, "units must be given largest first, each once");
    }
    previous_unit = unit;
    rest.remove_prefix(unit_length);
    int64_t term = 0;
    if (__builtin_mul_overflow(number, kUnits[unit].millis, &term) ||
        __builtin_add_overflow(total, term, &total)) {
      return Invalid(text, "too large");
    }
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t millis = duration.count();
  if (millis == 0) return "0s";
  std::string out;
  uint64_t remaining;
  if (millis < 0) {
    out = "-";
    remaining = static_cast<uint64_t>(-(millis + 1)) + 1;  // safe for min()
  } else {
    remaining = static_cast<uint64_t>(millis);
  }
  for (const Unit& unit : kUnits) {
    const auto size = static_cast<uint64_t>(unit.millis);
    if (remaining >= size) {
      out += std::to_string(remaining / size);
      out += unit.name;
      remaining %= size;
    }
  }
  return out;
}

}  // namespace pe
