#ifndef PIPELINE_EXPORTER_COLLECTOR_LATEST_EVENT_SCAN_H_
#define PIPELINE_EXPORTER_COLLECTOR_LATEST_EVENT_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "exporter/common/digest_map.h"
#include "exporter/common/status.h"
#include "exporter/state/parse_errors.h"
#include "exporter/state/state_reader.h"

namespace pe {

// The latest event of each tracked run, for a start-up: events are read
// newest first, and the first one met of a run is its latest (highest id).
//
// The tracked runs are known only once the whole runs table has been read,
// so the scan can begin before: Record() reads the newest events meanwhile
// and remembers the first event of every run it meets, by a digest of the
// run id (DigestMap, 32 bytes a run), up to max_runs runs. Finish() then
// looks the wanted runs up there and reads on from where Record stopped
// only for those it did not meet, until all are met or no event is left
// (a run without events costs one scan of the table, never a sort).
//
// Record and Finish read through the reader given, which must be the same
// connection within one read transaction. Not thread-safe.
class LatestEventScan {
 public:
  explicit LatestEventScan(std::size_t max_runs) : max_runs_(max_runs) {}

  // Reads up to max_rows more events. False once there is nothing left to
  // record (max_runs met, or no event left): then only Finish remains.
  Result<bool> Record(StateReader& reader, std::size_t max_rows);

  // The latest event time of each wanted run that has one. An unparsable
  // latest timestamp is reported to parse_errors and the run left out.
  Result<std::vector<std::pair<std::string, double>>> Finish(
      StateReader& reader, const std::unordered_set<std::string_view>& wanted,
      ParseErrors* parse_errors);

 private:
  enum class Time : uint8_t { kParsed, kMissing, kUnparsable };
  struct Latest {
    int64_t event_id = 0;
    double time = 0;
    Time kind = Time::kMissing;
  };
  static Latest Read(int64_t id, std::string_view timestamp);
  // Reports an unparsable timestamp as a read would have, text and all.
  Status ReportUnparsable(StateReader& reader, int64_t event_id,
                          ParseErrors* parse_errors);

  const std::size_t max_runs_;
  DigestMap<Latest> met_;
  bool recording_ = true;
  bool events_left_ = true;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COLLECTOR_LATEST_EVENT_SCAN_H_
