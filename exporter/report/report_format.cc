#include "exporter/report/report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pe {
namespace {

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

}  // namespace

std::string FormatRfc3339(int64_t unix_seconds) {
  constexpr int64_t kMin = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  const int64_t t = std::clamp(unix_seconds, kMin, kMax);
  int64_t days = t / 86400;
  int64_t rest = t % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int64_t year;
  unsigned month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), month, day,
                static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60));
  return buf;
}

std::string FormatHumanDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  char buf[64];
  if (seconds < 1) {
    std::snprintf(buf, sizeof buf, "%dms", static_cast<int>(seconds * 1000));
    return buf;
  }
  // Beyond ~3e11 years nobody cares; keep the integer conversion defined.
  const auto total = static_cast<uint64_t>(std::min(seconds, 1e16));
  const uint64_t d = total / 86400, h = total / 3600 % 24, m = total / 60 % 60,
                 s = total % 60;
  const auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (d > 0) {
    std::snprintf(buf, sizeof buf, "%llud %02lluh %02llum %02llus", u(d), u(h),
                  u(m), u(s));
  } else if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lluh %02llum %02llus", u(h), u(m), u(s));
  } else if (m > 0) {
    std::snprintf(buf, sizeof buf, "%llum %02llus", u(m), u(s));
  } else {
    std::snprintf(buf, sizeof buf, "%llus", u(s));
  }
  return buf;
}

std::string FormatHumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  // Move up while the one-decimal rendering would reach 1024.0.
  while (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string FormatGrouped(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace pe
