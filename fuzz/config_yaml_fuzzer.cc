// Fuzzes the YAML configuration file path of pe::LoadConfig
// (exporter/config/load.h). The YAML-text entry point (ApplyFileContents) is
// internal to load.cc, so the input is written to a memfd and loaded through
// the public API as --config.file=/proc/self/fd/N (no disk I/O). Checked:
//  - LoadConfig never throws;
//  - an error is InvalidArgument, starts with "config file '<path>': " and
//    then names a key, a line, or the top level;
//  - a loaded configuration round-trips through the flags (config_check.h);
//  - a flag given with the file wins over it and changes nothing else.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/config_check.h"

namespace {

using pe::fuzz::Check;

int ConfigFd() {
  static const int fd = memfd_create("fuzz-config.yml", MFD_CLOEXEC);
  return fd;
}

bool NamesKeyOrLine(std::string_view message) {
  if (message.find(" at line ") != std::string_view::npos) return true;
  if (message.starts_with("YAML syntax error at line ")) return true;
  if (message.starts_with("the top level must be a map")) return true;
  for (const pe::Option& option : pe::Options()) {
    if (message.starts_with(std::string(option.key) + ":")) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = ConfigFd();
  Check(fd >= 0, "memfd_create works");
  Check(ftruncate(fd, 0) == 0 &&
            pwrite(fd, data, size, 0) == static_cast<ssize_t>(size),
        "memfd write works");
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const std::string text(reinterpret_cast<const char*>(data), size);

  const pe::Result<pe::LoadOutcome> loaded =
      pe::fuzz::LoadNoThrow({"--config.file=" + path});
  if (!loaded.ok()) {
    const std::string& message = loaded.status().message();
    Check(loaded.status().code() == pe::Status::Code::kInvalidArgument,
          "config errors are InvalidArgument", message);
    const std::string prefix = "config file '" + path + "': ";
    Check(message.starts_with(prefix), "config errors name the file", message);
    Check(NamesKeyOrLine(std::string_view(message).substr(prefix.size())),
          "config errors name a key or a line", message);
    return 0;
  }
  Check(loaded->action == pe::LoadOutcome::Action::kRun, "a file means run",
        text);
  pe::fuzz::CheckRoundTrip(loaded->config, text);

  const pe::Result<pe::LoadOutcome> with_flag =
      pe::fuzz::LoadNoThrow({"--config.file=" + path, "--web.threads=7"});
  Check(with_flag.ok() && with_flag->config.web_threads == 7,
        "a flag wins over the file", text);
  for (const pe::Option& option : pe::Options()) {
    if (option.key == "web.threads") continue;
    Check(option.get(with_flag->config) == option.get(loaded->config),
          "a flag changes only its own key", std::string(option.key));
  }
  return 0;
}
