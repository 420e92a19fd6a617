#include "exporter/report/report_files.h"

#include <filesystem>
#include <system_error>

#include "exporter/common/run_id_path.h"
#include "exporter/report/atomic_file.h"
#include "exporter/report/report_html.h"
#include "exporter/report/report_json.h"

namespace pe {

Result<ReportPaths> WriteReports(const std::string& reports_dir,
                                 const RunReport& report) {
  if (Status s = ValidateRunIdForPath(report.run_id); !s.ok()) {
    return s.WithContext("write report");
  }
  std::error_code ec;
  std::filesystem::create_directories(reports_dir, ec);
  if (ec) {
    return Status::IoError("create reports directory '" + reports_dir +
                           "': " + ec.message());
  }
  const std::filesystem::path dir(reports_dir);
  ReportPaths paths{
      .json = (dir / (report.run_id + "_summary.json")).string(),
      .html = (dir / (report.run_id + "_summary.html")).string(),
  };
  if (Status s = WriteFileAtomically(paths.json, RenderReportJson(report));
      !s.ok()) {
    return s.WithContext("write report");
  }
  if (Status s = WriteFileAtomically(paths.html, RenderReportHtml(report));
      !s.ok()) {
    return s.WithContext("write report");
  }
  return paths;
}

}  // namespace pe
