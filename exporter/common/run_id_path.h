#ifndef PIPELINE_EXPORTER_COMMON_RUN_ID_PATH_H_
#define PIPELINE_EXPORTER_COMMON_RUN_ID_PATH_H_

#include <cstddef>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

inline constexpr std::size_t kMaxRunIdPathBytes = 128;

// A run id comes from the database and may only become a file name (the
// worktree folder, the archive name, the report names) once this returns OK:
// 1..128 bytes of [A-Za-z0-9._-], not "." or "..", not starting with '.' or
// '-'. The returned Status (InvalidArgument) names the problem.
Status ValidateRunIdForPath(std::string_view run_id);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_RUN_ID_PATH_H_
