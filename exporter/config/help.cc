#include "exporter/config/help.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "exporter/common/build_info.h"

namespace pe {
namespace {

constexpr std::size_t kWidth = 100;

// "DB" for state.db, "DURATION", "N", "logfmt|json".
std::string Placeholder(const Option& option) {
  switch (option.kind) {
    case OptionKind::kDuration:
      return "DURATION";
    case OptionKind::kPositiveInt:
      return "N";
    case OptionKind::kEnum: {
      std::string out;
      for (std::string_view choice : option.choices) {
        if (!out.empty()) out += '|';
        out += choice;
      }
      return out;
    }
    case OptionKind::kBool:
      return "";
    case OptionKind::kString:
      break;
  }
  std::string_view last = option.key.substr(option.key.rfind('.') + 1);
  std::string out;
  for (char c : last) {
    out.push_back(
        static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

std::string FlagSpec(const Option& option) {
  if (option.kind == OptionKind::kBool) {
    return "      --[no-]" + std::string(option.key);
  }
  return "      --" + std::string(option.key) + "=" + Placeholder(option);
}

// Appends text word-wrapped into the column starting at indent; the first
// line continues the current one, which is already `indent` wide.
void AppendWrapped(std::string_view text, std::size_t indent,
                   std::string* out) {
  std::size_t column = indent;
  bool first = true;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? "" : text.substr(space + 1);
    if (word.empty()) continue;
    if (!first && column + 1 + word.size() > kWidth) {
      *out += '\n';
      out->append(indent, ' ');
      column = indent;
      first = true;
    }
    if (!first) {
      *out += ' ';
      ++column;
    }
    for (char c : word) *out += c == '\x01' ? ' ' : c;
    column += word.size();
    first = false;
  }
  *out += '\n';
}

std::string EscapeCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string HelpText(std::span<const Option> options) {
  struct Row {
    std::string spec;
    std::string help;
  };
  std::vector<Row> rows = {
      {"  -h, --help", "Show this help and exit."},
      {"      --version", "Show the version and exit."},
      {"      --check-config",
       "Check the flags, the --config.file and the web.config-file, print "
       "the outcome and exit (0 valid, 2 invalid)."},
  };
  for (const Option& option : options) {
    std::string help(option.help);
    const std::string default_text = option.DefaultText();
    // '\x01' is a space the wrapping must not break at.
    if (!default_text.empty()) help += " (default:\x01" + default_text + ")";
    rows.push_back({FlagSpec(option), help});
  }
  std::size_t spec_width = 0;
  for (const Row& row : rows)
    spec_width = std::max(spec_width, row.spec.size());
  const std::size_t indent = spec_width + 2;

  std::string out =
      "usage: pipeline_exporter [flags]\n"
      "       pipeline_exporter simulate [flags]  "
      "(see pipeline_exporter simulate --help)\n"
      "\n"
      "Prometheus exporter for a pipeline orchestrator's SQLite state "
      "database.\n"
      "Every flag --a.b can also be set in the --config.file YAML as "
      "a: {b: ...};\nflags win over the file. SIGHUP or POST /-/reload "
      "reloads the file (log.*,\nstate.poll-interval and worker.* change "
      "without a restart).\n"
      "\n"
      "Exit status: 0 after SIGINT or SIGTERM (a clean stop), --help, "
      "--version or a\nvalid --check-config; 2 for an invalid configuration "
      "or any other start-up\nerror (e.g. the listen address is in use).\n"
      "\n"
      "Flags:\n";
  for (const Row& row : rows) {
    out += row.spec;
    out.append(indent - row.spec.size(), ' ');
    AppendWrapped(row.help, indent, &out);
  }
  return out;
}

std::string VersionText() {
  return std::string("pipeline_exporter, version ") + kVersion +
         " (revision: " + kRevision + ")\n";
}

std::string ReferenceMarkdown(std::span<const Option> options) {
  std::string out =
      "| Flag / YAML key | Default | Description |\n"
      "|---|---|---|\n";
  for (const Option& option : options) {
    const std::string key(option.key);
    std::string name;
    if (option.kind == OptionKind::kBool) {
      name = "`--[no-]" + key + "`";
    } else {
      name = "`--" + key + "`";
    }
    name += option.flag_only ? " (flag only)" : " / `" + key + "`";

    const std::string default_text = option.DefaultText();
    const std::string default_cell =
        default_text.empty() ? "(none)" : "`" + default_text + "`";

    std::string description(option.help);
    switch (option.kind) {
      case OptionKind::kDuration:
        description += " Duration, e.g. `500ms`, `30s`, `1h30m`.";
        break;
      case OptionKind::kEnum: {
        description += " One of";
        for (std::size_t i = 0; i < option.choices.size(); ++i) {
          description += i == 0 ? " `" : ", `";
          description += std::string(option.choices[i]) + "`";
        }
        description += ".";
        break;
      }
      case OptionKind::kBool:
        description += " Boolean.";
        break;
      case OptionKind::kString:
      case OptionKind::kPositiveInt:
        break;
    }
    out += "| " + EscapeCell(name) + " | " + EscapeCell(default_cell) + " | " +
           EscapeCell(description) + " |\n";
  }
  return out;
}

}  // namespace pe
