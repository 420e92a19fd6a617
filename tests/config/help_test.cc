#include "exporter/config/help.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/build_info.h"
#include "exporter/config/options.h"

namespace pe {
namespace {

using ::testing::HasSubstr;

std::string NoCheck(std::string_view) { return ""; }

// One row of each kind, with Config's defaults behind them.
std::vector<Option> Table() {
  Option flag_only = StringOption("config.file", &Config::config_file, NoCheck,
                                  "A file | with a pipe.");
  flag_only.flag_only = true;
  return {
      flag_only,
      StringOption("web.listen-address", &Config::listen_address, NoCheck,
                   "Where to listen."),
      DurationOption("state.poll-interval", &Config::poll_interval,
                     std::chrono::milliseconds(1), "How often."),
      IntOption("web.threads", &Config::web_threads, 1, 64, "Threads."),
      BoolOption("worker.enabled", &Config::worker_enabled, "Switch."),
      EnumOption<LogFormat>(
          "log.format", &Config::log_format,
          {{"logfmt", LogFormat::kLogfmt}, {"json", LogFormat::kJson}},
          "Format."),
  };
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  EXPECT_EQ(start, text.size()) << "text must end with a newline";
  return lines;
}

// The line of the help text that starts the row of `spec`.
std::string RowOf(const std::string& help, const std::string& spec) {
  for (const std::string& line : Lines(help)) {
    if (line.starts_with("      " + spec) || line.starts_with("  " + spec)) {
      return line;
    }
  }
  ADD_FAILURE() << "no row for " << spec;
  return "";
}

TEST(HelpTextTest, StartsWithUsageAndTheBuiltInFlags) {
  const std::string help = HelpText({});
  EXPECT_THAT(
      help, ::testing::StartsWith("usage: pipeline_exporter [flags]\n"
                                  "       pipeline_exporter simulate [flags]"));
  EXPECT_THAT(RowOf(help, "-h, --help"), HasSubstr("Show this help and exit."));
  EXPECT_THAT(RowOf(help, "--version"), HasSubstr("Show the version"));
  EXPECT_THAT(RowOf(help, "--check-config"), HasSubstr("print the outcome"));
  EXPECT_THAT(help, HasSubstr("(0 valid, 2 invalid)"));
  EXPECT_THAT(help, HasSubstr("\nFlags:\n"));
}

TEST(HelpTextTest, PlaceholdersFollowTheKindOfValue) {
  const std::string help = HelpText(Table());
  // A string is named after its key's last part.
  EXPECT_THAT(help, HasSubstr("      --web.listen-address=LISTEN-ADDRESS  "));
  EXPECT_THAT(help, HasSubstr("      --config.file=FILE  "));
  EXPECT_THAT(help, HasSubstr("      --state.poll-interval=DURATION  "));
  EXPECT_THAT(help, HasSubstr("      --web.threads=N  "));
  EXPECT_THAT(help, HasSubstr("      --log.format=logfmt|json  "));
  // A bool takes no value: both forms.
  EXPECT_THAT(help, HasSubstr("      --[no-]worker.enabled  "));
  EXPECT_THAT(help, ::testing::Not(HasSubstr("worker.enabled=")));
}

TEST(HelpTextTest, EachRowEndsWithItsDefaultUnlessItHasNone) {
  const std::string help = HelpText(Table());
  EXPECT_THAT(RowOf(help, "--web.listen-address"),
              ::testing::EndsWith("Where to listen. (default: :9879)"));
  EXPECT_THAT(RowOf(help, "--state.poll-interval"),
              ::testing::EndsWith("How often. (default: 10s)"));
  EXPECT_THAT(RowOf(help, "--[no-]worker.enabled"),
              ::testing::EndsWith("Switch. (default: false)"));
  EXPECT_THAT(RowOf(help, "--log.format"),
              ::testing::EndsWith("Format. (default: logfmt)"));
  // config.file defaults to "": no "(default: )".
  EXPECT_THAT(RowOf(help, "--config.file"),
              ::testing::EndsWith("A file | with a pipe."));
}

TEST(HelpTextTest, HelpTextsStartInOneColumn) {
  const std::string help = HelpText(Table());
  // The longest spec is --web.listen-address=LISTEN-ADDRESS; two spaces
  // after it.
  const std::size_t column =
      std::string("      --web.listen-address=LISTEN-ADDRESS  ").size();
  for (const char* spec : {"-h, --help", "--version", "--config.file",
                           "--web.threads", "--[no-]worker.enabled"}) {
    const std::string row = RowOf(help, spec);
    ASSERT_GT(row.size(), column) << spec;
    EXPECT_NE(row[column], ' ') << row;
    EXPECT_EQ(row[column - 1], ' ') << row;
  }
}

TEST(HelpTextTest, LongHelpWrapsAtOneHundredColumnsUnderItsColumn) {
  std::string long_help;
  for (int i = 0; i < 60; ++i) long_help += "word" + std::to_string(i) + " ";
  std::vector<Option> table = {
      DurationOption("state.poll-interval", &Config::poll_interval,
                     std::chrono::milliseconds(1), long_help)};
  const std::string help = HelpText(table);
  const std::string first = RowOf(help, "--state.poll-interval");
  const std::size_t column = first.find("word0");
  ASSERT_NE(column, std::string::npos);
  const std::vector<std::string> lines = Lines(help);
  std::size_t continuation = 0;
  bool in_row = false;
  std::string words;
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 100u) << line;
    if (line == first) in_row = true;
    if (!in_row) continue;
    if (line != first) {
      if (!line.starts_with(std::string(column, ' '))) break;
      ++continuation;
      EXPECT_NE(line[column], ' ') << line;
    }
    words += line.substr(column) + " ";
  }
  EXPECT_GE(continuation, 3u);
  // Every word is there once, in order, with the default at the end.
  EXPECT_EQ(words, long_help + "(default: 10s) ");
}

