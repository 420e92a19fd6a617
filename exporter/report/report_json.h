#ifndef PIPELINE_EXPORTER_REPORT_REPORT_JSON_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_JSON_H_

#include <string>
#include <string_view>

#include "exporter/report/run_report.h"

namespace pe {

// Renders a run's summary as `<run_id>_summary.json`: one JSON object,
// pretty-printed with two-space indents, keys always present and always in
// this order (the same report gives the same bytes), ending in a newline.
// Missing values are null. Times are RFC 3339 UTC strings.
//
//   {
//     "schema_version": 1,              number; bumped on incompatible change
//     "run_id": string,
//     "project": string,
//     "phase": string,
//     "workstream": string | null,
//     "status": string,                 the run's state
//     "created_at": time | null,
//     "started_at": time | null,
//     "ended_at": time | null,
//     "duration_seconds": number | null,
//     "steps": {"total": n, "completed": n, "failed": n, "skipped": n},
//     "failed_steps": [                 possibly empty
//       {"step_id": string, "name": string, "attempt": n,
//        "started_at": time | null, "ended_at": time | null,
//        "error_message": string | null}
//     ],
//     "events": {"total": n, "errors": n},   errors: severity error|critical
//     "archive": {"path": string | null, "size_bytes": n | null,
//                 "sha256": string | null,
//                 "integrity": string},      "verified", "failed: ...",
//                                            "not archived: ..."
//     "generated_at": time
//   }
//
// Strings are escaped by AppendJsonString (common/json.h). Integers are
// written exactly; duration_seconds in the shortest form that
// reads back to the same double (non-finite: null).
std::string RenderReportJson(const RunReport& report);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_JSON_H_
