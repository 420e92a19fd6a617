// Fuzzes pe::ParseDuration / pe::FormatDuration (exporter/common/duration.h).
// For the input as text:
//  - accepted text matches (<digits><unit>)+ with units y w d h m s ms largest
//    first, each once, and its value equals an independent 128-bit sum;
//  - the value is >= 0 and FormatDuration of it parses back to it, and
//    formatting is canonical (format(parse(format(v))) == format(v));
//  - a rejected text's error is InvalidArgument, quotes the input and gives
//    examples.
// For the first 8 bytes as an int64 v >= 0: ParseDuration(FormatDuration(v))
// is v; for v < 0 the text starts with '-' and is rejected.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/duration.h"
#include "fuzz/fuzz_check.h"

namespace {

using pe::fuzz::Check;
using std::chrono::milliseconds;

// Independent reading of the grammar; nullopt when the text is not one.
std::optional<__int128> Reference(std::string_view s) {
  struct Unit {
    std::string_view name;
    int64_t millis;
  };
  static constexpr Unit kUnits[] = {
      {"y", 31536000000}, {"w", 604800000}, {"d", 86400000}, {"h", 3600000},
      {"m", 60000},       {"s", 1000},      {"ms", 1}};
  if (s.empty()) return std::nullopt;
  __int128 total = 0;
  int last = -1;
  std::size_t i = 0;
  while (i < s.size()) {
    __int128 number = 0;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      number = number * 10 + (s[i++] - '0');
      if (number > std::numeric_limits<int64_t>::max()) return std::nullopt;
    }
    if (i == start) return std::nullopt;
    int unit = -1;
    for (int u = 6; u >= 0; --u) {  // longest name first: "ms" before "m"
      if (s.substr(i, kUnits[u].name.size()) == kUnits[u].name) {
        unit = u;
        break;
      }
    }
    if (unit < 0 || unit <= last) return std::nullopt;
    last = unit;
    i += kUnits[unit].name.size();
    total += number * kUnits[unit].millis;
    if (total > std::numeric_limits<int64_t>::max()) return std::nullopt;
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const pe::Result<milliseconds> parsed = pe::ParseDuration(text);
  const std::optional<__int128> expected = Reference(text);
  Check(parsed.ok() == expected.has_value(),
        "ParseDuration accepts exactly the documented grammar", text);
  if (parsed.ok()) {
    const int64_t v = parsed->count();
    Check(v == *expected, "ParseDuration value equals the reference sum", text);
    const std::string formatted = pe::FormatDuration(*parsed);
    const pe::Result<milliseconds> back = pe::ParseDuration(formatted);
    Check(back.ok() && *back == *parsed, "FormatDuration parses back",
          text + " -> " + formatted);
    Check(pe::FormatDuration(*back) == formatted, "FormatDuration is canonical",
          formatted);
  } else {
    const pe::Status& status = parsed.status();
    Check(status.code() == pe::Status::Code::kInvalidArgument,
          "rejection is InvalidArgument", status.message());
    Check(status.message().find("\"" + text + "\"") != std::string::npos,
          "error quotes the input", status.message());
    Check(status.message().find("(use e.g.") != std::string::npos,
          "error gives examples", status.message());
  }

  if (size >= 8) {
    int64_t v;
    std::memcpy(&v, data, sizeof v);
    const std::string formatted = pe::FormatDuration(milliseconds(v));
    const pe::Result<milliseconds> back = pe::ParseDuration(formatted);
    if (v >= 0) {
      Check(back.ok() && back->count() == v,
            "ParseDuration(FormatDuration(v)) == v for v >= 0", formatted);
    } else {
      Check(formatted.starts_with("-") && !back.ok(),
            "negative durations format with '-' and are rejected", formatted);
    }
  }
  return 0;
}
