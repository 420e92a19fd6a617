#include "exporter/config/load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "exporter/common/build_info.h"
#include "exporter/config/options.h"

namespace pe {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Args = std::vector<std::string>;

// The current value of key in config, as text (e.g. "10s").
std::string ValueOf(const Config& config, std::string_view key) {
  const Option* option = FindOption(Options(), key);
  EXPECT_NE(option, nullptr) << key;
  return option == nullptr ? "" : option->get(config);
}

Config MustLoad(const Args& args) {
  Result<LoadOutcome> outcome = LoadConfig(args);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  if (!outcome.ok()) return Config{};
  EXPECT_EQ(outcome->action, LoadOutcome::Action::kRun);
  return outcome->config;
}

// A YAML file in a fresh temporary directory, removed with the fixture.
class ConfigFileFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("pe_config_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& contents) {
    const std::string path = (dir_ / "config.yml").string();
    std::ofstream(path) << contents;
    return path;
  }

  std::filesystem::path dir_;
};

// ---- Defaults and flag forms ----

TEST(LoadConfigTest, NoArgumentsGiveTheDefaults) {
  const Config config = MustLoad({});
  const Config defaults;
  EXPECT_EQ(config.config_file, "");
  EXPECT_EQ(config.state_db, ".state/orchestration.db");
  EXPECT_EQ(config.poll_interval, milliseconds(10000));
  EXPECT_EQ(config.busy_timeout, defaults.busy_timeout);
  EXPECT_EQ(config.resync_interval, defaults.resync_interval);
  EXPECT_EQ(config.event_batch, defaults.event_batch);
  EXPECT_EQ(config.recent_window, defaults.recent_window);
  EXPECT_EQ(config.max_tracked_runs, defaults.max_tracked_runs);
  EXPECT_EQ(config.max_event_types, defaults.max_event_types);
  EXPECT_EQ(config.failure_reason_max_length,
            defaults.failure_reason_max_length);
  EXPECT_EQ(config.listen_address, ":9879");
  EXPECT_EQ(config.telemetry_path, "/metrics");
  EXPECT_EQ(config.web_threads, 32);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.log_format, LogFormat::kLogfmt);
}

struct FlagCase {
  Args args;
  std::string key;
  std::string expected;  // ValueOf(config, key) afterwards
};

void PrintTo(const FlagCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.args);
}

class ConfigFlagTest : public ::testing::TestWithParam<FlagCase> {};

TEST_P(ConfigFlagTest, SetsTheKey) {
  const FlagCase& c = GetParam();
  EXPECT_EQ(ValueOf(MustLoad(c.args), c.key), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigFlagTest,
    ::testing::Values(
        FlagCase{{"--state.db=/var/x.db"}, "state.db", "/var/x.db"},
        FlagCase{{"--state.db", "/var/x.db"}, "state.db", "/var/x.db"},
        FlagCase{{"--state.db=/a=b c"}, "state.db", "/a=b c"},
        FlagCase{{"--state.db", "-odd"}, "state.db", "-odd"},
        FlagCase{{"--state.poll-interval=5s"}, "state.poll-interval", "5s"},
        FlagCase{
            {"--state.poll-interval", "100ms"}, "state.poll-interval", "100ms"},
        FlagCase{{"--state.busy-timeout=250ms"}, "state.busy-timeout", "250ms"},
        FlagCase{{"--state.resync-interval=1h30m"},
                 "state.resync-interval",
                 "1h30m"},
        FlagCase{{"--state.event-batch=1"}, "state.event-batch", "1"},
        FlagCase{
            {"--metrics.recent-window", "1d"}, "metrics.recent-window", "1d"},
        FlagCase{{"--metrics.max-tracked-runs=500"},
                 "metrics.max-tracked-runs",
                 "500"},
        FlagCase{
            {"--metrics.max-event-types=8"}, "metrics.max-event-types", "8"},
        FlagCase{{"--metrics.failure-reason-max-length=40"},
                 "metrics.failure-reason-max-length",
                 "40"},
        FlagCase{{"--web.listen-address=127.0.0.1:0"},
                 "web.listen-address",
                 "127.0.0.1:0"},
        FlagCase{{"--web.listen-address=[::1]:9879"},
                 "web.listen-address",
                 "[::1]:9879"},
        FlagCase{
            {"--web.listen-address=:65535"}, "web.listen-address", ":65535"},
        FlagCase{{"--web.telemetry-path=/probe/metrics"},
                 "web.telemetry-path",
                 "/probe/metrics"},
        FlagCase{{"--web.threads=1"}, "web.threads", "1"},
        FlagCase{{"--web.threads", "64"}, "web.threads", "64"},
        FlagCase{{"--log.level=debug"}, "log.level", "debug"},
        FlagCase{{"--log.level", "error"}, "log.level", "error"},
        FlagCase{{"--log.format=json"}, "log.format", "json"},
        FlagCase{{"--state.db=a", "--web.threads=2"}, "web.threads", "2"}));

TEST(LoadConfigTest, FlagsStoreTypedValues) {
  const Config config =
      MustLoad({"--state.poll-interval=1m30s", "--log.format=json",
                "--metrics.max-tracked-runs", "7"});
  EXPECT_EQ(config.poll_interval, milliseconds(90000));
  EXPECT_EQ(config.log_format, LogFormat::kJson);
  EXPECT_EQ(config.max_tracked_runs, 7u);
}

// ---- Invalid command lines: each error names the key and the problem ----

struct InvalidCase {
  Args args;
  std::vector<std::string> fragments;  // all expected in the message
};

void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.args);
}

class ConfigInvalidFlagTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ConfigInvalidFlagTest, FailsNamingKeyAndProblem) {
  const InvalidCase& c = GetParam();
  Result<LoadOutcome> outcome = LoadConfig(c.args);
  ASSERT_FALSE(outcome.ok()) << "accepted " << ::testing::PrintToString(c.args);
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  for (const std::string& fragment : c.fragments) {
    EXPECT_THAT(outcome.status().message(), HasSubstr(fragment));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigInvalidFlagTest,
    ::testing::Values(
        InvalidCase{{"--state.dbb=x"},
                    {"unknown flag --state.dbb", "did you mean --state.db?"}},
        InvalidCase{{"--bogus"}, {"unknown flag --bogus"}},
        InvalidCase{{"--poll-interval=5s"},
                    {"unknown flag --poll-interval",
                     "did you mean --state.poll-interval?"}},
        InvalidCase{{"-x"}, {"unknown flag -x"}},
        InvalidCase{{"--no-state.db"}, {"unknown flag --no-state.db"}},
        InvalidCase{{"serve"}, {"unexpected argument \"serve\""}},
        InvalidCase{{"--"}, {"unexpected argument \"--\""}},
        InvalidCase{{"--state.db"}, {"state.db: missing value"}},
        InvalidCase{{"--state.db", "--web.threads=2"},
                    {"state.db: missing value"}},
        InvalidCase{{"--state.db=a", "--state.db=b"},
                    {"state.db", "more than once"}},
        InvalidCase{{"--state.db="}, {"state.db", "must not be empty"}},
        InvalidCase{{"--state.poll-interval=ten"},
                    {"state.poll-interval", "invalid duration \"ten\""}},
        InvalidCase{{"--state.poll-interval=10"},
                    {"state.poll-interval", "missing unit"}},
        InvalidCase{{"--state.poll-interval=50ms"},
                    {"state.poll-interval", "at least 100ms"}},
        InvalidCase{{"--state.poll-interval=-5s"},
                    {"state.poll-interval", "negative"}},
        InvalidCase{{"--state.busy-timeout=0s"},
                    {"state.busy-timeout", "at least"}},
        InvalidCase{{"--state.resync-interval=0s"},
                    {"state.resync-interval", "at least"}},
        InvalidCase{{"--metrics.recent-window=1x"},
                    {"metrics.recent-window", "unknown unit"}},
        InvalidCase{{"--state.event-batch=0"},
                    {"state.event-batch", "integer >= 1"}},
        InvalidCase{{"--state.event-batch=99999999999999999999"},
                    {"state.event-batch", "out of range"}},
        InvalidCase{{"--metrics.max-tracked-runs=abc"},
                    {"metrics.max-tracked-runs", "invalid value \"abc\""}},
        InvalidCase{{"--metrics.max-event-types=-3"},
                    {"metrics.max-event-types", "\"-3\""}},
        InvalidCase{{"--metrics.failure-reason-max-length=1.5"},
                    {"metrics.failure-reason-max-length", "\"1.5\""}},
        InvalidCase{{"--web.threads=0"}, {"web.threads", "from 1 to 64"}},
        InvalidCase{{"--web.threads=65"}, {"web.threads", "from 1 to 64"}},
        InvalidCase{{"--web.telemetry-path=metrics"},
                    {"web.telemetry-path", "must start with '/'"}},
        InvalidCase{{"--web.telemetry-path=/"},
                    {"web.telemetry-path", "\"/\""}},
        InvalidCase{{"--web.telemetry-path=/-/healthy"},
                    {"web.telemetry-path", "reserved"}},
        InvalidCase{{"--web.telemetry-path=/a b"},
                    {"web.telemetry-path", "spaces"}},
        InvalidCase{{"--web.listen-address=9879"},
                    {"web.listen-address", "missing port"}},
        InvalidCase{{"--web.listen-address=:65536"},
                    {"web.listen-address", "0 to 65535"}},
        InvalidCase{{"--web.listen-address=host:"},
                    {"web.listen-address", "0 to 65535"}},
        InvalidCase{{"--web.listen-address=:http"},
                    {"web.listen-address", "0 to 65535"}},
        InvalidCase{{"--web.listen-address=::1:9879"},
                    {"web.listen-address", "brackets"}},
        InvalidCase{{"--web.listen-address=[::1:9879"},
                    {"web.listen-address", "malformed"}},
        InvalidCase{{"--log.level=verbose"},
                    {"log.level", "invalid value \"verbose\"", "debug"}},
        InvalidCase{{"--log.format=text"},
                    {"log.format", "\"text\"", "logfmt, json"}},
        InvalidCase{{"--worker.concurrency=0"},
                    {"worker.concurrency", "\"0\""}},
        InvalidCase{{"--worker.retention.max-bytes=10 GB"},
                    {"worker.retention.max-bytes", "\"10 GB\"", "512MB"}},
        InvalidCase{{"--worker.retention.max-bytes=1.5GB"},
                    {"worker.retention.max-bytes", "invalid size"}},
        InvalidCase{{"--worker.scrub-interval=daily"},
                    {"worker.scrub-interval", "\"daily\""}}));

// ---- Bool flags (a test table: the exporter has no bool key yet) ----

std::vector<Option> TableWithBool() {
  std::vector<Option> options(Options().begin(), Options().end());
  Option flag;
  flag.key = "test.enabled";
  flag.kind = OptionKind::kBool;
  flag.help = "A test switch.";
  flag.set = [](std::string_view text, Config& config) {
    Result<bool> value = ParseBool(text);
    if (!value.ok()) return value.status();
    config.state_db = *value ? "on" : "off";
    return Status::Ok();
  };
  flag.get = [](const Config& config) { return config.state_db; };
  options.push_back(flag);
  return options;
}

struct BoolCase {
  Args args;
  std::string expected;  // "on", "off", or an error fragment
  bool ok;
};

void PrintTo(const BoolCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.args);
}

