#ifndef PIPELINE_EXPORTER_REPORT_REPORT_FILES_H_
#define PIPELINE_EXPORTER_REPORT_REPORT_FILES_H_

#include <string>

#include "exporter/common/status.h"
#include "exporter/report/run_report.h"

namespace pe {

struct ReportPaths {
  std::string json;  // <reports_dir>/<run_id>_summary.json
  std::string html;  // <reports_dir>/<run_id>_summary.html
};

// Writes a run's two summary files, each atomically (atomic_file.h), JSON
// first. Creates `reports_dir` (and its parents) when missing. The run id is
// validated (archive/run_id_path.h) before any path is built; an invalid one
// writes nothing and returns InvalidArgument. A failure leaves the earlier
// content of each file (or no file) in place and names the path.
// Rewriting a report for the same run replaces both files.
Result<ReportPaths> WriteReports(const std::string& reports_dir,
                                 const RunReport& report);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_REPORT_FILES_H_
