#ifndef PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_
#define PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "exporter/common/timestamp.h"

namespace pe {

// The fields whose values are parsed, as pipeline_exporter_parse_errors_total
// names them; each has a series (0 until an error) from the first scrape.
namespace parsed_field {
inline constexpr std::string_view kRunCreatedAt = "runs.created_at";
inline constexpr std::string_view kRunStartedAt = "runs.started_at";
inline constexpr std::string_view kRunEndedAt = "runs.ended_at";
inline constexpr std::string_view kStepStartedAt = "steps.started_at";
inline constexpr std::string_view kStepEndedAt = "steps.ended_at";
inline constexpr std::string_view kEventTimestamp = "events.timestamp";
}  // namespace parsed_field
inline constexpr std::array<std::string_view, 6> kParsedFields = {
    parsed_field::kRunCreatedAt, parsed_field::kRunStartedAt,
    parsed_field::kRunEndedAt,   parsed_field::kStepStartedAt,
    parsed_field::kStepEndedAt,  parsed_field::kEventTimestamp};

// Counts unparsable values found in the database, by field ("runs.ended_at").
// Each (field, row) is counted and logged once however often the row is read
// again; the memory of rows already seen is bounded, after which repeats may
// be counted again. Parsing touches no member; reporting a bad value is
// serialized, so the poller's full read may parse steps on a second thread.
class ParseErrors {
 public:
  explicit ParseErrors(std::size_t max_remembered = 100000)
      : max_remembered_(max_remembered) {}

  // Parses a timestamp column; counts and logs a failure (not NULL/empty).
  std::optional<double> Timestamp(std::string_view field, std::string_view key,
                                  std::string_view raw);

  // The same, the row's key made by key() only when the value is bad: for
  // keys built per row (a step's run and step id).
  template <typename KeyFn>
  std::optional<double> TimestampKeyedBy(std::string_view field, KeyFn&& key,
                                         std::string_view raw) {
    if (raw.empty()) return std::nullopt;
    auto parsed = ParseTimestamp(raw);
    if (!parsed) Report(field, key(), raw);
    return parsed;
  }

  void Report(std::string_view field, std::string_view key,
              std::string_view raw);

  // Totals by field, for the parse_errors_total counter.
  using Totals = std::map<std::string, double, std::less<>>;
  Totals totals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return totals_;
  }

 private:
  const std::size_t max_remembered_;
  mutable std::mutex mu_;  // guards seen_ and totals_
  std::unordered_set<std::string> seen_;
  Totals totals_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_PARSE_ERRORS_H_
