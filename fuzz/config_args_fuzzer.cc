// Fuzzes the command-line path of pe::LoadConfig (exporter/config/load.h).
// The input is the argument list, NUL-separated. Inputs mentioning
// config.file are skipped: the fuzzer would make LoadConfig read arbitrary
// files (/dev/stdin blocks); config_yaml_fuzzer covers the file. Checked:
//  - LoadConfig never throws;
//  - "--help" anywhere gives the help text, else "--version" (with no -h)
//    gives the version text;
//  - an error is InvalidArgument and names the offending key, flag or
//    argument;
//  - a loaded configuration round-trips through the flags (config_check.h).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/config_check.h"

namespace {

using pe::fuzz::Check;

bool NamesCulprit(std::string_view message) {
  if (message.starts_with("unknown flag -")) return true;
  if (message.starts_with("unexpected argument \"")) return true;
  for (const pe::Option& option : pe::Options()) {
    if (message.starts_with(std::string(option.key) + ":")) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.find("config.file") != std::string_view::npos) return 0;
  std::vector<std::string> args;
  if (!input.empty()) {
    std::size_t start = 0;
    while (true) {
      const std::size_t end = input.find('\0', start);
      args.emplace_back(input.substr(start, end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  const auto has = [&](std::string_view arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
  };

  const pe::Result<pe::LoadOutcome> loaded = pe::fuzz::LoadNoThrow(args);
  const std::string text(input);
  if (has("--help")) {
    Check(loaded.ok() && loaded->action == pe::LoadOutcome::Action::kHelp,
          "--help anywhere gives help", text);
  } else if (has("--version") && !has("-h")) {
    Check(loaded.ok() && loaded->action == pe::LoadOutcome::Action::kVersion,
          "--version anywhere gives the version", text);
  }
  if (!loaded.ok()) {
    const std::string& message = loaded.status().message();
    Check(loaded.status().code() == pe::Status::Code::kInvalidArgument,
          "flag errors are InvalidArgument", message);
    Check(NamesCulprit(message), "flag errors name the key, flag or argument",
          message);
    return 0;
  }
  if (loaded->action != pe::LoadOutcome::Action::kRun) {
    Check(!loaded->text.empty(), "help/version text is not empty", text);
    return 0;
  }
  pe::fuzz::CheckRoundTrip(loaded->config, text);
  return 0;
}