class ConfigBoolFlagTest : public ::testing::TestWithParam<BoolCase> {};

TEST_P(ConfigBoolFlagTest, AcceptsKingpinForms) {
  const BoolCase& c = GetParam();
  const std::vector<Option> options = TableWithBool();
  Result<LoadOutcome> outcome = LoadConfig(c.args, options);
  if (c.ok) {
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(outcome->config.state_db, c.expected);
  } else {
    ASSERT_FALSE(outcome.ok());
    EXPECT_THAT(outcome.status().message(), HasSubstr(c.expected));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigBoolFlagTest,
    ::testing::Values(
        BoolCase{{"--test.enabled"}, "on", true},
        BoolCase{{"--no-test.enabled"}, "off", true},
        BoolCase{{"--test.enabled=false"}, "off", true},
        BoolCase{{"--test.enabled=TRUE"}, "on", true},
        BoolCase{{"--test.enabled", "x"}, "unexpected argument \"x\"", false},
        BoolCase{{"--no-test.enabled=true"}, "does not take a value", false},
        BoolCase{
            {"--test.enabled=maybe"}, "test.enabled: invalid boolean", false}));

TEST(LoadConfigTest, BoolFlagsShowBothFormsInHelp) {
  const std::vector<Option> options = TableWithBool();
  Result<LoadOutcome> outcome = LoadConfig({"--help"}, options);
  ASSERT_TRUE(outcome.ok());
  EXPECT_THAT(outcome->text, HasSubstr("--[no-]test.enabled"));
}

// ---- Help and version ----

TEST(LoadConfigTest, HelpListsUsageAndEveryFlagWithDefault) {
  for (const char* flag : {"--help", "-h"}) {
    Result<LoadOutcome> outcome = LoadConfig({flag});
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(outcome->action, LoadOutcome::Action::kHelp);
    const std::string& text = outcome->text;
    EXPECT_THAT(text, HasSubstr("usage: pipeline_exporter [flags]"));
    EXPECT_THAT(text, HasSubstr("pipeline_exporter simulate --help"));
    EXPECT_THAT(text, HasSubstr("--version"));
    for (const Option& option : Options()) {
      EXPECT_THAT(text, HasSubstr(option.kind == OptionKind::kBool
                                      ? "--[no-]" + std::string(option.key)
                                      : "--" + std::string(option.key) + "="));
    }
    EXPECT_THAT(text, HasSubstr("--state.poll-interval=DURATION"));
    EXPECT_THAT(text, HasSubstr("--log.format=logfmt|json"));
    EXPECT_THAT(text, HasSubstr("(default: 10s)"));
    EXPECT_THAT(text, HasSubstr("(default: .state/orchestration.db)"));
    EXPECT_THAT(text, HasSubstr("Exit status: 0 after SIGINT or SIGTERM"));
    for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
      end = text.find('\n', start);
      ASSERT_NE(end, std::string::npos) << "help must end with a newline";
      EXPECT_LE(end - start, 100u) << text.substr(start, end - start);
    }
  }
}

