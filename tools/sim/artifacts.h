#ifndef PIPELINE_EXPORTER_TOOLS_SIM_ARTIFACTS_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_ARTIFACTS_H_

#include <filesystem>
#include <string>

#include "exporter/common/status.h"

namespace pe::sim {

// Creates a run's working folder <worktrees>/<run_id>/ with a small tree
// like a real run leaves: log files, a nested folder, a .gz file, names with
// spaces and non-ASCII characters, and for some runs an empty folder. The
// content depends only on run_id. Existing files are overwritten.
Status CreateRunArtifacts(const std::filesystem::path& worktrees,
                          const std::string& run_id, int steps);

// Appends one line to <worktrees>/<run_id>/logs/<step_id>.log if the run's
// folder exists (a run without one, or whose folder was archived away, is
// left alone).
Status AppendStepLog(const std::filesystem::path& worktrees,
                     const std::string& run_id, const std::string& step_id,
                     const std::string& line);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_ARTIFACTS_H_
