#ifndef PIPELINE_EXPORTER_REPORT_REPORT_RUN_ID_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_RUN_ID_H_

#include <cstddef>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

inline constexpr std::size_t kMaxReportRunIdBytes = 128;

// Checks that a run id (opaque database text) is safe as a file name
// component of a report path: 1..128 bytes of [A-Za-z0-9._-], not starting
// with '.' or '-' (so no "..", no hidden file, no option look-alike, no
// separator, no NUL). InvalidArgument otherwise, quoting a sanitized
// excerpt of the id.
// TODO(lead): unify with the archiver's run id validator (exporter/archive/).
Status ValidateRunIdForReportPath(std::string_view run_id);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_RUN_ID_H_
