#include "exporter/app/cli.h"

#include <iostream>
#include <string>
#include <vector>

#include "exporter/app/daemon.h"
#include "exporter/common/log.h"
#include "exporter/config/load.h"
#include "exporter/http/web_config.h"
#include "exporter/poll/selections.h"

namespace pe {

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // --check-config: validate everything the daemon would load, then exit.
  bool check_only = false;
  std::erase_if(args, [&](const std::string& arg) {
    if (arg != "--check-config") return false;
    check_only = true;
    return true;
  });
  auto outcome = LoadConfig(args);
  if (!outcome.ok()) {
    std::cerr << "pipeline_exporter: error: " << outcome.status().message()
              << "\n";
    return 2;
  }
  if (outcome->action != LoadOutcome::Action::kRun) {
    std::cout << outcome->text;
    return 0;
  }
  const Config& config = outcome->config;
  if (Result<Selections> selections = SelectionsFromConfig(config);
      !selections.ok()) {
    std::cerr << "pipeline_exporter: error: " << selections.status().message()
              << "\n";
    return 2;
  }
  if (check_only) {
    Result<WebConfig> web = LoadWebConfigFile(config.web_config_file);
    if (!web.ok()) {
      std::cerr << "pipeline_exporter: error: " << web.status().message()
                << "\n";
      return 2;
    }
    std::cout << "pipeline_exporter: the configuration is valid\n";
    return 0;
  }
  if (Status s = log::Init(config.log_level, config.log_format); !s.ok()) {
    std::cerr << "pipeline_exporter: error: " << s.message() << "\n";
    return 2;
  }
  return RunDaemon(config, args);
}

}  // namespace pe
