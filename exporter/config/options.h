#ifndef PIPELINE_EXPORTER_CONFIG_OPTIONS_H_
#define PIPELINE_EXPORTER_CONFIG_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/config/config.h"

namespace pe {

// What a key's value is; decides the flag syntax (bools take --key and
// --no-key) and the placeholder in --help.
enum class OptionKind { kString, kDuration, kPositiveInt, kEnum, kBool };

// One configuration key: a command-line flag "--<key>" and, unless
// flag_only, the YAML path <key> in --config.file ("state.poll-interval" is
// `state: {poll-interval: ...}`). Build rows with the helpers below.
struct Option {
  std::string_view key;
  OptionKind kind = OptionKind::kString;
  std::string_view help;
  std::vector<std::string_view> choices;  // kEnum: the accepted values
  bool flag_only = false;
  // Parses and validates text and stores the value into config. The error
  // says what is wrong with the value; the caller prefixes the key.
  std::function<Status(std::string_view text, Config& config)> set;
  // The value held by config, as text that set() accepts.
  std::function<std::string(const Config& config)> get;

  // The default, from Config's initialisers: config.h stays the one place
  // defaults are written.
  std::string DefaultText() const { return get(Config{}); }
};

// Checks a string value; returns an error message, or "" when valid.
using StringCheck = std::string (*)(std::string_view value);

// Row builders. min/max are inclusive.
Option StringOption(std::string_view key, std::string Config::*field,
                    StringCheck check, std::string_view help);
Option DurationOption(std::string_view key,
                      std::chrono::milliseconds Config::*field,
                      std::chrono::milliseconds min, std::string_view help);
Option SizeOption(std::string_view key, std::size_t Config::*field,
                  std::size_t min, std::size_t max, std::string_view help);
Option IntOption(std::string_view key, int Config::*field, int min, int max,
                 std::string_view help);
Option BoolOption(std::string_view key, bool Config::*field,
                  std::string_view help);
template <typename T>
Option EnumOption(std::string_view key, T Config::*field,
                  std::vector<std::pair<std::string_view, T>> values,
                  std::string_view help);

// Every key the exporter has, in --help order. Adding a key is one row in
// options.cc plus its field in Config.
std::span<const Option> Options();

// The row for key, or nullptr.
const Option* FindOption(std::span<const Option> options, std::string_view key);

// Value parsers shared by the rows; errors describe the value only.
Result<bool> ParseBool(std::string_view text);  // true/false, any case
Result<long long> ParseInteger(std::string_view text, long long min,
                               long long max);

// Checks behind web.listen-address and web.telemetry-path ("" when valid).
std::string CheckListenAddress(std::string_view address);
std::string CheckTelemetryPath(std::string_view path);

template <typename T>
Option EnumOption(std::string_view key, T Config::*field,
                  std::vector<std::pair<std::string_view, T>> values,
                  std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kEnum;
  option.help = help;
  for (const auto& value : values) option.choices.push_back(value.first);
  option.set = [field, values](std::string_view text, Config& config) {
    std::string accepted;
    for (const auto& [name, value] : values) {
      if (text == name) {
        config.*field = value;
        return Status::Ok();
      }
      accepted += accepted.empty() ? "" : ", ";
      accepted += name;
    }
    return Status::InvalidArgument("invalid value \"" + std::string(text) +
                                   "\" (use one of " + accepted + ")");
  };
  option.get = [field, values](const Config& config) {
    for (const auto& [name, value] : values) {
      if (config.*field == value) return std::string(name);
    }
    return std::string();
  };
  return option;
}

}  // namespace pe

#endif  // PIPELINE_EXPORTER_CONFIG_OPTIONS_H_
