#include "exporter/worker/iso_time.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace pe {

std::string FormatIsoUtc(double unix_seconds) {
  const int64_t micros = std::llround(unix_seconds * 1e6);
  int64_t seconds = micros / 1000000;
  int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<long long>(fraction));
  return buf;
}

}  // namespace pe
