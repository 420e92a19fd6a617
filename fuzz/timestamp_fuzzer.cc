// Fuzzes pe::ParseTimestamp (exporter/common/timestamp.h) and checks, for
// every text it accepts:
//  - the value is finite and within [1970-01-01 - 24h, 10000-01-01 + 24h);
//  - the text has the documented shape (19 to 35 bytes, date then time);
//  - the date/time part agrees with timegm() (an independent calendar);
//  - the offset shifts the value by whole minutes, under 24 hours;
//  - the fraction adds [0, 1) seconds;
//  - 'T' and ' ' separators mean the same instant;
//  - FormatIsoUtc (exporter/worker/iso_time.h, what the worker writes) of the
//    value parses back to it within a microsecond, for values it can print.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/timestamp.h"
#include "exporter/worker/iso_time.h"
#include "fuzz/fuzz_check.h"

namespace {

using pe::fuzz::Check;

constexpr double kDay = 86400;
constexpr double kYear10000 = 253402300800;  // 10000-01-01T00:00:00Z

int Field(std::string_view text, std::size_t pos, std::size_t len) {
  int value = 0;
  for (std::size_t i = pos; i < pos + len; ++i)
    value = value * 10 + text[i] - '0';
  return value;
}

// timegm() of the leading "YYYY-MM-DD?HH:MM:SS" (already accepted, so digits).
double ReferenceSeconds(std::string_view text) {
  std::tm tm{};
  tm.tm_year = Field(text, 0, 4) - 1900;
  tm.tm_mon = Field(text, 5, 2) - 1;
  tm.tm_mday = Field(text, 8, 2);
  tm.tm_hour = Field(text, 11, 2);
  tm.tm_min = Field(text, 14, 2);
  tm.tm_sec = Field(text, 17, 2);  // 60 normalises to the next minute
  return static_cast<double>(timegm(&tm));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::optional<double> parsed = pe::ParseTimestamp(text);
  if (!parsed) return 0;
  const double t = *parsed;

  Check(std::isfinite(t), "accepted timestamp is finite", text);
  Check(t >= -kDay && t < kYear10000 + kDay,
        "accepted timestamp is within years 1970..9999 (+/- an offset)", text);
  Check(text.size() >= 19 && text.size() <= 19 + 10 + 6,
        "accepted text is 19..35 bytes", text);
  Check(text[4] == '-' && text[7] == '-' &&
            (text[10] == 'T' || text[10] == ' ') && text[13] == ':' &&
            text[16] == ':',
        "accepted text has the YYYY-MM-DD?HH:MM:SS shape", text);

  // Calendar arithmetic against libc.
  const std::string base = text.substr(0, 19);
  const std::optional<double> base_value = pe::ParseTimestamp(base);
  Check(base_value.has_value(), "date-time prefix alone is accepted", text);
  Check(*base_value == ReferenceSeconds(text),
        "date-time prefix equals timegm() of its fields", text);

  // Same instant with "Z" and no offset; fraction and offset behave.
  const std::optional<double> zulu = pe::ParseTimestamp(base + "Z");
  Check(zulu && *zulu == *base_value, "trailing Z means UTC", text);
  std::size_t offset_at = 19;
  if (offset_at < text.size() && text[offset_at] == '.') {
    ++offset_at;
    while (offset_at < text.size() && text[offset_at] >= '0' &&
           text[offset_at] <= '9') {
      ++offset_at;
    }
  }
  const std::string without_offset = text.substr(0, offset_at);
  const std::optional<double> local = pe::ParseTimestamp(without_offset);
  Check(local.has_value(), "text without its offset is accepted", text);
  const double fraction = *local - *base_value;
  // <= 1: near year 9999 a double has ~30us resolution, 0.999999999 may round
  // up.
  Check(fraction >= 0 && fraction <= 1, "fraction adds [0, 1] seconds", text);
  const double shift = *local - t;  // the offset in seconds
  Check(std::fabs(shift) < kDay, "offset is under 24 hours", text);
  Check(std::fabs(std::fmod(shift, 60.0)) < 1e-3 ||
            std::fabs(std::fabs(std::fmod(shift, 60.0)) - 60) < 1e-3,
        "offset is whole minutes", text);

  // Separator does not matter.
  std::string other = text;
  other[10] = text[10] == 'T' ? ' ' : 'T';
  const std::optional<double> swapped = pe::ParseTimestamp(other);
  Check(swapped && *swapped == t, "'T' and ' ' separators are equivalent",
        text);

  // What the worker writes reads back. FormatIsoUtc prints 4-digit years from
  // 1970 only; values outside are reported in fuzz/README.md, not asserted.
  if (t >= 0 && t < kYear10000) {
    const std::string printed = pe::FormatIsoUtc(t);
    const std::optional<double> back = pe::ParseTimestamp(printed);
    Check(back.has_value(), "FormatIsoUtc output parses",
          text + " -> " + printed);
    const double ulp = std::nextafter(t, INFINITY) - t;
    Check(std::fabs(*back - t) <= 0.5e-6 + 2 * ulp,
          "FormatIsoUtc round-trips within a microsecond",
          text + " -> " + printed);
  }
  return 0;
}
