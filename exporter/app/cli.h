#ifndef PIPELINE_EXPORTER_APP_CLI_H_
#define PIPELINE_EXPORTER_APP_CLI_H_

namespace pe {

// The daemon's command line: `pipeline_exporter [flags]` (the tools'
// subcommands, `simulate` and `db-shape`, are tools/sim's: main.cc).
// Returns the exit status: 0, 2 on a usage, configuration or start-up error.
int Main(int argc, char** argv);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_APP_CLI_H_