TEST(LoadConfigTest, HelpWinsOverOtherFlagsAndErrors) {
  for (const Args& args :
       {Args{"--state.db=x", "--help"}, Args{"--bogus", "-h"},
        Args{"--state.db", "--help"}, Args{"--version", "--help"}}) {
    Result<LoadOutcome> outcome = LoadConfig(args);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(outcome->action, LoadOutcome::Action::kHelp);
  }
}

TEST(LoadConfigTest, VersionReportsVersionAndRevision) {
  Result<LoadOutcome> outcome = LoadConfig({"--version"});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->action, LoadOutcome::Action::kVersion);
  EXPECT_EQ(outcome->text, std::string("pipeline_exporter, version ") +
                               kVersion + " (revision: " + kRevision + ")\n");
  EXPECT_EQ(std::string(kVersion), "0.1.0");
}

TEST(LoadConfigTest, VersionWinsOverBadValues) {
  Result<LoadOutcome> outcome = LoadConfig(
      {"--web.threads=0", "--config.file=/nonexistent", "--version"});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->action, LoadOutcome::Action::kVersion);
}

// ---- The YAML file ----

using ConfigFileTest = ConfigFileFixture;

TEST_F(ConfigFileTest, NestedMapsSetEveryKey) {
  const std::string path = Write(R"(# full configuration
state:
  db: /var/lib/x.db
  poll-interval: 5s
  busy-timeout: 500ms
  resync-interval: 1h
  event-batch: 1000
metrics:
  recent-window: 2h
  max-tracked-runs: 100
  max-event-types: 16
  failure-reason-max-length: 80
web:
  listen-address: "127.0.0.1:9100"
  telemetry-path: /m
  threads: 2
log:
  level: debug
  format: json
)");
  const Config config = MustLoad({"--config.file=" + path});
  EXPECT_EQ(config.config_file, path);
  EXPECT_EQ(config.state_db, "/var/lib/x.db");
  EXPECT_EQ(config.poll_interval, milliseconds(5000));
  EXPECT_EQ(config.busy_timeout, milliseconds(500));
  EXPECT_EQ(config.resync_interval, milliseconds(3600000));
  EXPECT_EQ(config.event_batch, 1000u);
  EXPECT_EQ(config.recent_window, milliseconds(7200000));
  EXPECT_EQ(config.max_tracked_runs, 100u);
  EXPECT_EQ(config.max_event_types, 16u);
  EXPECT_EQ(config.failure_reason_max_length, 80u);
  EXPECT_EQ(config.listen_address, "127.0.0.1:9100");
  EXPECT_EQ(config.telemetry_path, "/m");
  EXPECT_EQ(config.web_threads, 2);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.log_format, LogFormat::kJson);
}

