#ifndef PIPELINE_EXPORTER_FUZZ_CONFIG_CHECK_H_
#define PIPELINE_EXPORTER_FUZZ_CONFIG_CHECK_H_

#include <exception>
#include <string>
#include <vector>

#include "exporter/config/load.h"
#include "exporter/config/options.h"
#include "fuzz/fuzz_check.h"

namespace pe::fuzz {

// LoadConfig that must not throw.
inline Result<LoadOutcome> LoadNoThrow(const std::vector<std::string>& args) {
  try {
    return LoadConfig(args);
  } catch (const std::exception& e) {
    Check(false, "LoadConfig does not throw", e.what());
  } catch (...) {
    Check(false, "LoadConfig does not throw", "non-std exception");
  }
  return Status::Internal("unreachable");
}

// Every value a loaded Config holds is printed by its option's get() as text
// that set() accepts: giving all of them back as flags yields the same
// configuration.
inline void CheckRoundTrip(const Config& config, const std::string& input) {
  std::vector<std::string> args;
  for (const Option& option : Options()) {
    if (option.flag_only) continue;
    args.push_back("--" + std::string(option.key) + "=" + option.get(config));
  }
  const Result<LoadOutcome> again = LoadNoThrow(args);
  Check(again.ok(), "every loaded value is accepted back as a flag",
        input + " => " + (again.ok() ? "" : again.status().message()));
  for (const Option& option : Options()) {
    if (option.flag_only) continue;
    Check(option.get(again->config) == option.get(config),
          "every loaded value reads back the same",
          std::string(option.key) + ": " + option.get(config) + " vs " +
              option.get(again->config));
  }
}

}  // namespace pe::fuzz

#endif  // PIPELINE_EXPORTER_FUZZ_CONFIG_CHECK_H_
