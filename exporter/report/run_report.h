#ifndef PIPELINE_EXPORTER_REPORT_RUN_REPORT_H_
#define PIPELINE_EXPORTER_REPORT_RUN_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pe {

// Everything a run's summary report shows, gathered from the state database
// and the archiver. A plain value: the writers (report_json.h,
// report_html.h) render it and never look anything up themselves.
//
// Strings hold raw database text: any bytes (HTML, quotes, control
// characters, invalid UTF-8, kilobytes). The writers escape them. Times are
// whole Unix seconds (UTC); nullopt means missing or unparsable.

// One step whose state is `failed`.
struct FailedStepReport {
  std::string step_id;
  std::string name;
  int64_t attempt = 1;
  std::optional<int64_t> started;
  std::optional<int64_t> ended;
  std::optional<std::string> error_message;  // NULL in the database: nullopt
};

// The run's archive and what verifying it found.
struct ArchiveReport {
  std::optional<std::string> path;  // nullopt when not archived
  std::optional<uint64_t> size_bytes;
  std::optional<std::string> sha256;  // lower-case hex of the zip file
  // "verified", "failed: <reason>" or "not archived: <reason>".
  std::string integrity;
};

struct RunReport {
  std::string run_id;
  std::string project;
  std::string phase;
  std::optional<std::string> workstream;
  std::string status;  // the run's state: succeeded, partial, failed, ...

  std::optional<int64_t> created;
  std::optional<int64_t> started;
  std::optional<int64_t> ended;
  std::optional<double> duration_seconds;  // usually ended - started

  int64_t steps_total = 0;
  int64_t steps_completed = 0;
  int64_t steps_failed = 0;
  int64_t steps_skipped = 0;
  std::vector<FailedStepReport> failed_steps;  // in the order to show them

  int64_t events_total = 0;
  int64_t events_errors = 0;  // severity `error` or `critical`

  ArchiveReport archive;

  int64_t generated_at = 0;  // when the report was made
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_RUN_REPORT_H_