TEST_F(ConfigFileTest, WorkerKeysNestThreeLevelsDeep) {
  const std::string path = Write(R"(worker:
  enabled: true
  concurrency: 3
  delete-worktrees: true
  scrub-interval: 6h
  retention:
    max-count: 1000
    max-bytes: 50GB
    max-age: 90d
)");
  const Config config = MustLoad({"--config.file=" + path});
  EXPECT_TRUE(config.worker_enabled);
  EXPECT_EQ(config.worker_concurrency, 3);
  EXPECT_TRUE(config.worker_delete_worktrees);
  EXPECT_EQ(config.worker_scrub_interval, milliseconds(6 * 3600 * 1000));
  EXPECT_EQ(config.worker_retention_max_count, 1000u);
  EXPECT_EQ(config.worker_retention_max_bytes, 50ull << 30);
  EXPECT_EQ(config.worker_retention_max_age,
            milliseconds(90ll * 24 * 3600 * 1000));
}

TEST_F(ConfigFileTest, FlagsWinOverTheFileWhateverTheirPosition) {
  const std::string path = Write(
      "state:\n  db: /from/file.db\n"
      "  poll-interval: 5s\n");
  const Config config =
      MustLoad({"--state.db=/from/flag.db", "--config.file", path});
  EXPECT_EQ(config.state_db, "/from/flag.db");
  EXPECT_EQ(config.poll_interval, milliseconds(5000));  // file beats default
}

TEST_F(ConfigFileTest, FlatDottedKeysAreAccepted) {
  const std::string path = Write("state.db: /flat.db\nweb.threads: 3\n");
  const Config config = MustLoad({"--config.file=" + path});
  EXPECT_EQ(config.state_db, "/flat.db");
  EXPECT_EQ(config.web_threads, 3);
}

TEST_F(ConfigFileTest, EmptyFileAndEmptyGroupsLeaveDefaults) {
  for (const char* contents : {"", "# only a comment\n", "state:\n"}) {
    const Config config = MustLoad({"--config.file=" + Write(contents)});
    EXPECT_EQ(config.state_db, Config{}.state_db) << contents;
  }
}

struct FileErrorCase {
  const char* name;
  std::string contents;
  std::vector<std::string> fragments;
};

