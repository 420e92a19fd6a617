#include "exporter/poll/latest_event_scan.h"

#include <unordered_map>

#include "exporter/common/timestamp.h"

namespace pe {

LatestEventScan::Latest LatestEventScan::Read(int64_t id,
                                              std::string_view timestamp) {
  if (timestamp.empty()) return {id, 0, Time::kMissing};
  const auto time = ParseTimestamp(timestamp);
  return time ? Latest{id, *time, Time::kParsed}
              : Latest{id, 0, Time::kUnparsable};
}

Result<bool> LatestEventScan::Record(StateReader& reader,
                                     std::size_t max_rows) {
  if (!recording_ || !events_left_) return false;
  // Every run met in the rows read so far is recorded: the read stops
  // right after the row that made max_runs, so Finish reads on from the
  // first row not recorded.
  Status s = reader.NextEventsNewestFirst(
      max_rows, &events_left_,
      [this](int64_t id, std::string_view run_id, std::string_view timestamp) {
        auto [latest, first] = met_.TryEmplace(run_id);
        if (first) *latest = Read(id, timestamp);
        recording_ = met_.size() < max_runs_;
        return recording_;
      });
  if (!s.ok()) return s;
  return recording_ && events_left_;
}

Status LatestEventScan::ReportUnparsable(StateReader& reader, int64_t event_id,
                                         ParseErrors* parse_errors) {
  auto raw = reader.EventTimestamp(event_id);
  if (!raw.ok()) return raw.status();
  parse_errors->Report(parsed_field::kEventTimestamp, std::to_string(event_id),
                       *raw);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, double>>> LatestEventScan::Finish(
    StateReader& reader, const std::unordered_set<std::string_view>& wanted,
    ParseErrors* parse_errors) {
  std::vector<std::pair<std::string, double>> out;
  out.reserve(wanted.size());
  std::vector<int64_t> unparsable;
  const auto take = [&](std::string_view run_id, const Latest& latest) {
    if (latest.kind == Time::kParsed) {
      out.emplace_back(std::string(run_id), latest.time);
    } else if (latest.kind == Time::kUnparsable) {
      unparsable.push_back(latest.event_id);
    }
  };
  // The wanted runs not met yet, to read on for.
  std::unordered_map<std::string_view, bool> missing;
  for (std::string_view id : wanted) {
    if (const Latest* latest = met_.Find(id)) {
      take(id, *latest);
    } else {
      missing.emplace(id, false);
    }
  }
  met_ = DigestMap<Latest>();  // no longer needed
  std::size_t left = missing.size();
  constexpr std::size_t kRows = 4096;
  while (left > 0 && events_left_) {
    Status s = reader.NextEventsNewestFirst(
        kRows, &events_left_,
        [&](int64_t id, std::string_view run_id, std::string_view timestamp) {
          auto it = missing.find(run_id);
          if (it != missing.end() && !it->second) {
            it->second = true;
            --left;
            take(run_id, Read(id, timestamp));
          }
          return left > 0;
        });
    if (!s.ok()) return s;
  }
  for (int64_t id : unparsable) {
    if (Status s = ReportUnparsable(reader, id, parse_errors); !s.ok()) {
      return s;
    }
  }
  return out;
}

}  // namespace pe
