#ifndef PIPELINE_EXPORTER_APP_CLI_H_
#define PIPELINE_EXPORTER_APP_CLI_H_

namespace pe {

// The whole command line: `pipeline_exporter [flags]` runs the daemon,
// `pipeline_exporter simulate [flags]` the orchestrator simulator,
// `pipeline_exporter db-shape --db PATH` reports a state database's shape.
// Returns the exit status: 0, 1 on a runtime failure, 2 on a usage or
// configuration error.
int Main(int argc, char** argv);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_CLI_H_
