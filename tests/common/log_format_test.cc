#include "exporter/common/log_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>

namespace pe::log {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// 2026-11-23T10:11:12.345Z
std::chrono::system_clock::time_point FixedTime() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 10h +
         11min + 12s + 345ms;
}

std::string Logfmt(std::string_view msg, Fields fields = {},
                   Level level = Level::kInfo) {
  return FormatLine(LogFormat::kLogfmt, level, FixedTime(), msg, fields);
}

std::string Json(std::string_view msg, Fields fields = {},
                 Level level = Level::kInfo) {
  return FormatLine(LogFormat::kJson, level, FixedTime(), msg, fields);
}

TEST(LogFormatTest, TimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(FixedTime()), "2026-11-23T10:11:12.345Z");
  EXPECT_EQ(FormatTimestamp(std::chrono::system_clock::time_point{}),
            "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(std::chrono::system_clock::time_point{} - 1ms),
            "1969-12-31T23:59:59.999Z");
}

TEST(LogFormatTest, LevelNamesRoundTrip) {
  for (Level level :
       {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    Result<Level> parsed = ParseLevel(LevelName(level));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_EQ(LevelName(Level::kWarn), "warn");
}

TEST(LogFormatTest, UnknownLevelNamesTheKey) {
  Result<Level> parsed = ParseLevel("verbose");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("log.level"));
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"verbose\""));
}

TEST(LogFormatTest, LogfmtLineHasTsLevelMsgThenFieldsInOrder) {
  EXPECT_EQ(Logfmt("poll failed", {{"db", "/x"}, {"err", "disk I/O error"}},
                   Level::kWarn),
            "ts=2026-11-23T10:11:12.345Z level=warn msg=\"poll failed\" "
            "db=/x err=\"disk I/O error\"");
}

TEST(LogFormatTest, LogfmtLeavesPlainValuesUnquoted) {
  EXPECT_EQ(Logfmt("started", {{"path", "C:\\dir"}, {"name", "héllo"}}),
            "ts=2026-11-23T10:11:12.345Z level=info msg=started "
            "path=C:\\dir name=héllo");
}

struct EscapeCase {
  const char* name;
  std::string value;
  std::string logfmt;  // the rendered value in logfmt
  std::string json;    // the rendered value in JSON
};

void PrintTo(const EscapeCase& c, std::ostream* os) { *os << c.name; }

class LogEscapeTest : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(LogEscapeTest, LogfmtValue) {
  const EscapeCase& c = GetParam();
  EXPECT_EQ(Logfmt("m", {{"v", c.value}}),
            "ts=2026-11-23T10:11:12.345Z level=info msg=m v=" + c.logfmt);
}

TEST_P(LogEscapeTest, JsonValue) {
  const EscapeCase& c = GetParam();
  EXPECT_EQ(Json("m", {{"v", c.value}}),
            "{\"ts\":\"2026-11-23T10:11:12.345Z\",\"level\":\"info\","
            "\"msg\":\"m\",\"v\":" +
                c.json + "}");
}

