#include "exporter/common/timestamp.h"

#include <cstdint>

namespace pe {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return pos_ == s_.size(); }
  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  // Reads exactly n decimal digits.
  bool Digits(int n, int* out) {
    int value = 0;
    for (int i = 0; i < n; ++i) {
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return false;
      value = value * 10 + (s_[pos_++] - '0');
    }
    *out = value;
    return true;
  }
  // Reads 1..9 digits of a fraction of a second.
  bool Fraction(double* out) {
    double scale = 0.1, value = 0;
    int count = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (++count > 9) return false;
      value += (s_[pos_++] - '0') * scale;
      scale /= 10;
    }
    *out = value;
    return count > 0;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

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

std::optional<double> ParseTimestamp(std::string_view text) {
  Cursor c(text);
  int year, month, day, hour, minute, second;
  if (!c.Digits(4, &year) || !c.Eat('-') || !c.Digits(2, &month) ||
      !c.Eat('-') || !c.Digits(2, &day)) {
    return std::nullopt;
  }
  if (!c.Eat('T') && !c.Eat(' ')) return std::nullopt;
  if (!c.Digits(2, &hour) || !c.Eat(':') || !c.Digits(2, &minute) ||
      !c.Eat(':') || !c.Digits(2, &second)) {
    return std::nullopt;
  }
  double fraction = 0;
  if (c.Eat('.') && !c.Fraction(&fraction)) return std::nullopt;

  int offset_seconds = 0;
  if (c.Eat('Z')) {
    // UTC
  } else if (c.Peek('+') || c.Peek('-')) {
    const int sign = c.Eat('+') ? 1 : (c.Eat('-'), -1);
    int oh, om;
    if (!c.Digits(2, &oh)) return std::nullopt;
    c.Eat(':');
    if (!c.Digits(2, &om) || oh > 23 || om > 59) return std::nullopt;
    offset_seconds = sign * (oh * 3600 + om * 60);
  }
  if (!c.Done()) return std::nullopt;

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
