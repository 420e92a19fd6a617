#ifndef PIPELINE_EXPORTER_CONFIG_LOAD_H_
#define PIPELINE_EXPORTER_CONFIG_LOAD_H_

#include <span>
#include <string>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/config/config.h"
#include "exporter/config/options.h"

namespace pe {

// What the command line asks for.
struct LoadOutcome {
  enum class Action { kRun, kHelp, kVersion };
  Action action = Action::kRun;
  Config config;     // valid when action == kRun
  std::string text;  // help or version text to print, otherwise empty
};

// Parses flags (args excludes argv[0]) and the YAML file named by
// --config.file, flags winning over the file. Errors are InvalidArgument
// with a message naming the key and the problem, e.g.
//   "state.poll-interval: invalid duration \"ten\" (use e.g. 500ms, 10s, 2m)"
//   "config file 'x.yml': unknown key \"state.dbb\""
// The caller exits with status 2 on error.
//
// Flags: --key=value, --key value; bools --key, --no-key, --key=true|false;
// -h/--help and --version anywhere win over everything else. A flag may be
// given once. YAML keys are the flag keys as nested maps (flat dotted keys
// work too); config.file is a flag only.
Result<LoadOutcome> LoadConfig(const std::vector<std::string>& args);

// The same against another option table (tests use a table with bools).
Result<LoadOutcome> LoadConfig(const std::vector<std::string>& args,
                               std::span<const Option> options);

// Markdown table of every key (flag, YAML path, default, meaning), generated
// from the option table; the README's configuration reference is checked
// against it.
std::string ConfigReferenceMarkdown();

}  // namespace pe

#endif  // PIPELINE_EXPORTER_CONFIG_LOAD_H_
