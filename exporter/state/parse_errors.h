#ifndef PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_
#define PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "exporter/common/timestamp.h"

namespace pe {

// Counts unparsable values found in the database, by field ("runs.ended_at").
// Each (field, row) is counted and logged once however often the row is read
// again; the memory of rows already seen is bounded, after which repeats may
// be counted again. Not thread-safe: owned by the poller thread.
class ParseErrors {
 public:
  explicit ParseErrors(std::size_t max_remembered = 100000)
      : max_remembered_(max_remembered) {}

  // Parses a timestamp column; counts and logs a failure (not NULL/empty).
  std::optional<double> Timestamp(std::string_view field, std::string_view key,
                                  const char* raw);

  // The same, the row's key made by key() only when the value is bad: for
  // keys built per row (a step's run and step id).
  template <typename KeyFn>
  std::optional<double> TimestampKeyedBy(std::string_view field, KeyFn&& key,
                                         const char* raw) {
    if (raw == nullptr || *raw == '\0') return std::nullopt;
    auto parsed = ParseTimestamp(raw);
    if (!parsed) Report(field, key(), raw);
    return parsed;
  }

  void Report(std::string_view field, std::string_view key,
              std::string_view raw);

  // Totals by field, for the parse_errors_total counter.
  const std::map<std::string, double, std::less<>>& totals() const {
    return totals_;
  }

 private:
  std::size_t max_remembered_;
  std::unordered_set<std::string> seen_;
  std::map<std::string, double, std::less<>> totals_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_
