#include "exporter/report/report_run_id.h"

#include <string>

#include "exporter/common/label_value.h"

namespace pe {
namespace {

bool IsAllowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Status Invalid(std::string_view run_id, std::string_view why) {
  return Status::InvalidArgument(
      "run id '" + SanitizeLabelValue(run_id, 64) +
      "' is not usable in a file name: " + std::string(why));
}

}  // namespace

Status ValidateRunIdForReportPath(std::string_view run_id) {
  if (run_id.empty()) return Invalid(run_id, "empty");
  if (run_id.size() > kMaxReportRunIdBytes) {
    return Invalid(run_id, "longer than " +
                               std::to_string(kMaxReportRunIdBytes) + " bytes");
  }
  if (run_id.front() == '.' || run_id.front() == '-') {
    return Invalid(run_id, "starts with '.' or '-'");
  }
  for (char c : run_id) {
    if (!IsAllowed(c)) {
      return Invalid(run_id, "only A-Z a-z 0-9 . _ - are allowed");
    }
  }
  return Status::Ok();
}

}  // namespace pe
