#include "exporter/common/timestamp.h"

#include <cstdint>

namespace pe {
namespace {

// The value of the n decimal digits at p, or -1 if one is not a digit.
int Digits(const char* p, int n) {
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned digit = static_cast<unsigned char>(p[i]) - '0';
    if (digit > 9) return -1;
    value = value * 10 + static_cast<int>(digit);
  }
  return value;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

// Reads fixed positions rather than a character at a time: a full read of
// the runs table parses three of these per row, so this is on its hot path.
std::optional<double> ParseTimestamp(std::string_view text) {
  // YYYY-MM-DD[T ]HH:MM:SS, then [.fraction] [Z | +HH:MM | +HHMM | -...].
  constexpr std::size_t kFixed = 19;
  const std::size_t size = text.size();
  const char* p = text.data();
  if (size < kFixed || p[4] != '-' || p[7] != '-' ||
      (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || p[16] != ':') {
    return std::nullopt;
  }
  const int year = Digits(p, 4), month = Digits(p + 5, 2),
            day = Digits(p + 8, 2), hour = Digits(p + 11, 2),
            minute = Digits(p + 14, 2), second = Digits(p + 17, 2);
  if ((year | month | day | hour | minute | second) < 0) return std::nullopt;

  std::size_t pos = kFixed;
  double fraction = 0;
  if (pos < size && p[pos] == '.') {
    // 1 to 9 digits: an exact integer, divided once.
    static constexpr double kScale[] = {1,   1e1, 1e2, 1e3, 1e4,
                                        1e5, 1e6, 1e7, 1e8, 1e9};
    const std::size_t first = ++pos;
    uint32_t digits = 0;
    while (pos < size && p[pos] >= '0' && p[pos] <= '9') {
      if (pos - first == 9) return std::nullopt;
      digits = digits * 10 + static_cast<uint32_t>(p[pos++] - '0');
    }
    if (pos == first) return std::nullopt;
    fraction = digits / kScale[pos - first];
  }

  int offset_seconds = 0;
  if (pos < size && p[pos] == 'Z') {
    ++pos;  // UTC
  } else if (pos < size && (p[pos] == '+' || p[pos] == '-')) {
    const int sign = p[pos++] == '+' ? 1 : -1;
    const int oh = size - pos >= 2 ? Digits(p + pos, 2) : -1;
    pos += 2;
    if (pos < size && p[pos] == ':') ++pos;
    const int om = pos <= size && size - pos >= 2 ? Digits(p + pos, 2) : -1;
    pos += 2;
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset_seconds = sign * (oh * 3600 + om * 60);
  }
  if (pos != size) return std::nullopt;

  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month) || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds =
      days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return static_cast<double>(seconds) + fraction;
}

}  // namespace pe