TEST(HelpTextTest, TheDefaultIsNeverSplitAcrossLines) {
  // Whatever the length of the help before it, "(default: 10s)" stays whole.
  for (int n = 0; n < 40; ++n) {
    std::vector<Option> table = {
        DurationOption("state.poll-interval", &Config::poll_interval,
                       std::chrono::milliseconds(1),
                       std::string(n, 'x') + " " + std::string(30, 'y') + " " +
                           std::string(n, 'z'))};
    EXPECT_THAT(HelpText(table), HasSubstr("(default: 10s)\n")) << n;
  }
}

TEST(HelpTextTest, RepeatedSpacesInHelpCollapse) {
  std::vector<Option> table = {
      IntOption("web.threads", &Config::web_threads, 1, 64, "Two  spaces.")};
  EXPECT_THAT(RowOf(HelpText(table), "--web.threads"),
              ::testing::EndsWith("Two spaces. (default: 32)"));
}

TEST(VersionTextTest, NamesTheVersionAndRevision) {
  EXPECT_EQ(VersionText(), std::string("pipeline_exporter, version ") +
                               kVersion + " (revision: " + kRevision + ")\n");
}

TEST(ReferenceMarkdownTest, HasAHeaderAndOneRowPerOption) {
  const std::vector<Option> table = Table();
  const std::vector<std::string> lines = Lines(ReferenceMarkdown(table));
  ASSERT_EQ(lines.size(), table.size() + 2);
  EXPECT_EQ(lines[0], "| Flag / YAML key | Default | Description |");
  EXPECT_EQ(lines[1], "|---|---|---|");
  EXPECT_EQ(Lines(ReferenceMarkdown({})).size(), 2u);
}

TEST(ReferenceMarkdownTest, DescribesEachKindOfValue) {
  const std::vector<std::string> lines = Lines(ReferenceMarkdown(Table()));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[2],
            "| `--config.file` (flag only) | (none) | A file \\| with a "
            "pipe. |");
  EXPECT_EQ(lines[3],
            "| `--web.listen-address` / `web.listen-address` | `:9879` | "
            "Where to listen. |");
  EXPECT_EQ(lines[4],
            "| `--state.poll-interval` / `state.poll-interval` | `10s` | How "
            "often. Duration, e.g. `500ms`, `30s`, `1h30m`. |");
  EXPECT_EQ(lines[5], "| `--web.threads` / `web.threads` | `32` | Threads. |");
  EXPECT_EQ(lines[6],
            "| `--[no-]worker.enabled` / `worker.enabled` | `false` | "
            "Switch. Boolean. |");
  EXPECT_EQ(lines[7],
            "| `--log.format` / `log.format` | `logfmt` | Format. One of "
            "`logfmt`, `json`. |");
}

}  // namespace
}  // namespace pe