INSTANTIATE_TEST_SUITE_P(
    Log, LogEscapeTest,
    ::testing::Values(
        EscapeCase{"Empty", "", R"("")", R"("")"},
        EscapeCase{"Space", "a b", R"("a b")", R"("a b")"},
        EscapeCase{"Equals", "a=b", R"("a=b")", R"("a=b")"},
        EscapeCase{"Quote", R"(say "hi")", R"("say \"hi\"")",
                   R"("say \"hi\"")"},
        EscapeCase{"BackslashInQuoted", "a \\ b", R"("a \\ b")", R"("a \\ b")"},
        EscapeCase{"Newline", "line1\nline2", R"("line1\nline2")",
                   R"("line1\nline2")"},
        EscapeCase{"CarriageReturnTab", "a\rb\tc", R"("a\rb\tc")",
                   R"("a\rb\tc")"},
        EscapeCase{"ControlChars", std::string("\x01\x1f\x7f", 3),
                   R"("\u0001\u001f\u007f")", R"("\u0001\u001f\u007f")"},
        EscapeCase{"Nul", std::string("a\0b", 3), R"("a\u0000b")",
                   R"("a\u0000b")"},
        EscapeCase{"ForgedField", "x\" level=error msg=\"pwned",
                   R"("x\" level=error msg=\"pwned")",
                   R"("x\" level=error msg=\"pwned")"},
        EscapeCase{"ForgedJson", R"(","level":"error)",
                   R"("\",\"level\":\"error")", R"("\",\"level\":\"error")"},
        EscapeCase{"Html", "<b>&</b>", "<b>&</b>", R"("<b>&</b>")"},
        EscapeCase{"Utf8", "日本 ✓", "\"日本 ✓\"", "\"日本 ✓\""},
        EscapeCase{"InvalidUtf8",
                   "a\xff"
                   "b",
                   "\"a\xEF\xBF\xBD"
                   "b\"",
                   R"("a\ufffdb")"},
        EscapeCase{"TruncatedUtf8", "\xE6\x97", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"",
                   R"("\ufffd\ufffd")"},
        EscapeCase{"Surrogate", "\xED\xA0\x80",
                   "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"",
                   R"("\ufffd\ufffd\ufffd")"}),
    [](const ::testing::TestParamInfo<EscapeCase>& info) {
      return std::string(info.param.name);
    });

TEST(LogFormatTest, LogfmtKeysCannotBreakTheSyntax) {
  EXPECT_EQ(Logfmt("m", {{"bad key=\"", "1"}, {"", "2"}}),
            "ts=2026-11-23T10:11:12.345Z level=info msg=m bad_key__=1 _=2");
}

TEST(LogFormatTest, JsonLineIsOneObjectWithEscapedKeysAndMessage) {
  EXPECT_EQ(
      Json("poll \"failed\"\n", {{"db", "/x"}, {"k\"ey", "v"}}, Level::kError),
      R"({"ts":"2026-11-23T10:11:12.345Z","level":"error",)"
      R"("msg":"poll \"failed\"\n","db":"/x","k\"ey":"v"})");
}

TEST(LogFormatTest, LineNeverContainsARawNewline) {
  const std::string hostile = "a\nb\r\nc";
  EXPECT_EQ(Logfmt(hostile, {{"k", hostile}}).find('\n'), std::string::npos);
  EXPECT_EQ(Json(hostile, {{"k", hostile}}).find('\n'), std::string::npos);
}

TEST(LogFormatTest, TimestampDropsSubMillisecondDigitsInsteadOfRounding) {
  // 12.3459s is still .345: a line is never stamped later than its event.
  EXPECT_EQ(FormatTimestamp(FixedTime() + 900us), "2026-11-23T10:11:12.345Z");
  EXPECT_EQ(FormatTimestamp(FixedTime() + 655ms), "2026-11-23T10:11:13.000Z");
}

TEST(LogFormatTest, ParseLevelAcceptsOnlyTheExactNames) {
  for (const char* name : {"INFO", "Info", " info", "warning", ""}) {
    Result<Level> parsed = ParseLevel(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << name;
  }
  EXPECT_EQ(ParseLevel("warning").status().message(),
            "log.level: unknown level \"warning\" (use debug, info, warn or "
            "error)");
}

TEST(LogFormatTest, FieldsMayRepeatAKeyAndKeepTheirOrder) {
  EXPECT_EQ(Logfmt("m", {{"b", "2"}, {"a", "1"}, {"b", "3"}}),
            "ts=2026-11-23T10:11:12.345Z level=info msg=m b=2 a=1 b=3");
  EXPECT_EQ(Json("m", {{"b", "2"}, {"a", "1"}}),
            R"({"ts":"2026-11-23T10:11:12.345Z","level":"info",)"
            R"("msg":"m","b":"2","a":"1"})");
}

TEST(LogFormatTest, LogfmtKeysWithNonAsciiBytesAreReplaced) {
  // Values may hold UTF-8, keys may not: each byte >= 0x7F becomes '_'.
  EXPECT_EQ(Logfmt("m", {{"h\xC3\xA9", "1"}}),
            "ts=2026-11-23T10:11:12.345Z level=info msg=m h__=1");
}

}  // namespace
}  // namespace pe::log
