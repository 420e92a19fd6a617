#include "exporter/config/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace pe {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr long long kMax = std::numeric_limits<long long>::max();

// ---- The exporter's table ----

TEST(ConfigOptionsTest, DeclaresEveryKeyOnceInLowercaseDottedForm) {
  const std::vector<std::string> expected = {
      "config.file",
      "state.db",
      "state.poll-interval",
      "state.busy-timeout",
      "state.resync-interval",
      "state.event-batch",
      "metrics.recent-window",
      "metrics.max-tracked-runs",
      "metrics.max-event-types",
      "metrics.failure-reason-max-length",
      "metrics.project-include",
      "metrics.project-exclude",
      "metrics.family-allow",
      "metrics.family-deny",
      "web.listen-address",
      "web.telemetry-path",
      "web.threads",
      "web.config-file",
      "worker.enabled",
      "worker.mark-complete",
      "worker.worktrees-dir",
      "worker.archive-dir",
      "worker.reports-dir",
      "worker.interval",
      "worker.lease",
      "worker.deflate-level",
      "worker.free-space-factor",
      "worker.retry-backoff",
      "worker.concurrency",
      "worker.delete-worktrees",
      "worker.scrub-interval",
      "worker.retention.max-count",
      "worker.retention.max-bytes",
      "worker.retention.max-age",
      "worker.shutdown-grace",
      "worker.backfill",
      "worker.backfill-rate",
      "log.level",
      "log.format",
  };
  std::vector<std::string> keys;
  for (const Option& option : Options()) {
    keys.emplace_back(option.key);
    EXPECT_THAT(std::string(option.key),
                ::testing::MatchesRegex("[a-z]+(\\.[a-z-]+)+"));
    EXPECT_FALSE(option.help.empty()) << option.key;
  }
  EXPECT_EQ(keys, expected);
}

TEST(ConfigOptionsTest, EveryDefaultIsAcceptedByItsOwnValidation) {
  for (const Option& option : Options()) {
    Config config;
    Status status = option.set(option.DefaultText(), config);
    EXPECT_TRUE(status.ok()) << option.key << ": " << status.ToString();
  }
}

TEST(ConfigOptionsTest, OnlyConfigFileIsFlagOnly) {
  for (const Option& option : Options()) {
    EXPECT_EQ(option.flag_only, option.key == "config.file") << option.key;
  }
}

TEST(ConfigOptionsTest, EveryRowReadsBackTheTextItWasSetWith) {
  // get() is what --help and the reference show as the default: it must be
  // text that set() takes and that reads back unchanged.
  for (const Option& option : Options()) {
    ASSERT_TRUE(option.set) << option.key;
    ASSERT_TRUE(option.get) << option.key;
    Config config;
    const std::string text = option.DefaultText();
    ASSERT_TRUE(option.set(text, config).ok()) << option.key;
    EXPECT_EQ(option.get(config), text) << option.key;
  }
}

TEST(ConfigOptionsTest, DefaultsComeFromConfigsInitialisers) {
  EXPECT_EQ(FindOption(Options(), "state.db")->DefaultText(),
            Config{}.state_db);
  EXPECT_EQ(FindOption(Options(), "state.poll-interval")->DefaultText(), "10s");
  EXPECT_EQ(FindOption(Options(), "web.threads")->DefaultText(), "32");
  EXPECT_EQ(FindOption(Options(), "worker.enabled")->DefaultText(), "false");
  EXPECT_EQ(FindOption(Options(), "worker.free-space-factor")->DefaultText(),
            "1.5");
  EXPECT_EQ(FindOption(Options(), "worker.retention.max-bytes")->DefaultText(),
            "0");
  EXPECT_EQ(FindOption(Options(), "log.format")->DefaultText(), "logfmt");
  EXPECT_EQ(FindOption(Options(), "web.config-file")->DefaultText(), "");
}

