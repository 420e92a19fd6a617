#include "tools/sim/sim_time.h"

#include <cstdio>

namespace pe::sim {
namespace {

struct CivilTime {
  int64_t year;
  unsigned month, day, hour, minute, second, micros;
};

// Howard Hinnant's civil_from_days, valid for the whole int64 range we use.
CivilTime ToCivil(Micros t) {
  int64_t secs = t / kMicrosPerSecond;
  int64_t micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
  return {year,
          month,
          day,
          static_cast<unsigned>(rem / 3600),
          static_cast<unsigned>(rem / 60 % 60),
          static_cast<unsigned>(rem % 60),
          static_cast<unsigned>(micros)};
}

}  // namespace

std::string FormatTimestamp(Micros t, TimestampForm form) {
  const CivilTime c = ToCivil(t);
  char buf[64];
  const char sep = form == TimestampForm::kSqliteSeconds ? ' ' : 'T';
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u%c%02u:%02u:%02u",
                        static_cast<long long>(c.year), c.month, c.day, sep,
                        c.hour, c.minute, c.second);
  switch (form) {
    case TimestampForm::kIsoMicros:
      std::snprintf(buf + n, sizeof buf - n, ".%06u", c.micros);
      break;
    case TimestampForm::kIsoMicrosOffset:
      std::snprintf(buf + n, sizeof buf - n, ".%06u+00:00", c.micros);
      break;
    case TimestampForm::kIsoMillisOffset:
      std::snprintf(buf + n, sizeof buf - n, ".%03u+00:00", c.micros / 1000);
      break;
    case TimestampForm::kIsoSecondsZ:
      std::snprintf(buf + n, sizeof buf - n, "Z");
      break;
    case TimestampForm::kIsoSeconds:
    case TimestampForm::kSqliteSeconds:
      break;
  }
  return buf;
}

TimestampForm PickTimestampForm(Rng& rng) {
  static constexpr TimestampForm kForms[] = {
      TimestampForm::kIsoMicros,       TimestampForm::kIsoMicrosOffset,
      TimestampForm::kIsoMillisOffset, TimestampForm::kIsoSecondsZ,
      TimestampForm::kIsoSeconds,      TimestampForm::kSqliteSeconds,
  };
  return kForms[rng.Weighted({50, 20, 5, 10, 5, 10})];
}

std::string MixedTimestamp(Rng& rng, Micros t) {
  return FormatTimestamp(t, PickTimestampForm(rng));
}

}  // namespace pe::sim
