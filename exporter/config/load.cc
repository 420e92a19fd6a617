#include "exporter/config/load.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>

#include "exporter/common/yaml_file.h"
#include "exporter/config/help.h"

namespace pe {
namespace {

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

// Edit distance, for "did you mean" hints.
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The key the user probably meant: a close spelling, or a key ending in
// ".<name>" (a key given without its group). Empty when none is close.
std::string_view Suggest(std::span<const Option> options, std::string_view name,
                         bool flags) {
  for (const Option& option : options) {
    if (!flags && option.flag_only) continue;
    if (Distance(name, option.key) <= 2) return option.key;
  }
  for (const Option& option : options) {
    if (!flags && option.flag_only) continue;
    const std::string_view key = option.key;
    if (key.size() > name.size() && key.ends_with(name) &&
        key[key.size() - name.size() - 1] == '.') {
      return key;
    }
  }
  return {};
}

// ---- Command line ----

struct FlagValue {
  const Option* option;
  std::string value;
};

struct CommandLine {
  bool help = false;
  bool version = false;
  std::vector<FlagValue> values;
  Status error;  // the first problem found
};

// Returns the error for one argument, or OK. May consume args[*i + 1].
Status ParseFlag(std::span<const Option> options,
                 const std::vector<std::string>& args, std::size_t* i,
                 CommandLine* line) {
  const std::string& arg = args[*i];
  if (arg == "-h" || arg == "--help") {
    line->help = true;
    return Status::Ok();
  }
  if (arg == "--version") {
    line->version = true;
    return Status::Ok();
  }
  if (arg.size() < 3 || !arg.starts_with("--")) {
    if (arg.size() > 1 && arg[0] == '-' && arg != "--") {
      return Status::InvalidArgument("unknown flag " + arg +
                                     " (flags are --key=value; see --help)");
    }
    return Status::InvalidArgument("unexpected argument " + Quoted(arg) +
                                   " (flags are --key=value; see --help)");
  }
  const std::string_view body = std::string_view(arg).substr(2);
  const std::size_t equals = body.find('=');
  const std::string_view name = body.substr(0, equals);
  const bool has_value = equals != std::string_view::npos;

  const Option* option = FindOption(options, name);
  bool negated = false;
  if (option == nullptr && name.starts_with("no-")) {
    const Option* positive = FindOption(options, name.substr(3));
    if (positive != nullptr && positive->kind == OptionKind::kBool) {
      option = positive;
      negated = true;
    }
  }
  if (option == nullptr) {
    std::string message = "unknown flag --" + std::string(name);
    if (std::string_view hint = Suggest(options, name, true); !hint.empty()) {
      message += " (did you mean --" + std::string(hint) + "?)";
    }
    return Status::InvalidArgument(message);
  }
  const std::string key(option->key);
  for (const FlagValue& seen : line->values) {
    if (seen.option == option) {
      return Status::InvalidArgument(key + ": flag given more than once");
    }
  }

  std::string value;
  if (option->kind == OptionKind::kBool) {
    if (negated && has_value) {
      return Status::InvalidArgument(key + ": --no-" + key +
                                     " does not take a value");
    }
    value = has_value ? std::string(body.substr(equals + 1))
                      : (negated ? "false" : "true");
  } else if (has_value) {
    value = std::string(body.substr(equals + 1));
  } else if (*i + 1 < args.size() && !args[*i + 1].starts_with("--")) {
    value = args[++*i];
  } else {
    return Status::InvalidArgument(key + ": missing value (use --" + key +
                                   "=VALUE)");
  }
  line->values.push_back({option, std::move(value)});
  return Status::Ok();
}

CommandLine ParseCommandLine(std::span<const Option> options,
                             const std::vector<std::string>& args) {
  CommandLine line;
  for (std::size_t i = 0; i < args.size(); ++i) {
    Status status = ParseFlag(options, args, &i, &line);
    if (!status.ok() && line.error.ok()) line.error = std::move(status);
  }
  return line;
}

Status Apply(const Option& option, std::string_view value, Config& config) {
  return option.set(value, config).WithContext(std::string(option.key));
}

// ---- YAML file ----

const char* NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string AtLine(const YAML::Node& node) {
  const std::optional<int> line = YamlLine(node);
  return line ? " at line " + std::to_string(*line) : "";
}

// True when some key lives under "<path>.". Flag-only keys count, so that
// `config: {file: x}` is reported as a flag-only key, not an unknown one.
bool IsGroup(std::span<const Option> options, std::string_view path) {
  for (const Option& option : options) {
    if (option.key.size() > path.size() && option.key.starts_with(path) &&
        option.key[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

class FileLoader {
 public:
  FileLoader(std::span<const Option> options, Config* config)
      : options_(options), config_(config) {}

  // Applies every key of the map at `path` ("" for the document root).
  Status ApplyMap(const YAML::Node& map, const std::string& path) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Node value = it->second;
      if (!key_node.IsScalar()) {
        return Status::InvalidArgument("keys must be plain names, got " +
                                       std::string(NodeKind(key_node)) +
                                       AtLine(key_node));
      }
      const std::string key =
          path.empty() ? key_node.Scalar() : path + "." + key_node.Scalar();
      Status status = ApplyEntry(key, key_node, value);
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }

 private:
  Status ApplyEntry(const std::string& key, const YAML::Node& key_node,
                    const YAML::Node& value) {
    const Option* option = FindOption(options_, key);
    if (option != nullptr && option->flag_only) {
      return Status::InvalidArgument(key +
                                     " can only be given on the command "
                                     "line, not in the file" +
                                     AtLine(key_node));
    }
    if (option != nullptr) {
      if (!seen_.insert(key).second) {
        return Status::InvalidArgument(key + ": given more than once" +
                                       AtLine(key_node));
      }
      if (value.IsNull()) {
        return Status::InvalidArgument(key + ": missing value" +
                                       AtLine(key_node));
      }
      if (!value.IsScalar()) {
        return Status::InvalidArgument(key + ": expected a single value, got " +
                                       NodeKind(value) + AtLine(key_node));
      }
      Status status = Apply(*option, value.Scalar(), *config_);
      if (!status.ok()) {
        return Status::InvalidArgument(status.message() + AtLine(key_node));
      }
      return Status::Ok();
    }
    if (IsGroup(options_, key)) {
      if (value.IsNull()) return Status::Ok();  // "state:" with nothing under
      if (!value.IsMap()) {
        return Status::InvalidArgument(Quoted(key) +
                                       " must be a map of keys, got " +
                                       NodeKind(value) + AtLine(key_node));
      }
      return ApplyMap(value, key);
    }
    std::string message = "unknown key " + Quoted(key);
    if (std::string_view hint = Suggest(options_, key, false); !hint.empty()) {
      message += " (did you mean " + Quoted(hint) + "?)";
    }
    return Status::InvalidArgument(message + AtLine(key_node));
  }

  std::span<const Option> options_;
  Config* config_;
  std::set<std::string> seen_;
};

Status ApplyRoot(std::span<const Option> options, const YAML::Node& root,
                 Config* config) {
  if (root.IsNull()) return Status::Ok();  // empty file or only comments
  if (!root.IsMap()) {
    return Status::InvalidArgument("the top level must be a map of keys, got " +
                                   std::string(NodeKind(root)));
  }
  return FileLoader(options, config).ApplyMap(root, "");
}

Status ApplyFile(std::span<const Option> options, const std::string& path,
                 Config* config) {
  return ReadYamlFile(path, "config file", [&](const YAML::Node& root) {
    return ApplyRoot(options, root, config);
  });
}

}  // namespace

Result<LoadOutcome> LoadConfig(const std::vector<std::string>& args,
                               std::span<const Option> options) {
  CommandLine line = ParseCommandLine(options, args);
  LoadOutcome outcome;
  if (line.help) {
    outcome.action = LoadOutcome::Action::kHelp;
    outcome.text = HelpText(options);
    return outcome;
  }
  if (line.version) {
    outcome.action = LoadOutcome::Action::kVersion;
    outcome.text = VersionText();
    return outcome;
  }
  if (!line.error.ok()) return line.error;

  // The file first (its name is itself a flag), then every flag over it.
  Config& config = outcome.config;
  for (const FlagValue& flag : line.values) {
    if (!flag.option->flag_only) continue;
    if (Status status = Apply(*flag.option, flag.value, config); !status.ok()) {
      return status;
    }
  }
  if (!config.config_file.empty()) {
    if (Status status = ApplyFile(options, config.config_file, &config);
        !status.ok()) {
      return status;
    }
  }
  for (const FlagValue& flag : line.values) {
    if (flag.option->flag_only) continue;
    if (Status status = Apply(*flag.option, flag.value, config); !status.ok()) {
      return status;
    }
  }
  return outcome;
}

Result<LoadOutcome> LoadConfig(const std::vector<std::string>& args) {
  return LoadConfig(args, Options());
}

std::string ConfigReferenceMarkdown() { return ReferenceMarkdown(Options()); }

}  // namespace pe