TEST(ConfigOptionsTest, EnumRowsListTheirChoicesAndDefaultToOne) {
  const Option* level = FindOption(Options(), "log.level");
  ASSERT_NE(level, nullptr);
  EXPECT_EQ(level->kind, OptionKind::kEnum);
  EXPECT_EQ(level->choices,
            (std::vector<std::string_view>{"debug", "info", "warn", "error"}));
  for (const Option& option : Options()) {
    if (option.kind != OptionKind::kEnum) {
      EXPECT_TRUE(option.choices.empty()) << option.key;
      continue;
    }
    EXPECT_THAT(option.choices, ::testing::Contains(option.DefaultText()))
        << option.key;
  }
}

TEST(ConfigOptionsTest, FactorAndByteSizeRowsValidateTheirText) {
  const Option* factor = FindOption(Options(), "worker.free-space-factor");
  ASSERT_NE(factor, nullptr);
  Config config;
  ASSERT_TRUE(factor->set("2.25", config).ok());
  EXPECT_EQ(config.worker_free_space_factor, 2.25);
  EXPECT_EQ(factor->get(config), "2.25");
  EXPECT_EQ(factor->set("0.5", config).message(),
            "value \"0.5\" too small (use at least 1)");
  for (const char* bad : {"", "x", "1.5x", "inf", "nan"}) {
    EXPECT_THAT(factor->set(bad, config).message(), HasSubstr("invalid number"))
        << bad;
  }
  EXPECT_EQ(config.worker_free_space_factor, 2.25);

  const Option* bytes = FindOption(Options(), "worker.retention.max-bytes");
  ASSERT_NE(bytes, nullptr);
  ASSERT_TRUE(bytes->set("10GiB", config).ok());
  EXPECT_EQ(config.worker_retention_max_bytes, 10ull << 30);
  EXPECT_EQ(bytes->get(config), "10GB");
  EXPECT_FALSE(bytes->set("-1", config).ok());
}

TEST(ConfigOptionsTest, BackfillIsNoneADurationOrAll) {
  const Option* backfill = FindOption(Options(), "worker.backfill");
  ASSERT_NE(backfill, nullptr);
  EXPECT_EQ(backfill->DefaultText(), "none");  // the safe default
  Config config;
  ASSERT_TRUE(backfill->set("30d", config).ok());
  EXPECT_EQ(config.worker_backfill, std::chrono::hours(24 * 30));
  EXPECT_EQ(backfill->get(config), "4w2d");  // FormatDuration's canonical form
  ASSERT_TRUE(backfill->set("all", config).ok());
  EXPECT_EQ(config.worker_backfill, std::chrono::milliseconds::max());
  EXPECT_EQ(backfill->get(config), "all");
  ASSERT_TRUE(backfill->set("0s", config).ok());
  EXPECT_EQ(backfill->get(config), "none");
  ASSERT_TRUE(backfill->set("none", config).ok());
  EXPECT_EQ(config.worker_backfill, std::chrono::milliseconds(0));
  for (const char* bad : {"", "some", "-1h", "All", "24"}) {
    EXPECT_THAT(backfill->set(bad, config).message(),
                HasSubstr("use none, all or a duration"))
        << bad;
  }

  const Option* rate = FindOption(Options(), "worker.backfill-rate");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->DefaultText(), "5");
  ASSERT_TRUE(rate->set("0", config).ok());  // no limit
  ASSERT_TRUE(rate->set("0.5", config).ok());
  EXPECT_EQ(config.worker_backfill_rate, 0.5);
  EXPECT_FALSE(rate->set("-1", config).ok());
}

