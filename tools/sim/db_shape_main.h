#ifndef PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_MAIN_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_MAIN_H_

#include <string>
#include <vector>

namespace pe::sim {

// `pipeline_exporter db-shape --db PATH [--now TIMESTAMP]`: prints the shape
// of an existing state database and the `simulate` command that bulk-loads
// one like it. args excludes "db-shape". Returns the exit status: 0, 1 when
// the database cannot be read, 2 on bad flags.
int DbShapeMain(const std::vector<std::string>& args);

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_DB_SHAPE_MAIN_H_