void PrintTo(const FileErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigFileErrorTest
    : public ConfigFileFixture,
      public ::testing::WithParamInterface<FileErrorCase> {};

TEST_P(ConfigFileErrorTest, FailsNamingFileKeyAndProblem) {
  const FileErrorCase& c = GetParam();
  const std::string path = Write(c.contents);
  Result<LoadOutcome> outcome = LoadConfig({"--config.file=" + path});
  ASSERT_FALSE(outcome.ok()) << "accepted:\n" << c.contents;
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(),
              ::testing::StartsWith("config file '" + path + "': "));
  for (const std::string& fragment : c.fragments) {
    EXPECT_THAT(outcome.status().message(), HasSubstr(fragment));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigFileErrorTest,
    ::testing::Values(
        FileErrorCase{"UnknownNestedKey",
                      "state:\n  db: /x.db\n  dbb: /y.db\n",
                      {"unknown key \"state.dbb\"", "at line 3"}},
        FileErrorCase{"UnknownDeepKey",
                      "web:\n  listen-address:\n    tls: x\n",
                      {"web.listen-address", "expected a single value",
                       "got a map", "at line 2"}},
        FileErrorCase{"UnknownGroup",
                      "stat:\n  db: x\n",
                      {"unknown key \"stat\"", "at line 1"}},
        FileErrorCase{"KeyOutsideItsGroup",
                      "poll-interval: 5s\n",
                      {"unknown key \"poll-interval\"",
                       "did you mean \"state.poll-interval\"?"}},
        FileErrorCase{
            "InvalidValue",
            "state:\n  poll-interval: ten\n",
            {"state.poll-interval", "invalid duration \"ten\"", "at line 2"}},
        FileErrorCase{"ValueTooSmall",
                      "web:\n  threads: 0\n",
                      {"web.threads", "from 1 to 64", "at line 2"}},
        FileErrorCase{
            "InvalidEnum", "log:\n  level: loud\n", {"log.level", "\"loud\""}},
        FileErrorCase{"MissingValue",
                      "state:\n  db:\n",
                      {"state.db: missing value", "at line 2"}},
        FileErrorCase{"ListWhereValueExpected",
                      "state:\n  db: [a, b]\n",
                      {"state.db", "got a list"}},
        FileErrorCase{
            "ScalarWhereMapExpected",
            "state: /x.db\n",
            {"\"state\" must be a map", "got a single value", "at line 1"}},
        FileErrorCase{"TopLevelList",
                      "- state\n- web\n",
                      {"top level must be a map", "got a list"}},
        FileErrorCase{"TopLevelScalar", "hello\n", {"top level must be a map"}},
        FileErrorCase{"SyntaxError",
                      "state:\n  db: /x.db\n  poll: [5s\n",
                      {"YAML syntax error at line"}},
        FileErrorCase{"BadIndentation",
                      "state:\n  db: x\n bad: 1\n",
                      {"YAML syntax error at line 3"}},
        FileErrorCase{"ConfigFileInFile",
                      "config:\n  file: other.yml\n",
                      {"config.file", "command line"}},
        FileErrorCase{"SameKeyTwice",
                      "state.db: /a\nstate:\n  db: /b\n",
                      {"state.db", "more than once"}},
        FileErrorCase{
            "NonScalarKey", "? [a, b]\n: 1\n", {"keys must be plain names"}}),
    [](const ::testing::TestParamInfo<FileErrorCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(ConfigFileTest, MissingFileIsAnErrorNamingIt) {
  const std::string path = (dir_ / "absent.yml").string();
  Result<LoadOutcome> outcome = LoadConfig({"--config.file=" + path});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("config file '" + path + "': cannot read"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("No such file"));
}

TEST_F(ConfigFileTest, DirectoryIsAnErrorNamingIt) {
  Result<LoadOutcome> outcome = LoadConfig({"--config.file=" + dir_.string()});
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr("is a directory"));
}

TEST_F(ConfigFileTest, InvalidFlagIsReportedEvenWithAValidFile) {
  const std::string path = Write("state:\n  db: /x.db\n");
  Result<LoadOutcome> outcome =
      LoadConfig({"--config.file=" + path, "--web.threads=100"});
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr("web.threads"));
}

TEST_F(ConfigFileTest, BoolKeysAcceptYamlBooleans) {
  const std::string path = Write("test:\n  enabled: false\n");
  const std::vector<Option> options = TableWithBool();
  Result<LoadOutcome> outcome = LoadConfig({"--config.file=" + path}, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->config.state_db, "off");
}

// ---- Reference documentation ----

TEST(ConfigReferenceTest, MarkdownTableHasARowForEveryKey) {
  const std::string markdown = ConfigReferenceMarkdown();
  EXPECT_THAT(markdown, ::testing::StartsWith(
                            "| Flag / YAML key | Default | Description |\n"
                            "|---|---|---|\n"));
  std::size_t rows = 0;
  for (char c : markdown) rows += c == '\n';
  EXPECT_EQ(rows, Options().size() + 2);
  for (const Option& option : Options()) {
    const std::string flag =
        (option.kind == OptionKind::kBool ? "`--[no-]" : "`--") +
        std::string(option.key) + "`";
    EXPECT_THAT(markdown, HasSubstr(flag));
  }
  EXPECT_THAT(markdown,
              HasSubstr("| `--state.poll-interval` / `state.poll-interval` | "
                        "`10s` |"));
  EXPECT_THAT(markdown, HasSubstr("| `--config.file` (flag only) | (none) |"));
  EXPECT_THAT(markdown, HasSubstr("`logfmt`, `json`"));
}

}  // namespace
}  // namespace pe