TEST(FindOptionTest, FindsAKeyByItsWholeExactName) {
  const Option* option = FindOption(Options(), "state.db");
  ASSERT_NE(option, nullptr);
  EXPECT_EQ(option->key, "state.db");
  EXPECT_EQ(FindOption(Options(), "state"), nullptr);
  EXPECT_EQ(FindOption(Options(), "state.d"), nullptr);
  EXPECT_EQ(FindOption(Options(), "STATE.DB"), nullptr);
  EXPECT_EQ(FindOption(Options(), ""), nullptr);
  EXPECT_EQ(FindOption({}, "state.db"), nullptr);
}

// ---- Value parsers ----

TEST(ParseBoolTest, AcceptsTrueAndFalseInAnyCase) {
  for (const char* text : {"true", "TRUE", "True", "tRuE"}) {
    Result<bool> value = ParseBool(text);
    ASSERT_TRUE(value.ok()) << text;
    EXPECT_TRUE(*value) << text;
  }
  for (const char* text : {"false", "FALSE", "False"}) {
    Result<bool> value = ParseBool(text);
    ASSERT_TRUE(value.ok()) << text;
    EXPECT_FALSE(*value) << text;
  }
}

TEST(ParseBoolTest, RejectsOtherSpellingsQuotingThem) {
  for (const char* text : {"1", "0", "yes", "no", "on", "", " true", "t"}) {
    Result<bool> value = ParseBool(text);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_EQ(value.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(
        value.status().message(),
        "invalid boolean \"" + std::string(text) + "\" (use true or false)");
  }
}

TEST(ParseIntegerTest, AcceptsDecimalDigitsWithinTheInclusiveRange) {
  EXPECT_EQ(*ParseInteger("1", 1, 5), 1);
  EXPECT_EQ(*ParseInteger("5", 1, 5), 5);
  EXPECT_EQ(*ParseInteger("007", 1, 9), 7);
  EXPECT_EQ(*ParseInteger("0", 0, kMax), 0);
  EXPECT_EQ(*ParseInteger("9223372036854775807", 0, kMax), kMax);
}

TEST(ParseIntegerTest, OutOfRangeNamesTheRange) {
  EXPECT_EQ(ParseInteger("6", 1, 5).status().message(),
            "value \"6\" out of range (use an integer from 1 to 5)");
  EXPECT_EQ(ParseInteger("0", 1, 5).status().message(),
            "value \"0\" out of range (use an integer from 1 to 5)");
  // Without an upper bound the range reads as a minimum.
  EXPECT_EQ(ParseInteger("0", 1, kMax).status().message(),
            "value \"0\" out of range (use an integer >= 1)");
}

TEST(ParseIntegerTest, OverflowIsOutOfRangeNotAWrappedValue) {
  for (const char* text : {"9223372036854775808", "99999999999999999999",
                           "18446744073709551617"}) {
    Result<long long> value = ParseInteger(text, 0, kMax);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_THAT(value.status().message(), HasSubstr("out of range")) << text;
  }
}

TEST(ParseIntegerTest, RejectsAnythingButDigits) {
  for (const char* text : {"-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "a"}) {
    Result<long long> value = ParseInteger(text, 0, 10);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_EQ(value.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(value.status().message(), "invalid value \"" + std::string(text) +
                                            "\" (use an integer from 0 to 10)");
  }
  EXPECT_EQ(ParseInteger("", 0, 10).status().message(),
            "missing value (use an integer from 0 to 10)");
}

// ---- Checks ----

TEST(CheckListenAddressTest, AcceptsHostPortPortAloneAndBracketedIpv6) {
  for (const char* address :
       {":9879", "0.0.0.0:0", "127.0.0.1:9879", "localhost:65535", "[::1]:9879",
        "[::]:0", "[fe80::1%eth0]:80"}) {
    EXPECT_EQ(CheckListenAddress(address), "") << address;
  }
}

TEST(CheckListenAddressTest, SaysWhatIsWrong) {
  struct Case {
    const char* address;
    const char* problem;
  };
  const Case cases[] = {
      {"9879", "missing port"},
      {"", "missing port"},
      {"host:", "port must be 0 to 65535"},
      {":65536", "port must be 0 to 65535"},
      {":123456", "port must be 0 to 65535"},
      {":http", "port must be 0 to 65535"},
      {":-1", "port must be 0 to 65535"},
      {"a b:80", "space in host"},
      {"\t:80", "space in host"},
      {"::1:9879", "an IPv6 host must be in brackets"},
      {"[::1:9879", "malformed [IPv6] host"},
      {"[]:80", "malformed [IPv6] host"},
  };
  for (const Case& c : cases) {
    const std::string error = CheckListenAddress(c.address);
    EXPECT_THAT(error, HasSubstr("invalid address \"" + std::string(c.address) +
                                 "\": " + c.problem))
        << c.address;
  }
  EXPECT_EQ(CheckListenAddress("9879"),
            "invalid address \"9879\": missing port (use host:port or "
            ":port, e.g. :9879)");
}

TEST(CheckTelemetryPathTest, AcceptsAbsolutePathsOffTheReservedOnes) {
  for (const char* path : {"/metrics", "/a/b", "/-x", "/metrics/", "/é"}) {
    EXPECT_EQ(CheckTelemetryPath(path), "") << path;
  }
}

TEST(CheckTelemetryPathTest, RejectsRelativeRootReservedAndUnsafePaths) {
  struct Case {
    std::string path;
    const char* problem;
  };
  const Case cases[] = {
      {"", "must start with '/'"},
      {"metrics", "must start with '/'"},
      {"/", "the landing page is served there"},
      {"/-", "/-/ is reserved"},
      {"/-/", "/-/ is reserved"},
      {"/-/healthy", "/-/ is reserved"},
      {"/a b", "must not contain spaces"},
      {"/a\tb", "must not contain spaces"},
      {"/a?b", "'?' or '#'"},
      {"/a#b", "'?' or '#'"},
      {"/a\x7F", "control characters"},
      {std::string("/a\0b", 4), "control characters"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CheckTelemetryPath(c.path), HasSubstr(c.problem)) << c.path;
  }
}

// ---- Row builders ----

std::string AtMostThree(std::string_view value) {
  return value.size() > 3 ? "longer than 3" : "";
}

TEST(StringOptionTest, StoresTextThatPassesItsCheck) {
  const Option option =
      StringOption("x.name", &Config::state_db, AtMostThree, "A name.");
  EXPECT_EQ(option.key, "x.name");
  EXPECT_EQ(option.kind, OptionKind::kString);
  EXPECT_EQ(option.help, "A name.");
  EXPECT_FALSE(option.flag_only);
  Config config;
  ASSERT_TRUE(option.set("abc", config).ok());
  EXPECT_EQ(config.state_db, "abc");
  EXPECT_EQ(option.get(config), "abc");
  const Status s = option.set("abcd", config);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "longer than 3");
  EXPECT_EQ(config.state_db, "abc");
  EXPECT_EQ(option.DefaultText(), Config{}.state_db);
}

TEST(DurationOptionTest, StoresDurationsFromItsMinimumUp) {
  const Option option = DurationOption("x.every", &Config::poll_interval,
                                       milliseconds(100), "How often.");
  EXPECT_EQ(option.kind, OptionKind::kDuration);
  Config config;
  ASSERT_TRUE(option.set("100ms", config).ok());
  EXPECT_EQ(config.poll_interval, milliseconds(100));
  ASSERT_TRUE(option.set("1h30m", config).ok());
  EXPECT_EQ(config.poll_interval, std::chrono::minutes(90));
  EXPECT_EQ(option.get(config), "1h30m");
  EXPECT_EQ(option.set("99ms", config).message(),
            "duration \"99ms\" too short (use at least 100ms)");
  EXPECT_THAT(option.set("ten", config).message(),
              HasSubstr("invalid duration \"ten\""));
  EXPECT_EQ(config.poll_interval, std::chrono::minutes(90));
}

TEST(SizeOptionTest, StoresCountsWithinItsBounds) {
  const Option option =
      SizeOption("x.count", &Config::event_batch, 1, 10, "How many.");
  EXPECT_EQ(option.kind, OptionKind::kPositiveInt);
  Config config;
  ASSERT_TRUE(option.set("10", config).ok());
  EXPECT_EQ(config.event_batch, 10u);
  EXPECT_EQ(option.get(config), "10");
  EXPECT_EQ(option.set("11", config).message(),
            "value \"11\" out of range (use an integer from 1 to 10)");
  EXPECT_EQ(config.event_batch, 10u);
  // A maximum beyond long long is capped, and shown as a minimum only.
  const Option unbounded =
      SizeOption("x.any", &Config::event_batch, 1,
                 std::numeric_limits<std::size_t>::max(), "Any.");
  EXPECT_EQ(unbounded.set("0", config).message(),
            "value \"0\" out of range (use an integer >= 1)");
  ASSERT_TRUE(unbounded.set("9223372036854775807", config).ok());
  EXPECT_EQ(config.event_batch, static_cast<std::size_t>(kMax));
}

TEST(IntOptionTest, StoresIntegersWithinItsBounds) {
  const Option option =
      IntOption("x.threads", &Config::web_threads, 1, 64, "Threads.");
  EXPECT_EQ(option.kind, OptionKind::kPositiveInt);
  Config config;
  ASSERT_TRUE(option.set("64", config).ok());
  EXPECT_EQ(config.web_threads, 64);
  EXPECT_EQ(option.get(config), "64");
  EXPECT_EQ(option.set("65", config).message(),
            "value \"65\" out of range (use an integer from 1 to 64)");
  EXPECT_EQ(option.set("-1", config).message(),
            "invalid value \"-1\" (use an integer from 1 to 64)");
  EXPECT_EQ(config.web_threads, 64);
}

TEST(BoolOptionTest, StoresBooleansAndShowsThemLowerCase) {
  const Option option =
      BoolOption("x.enabled", &Config::worker_enabled, "Switch.");
  EXPECT_EQ(option.kind, OptionKind::kBool);
  Config config;
  ASSERT_TRUE(option.set("TRUE", config).ok());
  EXPECT_TRUE(config.worker_enabled);
  EXPECT_EQ(option.get(config), "true");
  ASSERT_TRUE(option.set("false", config).ok());
  EXPECT_FALSE(config.worker_enabled);
  EXPECT_EQ(option.get(config), "false");
  EXPECT_EQ(option.set("yes", config).message(),
            "invalid boolean \"yes\" (use true or false)");
}

TEST(EnumOptionTest, StoresTheValueOfAListedNameOnly) {
  const Option option = EnumOption<LogFormat>(
      "x.format", &Config::log_format,
      {{"logfmt", LogFormat::kLogfmt}, {"json", LogFormat::kJson}}, "Format.");
  EXPECT_EQ(option.kind, OptionKind::kEnum);
  EXPECT_EQ(option.choices, (std::vector<std::string_view>{"logfmt", "json"}));
  Config config;
  ASSERT_TRUE(option.set("json", config).ok());
  EXPECT_EQ(config.log_format, LogFormat::kJson);
  EXPECT_EQ(option.get(config), "json");
  const Status s = option.set("JSON", config);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid value \"JSON\" (use one of logfmt, json)");
  EXPECT_EQ(config.log_format, LogFormat::kJson);
  EXPECT_EQ(option.DefaultText(), "logfmt");
}

TEST(EnumOptionTest, AValueWithNoNameShowsAsEmptyText) {
  const Option option = EnumOption<std::string>("x.level", &Config::log_level,
                                                {{"debug", "debug"}}, "Level.");
  Config config;
  config.log_level = "info";
  EXPECT_EQ(option.get(config), "");
}

}  // namespace
}  // namespace pe
