#include "exporter/common/run_id_path.h"

#include <cstdio>
#include <string>

namespace pe {
namespace {

bool AllowedByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

}  // namespace

Status ValidateRunIdForPath(std::string_view run_id) {
  if (run_id.empty()) return Status::InvalidArgument("run id is empty");
  if (run_id.size() > kMaxRunIdPathBytes) {
    return Status::InvalidArgument(
        "run id is " + std::to_string(run_id.size()) + " bytes long (at most " +
        std::to_string(kMaxRunIdPathBytes) + ")");
  }
  if (run_id == "." || run_id == "..") {
    return Status::InvalidArgument("run id '" + std::string(run_id) +
                                   "' names a directory link");
  }
  for (std::size_t i = 0; i < run_id.size(); ++i) {
    const auto c = static_cast<unsigned char>(run_id[i]);
    if (!AllowedByte(c)) {
      char buf[96];
      std::snprintf(buf, sizeof(buf),
                    "run id has byte 0x%02x at offset %zu (allowed: "
                    "A-Z a-z 0-9 . _ -)",
                    c, i);
      return Status::InvalidArgument(buf);
    }
  }
  if (run_id[0] == '.' || run_id[0] == '-') {
    return Status::InvalidArgument("run id '" + std::string(run_id) +
                                   "' starts with '" + run_id[0] + "'");
  }
  return Status::Ok();
}

}  // namespace pe
