#ifndef PIPELINE_EXPORTER_COMMON_LOG_FORMAT_H_
#define PIPELINE_EXPORTER_COMMON_LOG_FORMAT_H_

#include <chrono>
#include <string>
#include <string_view>

#include "exporter/common/log.h"
#include "exporter/common/status.h"

// Internal to the logger: how one log line is rendered. Pure functions, so
// the exact bytes can be tested.
namespace pe::log {

// "debug", "info", "warn", "error".
std::string_view LevelName(Level level);

// Inverse of LevelName. The error names the key "log.level".
Result<Level> ParseLevel(std::string_view name);

// RFC 3339 UTC with milliseconds: "2026-11-23T10:11:12.345Z".
std::string FormatTimestamp(std::chrono::system_clock::time_point time);

// One line without the trailing newline: ts, level, msg, then the fields in
// order.
//   logfmt: ts=... level=info msg="poll failed" db=/x err="a \"b\""
//     Values are quoted when empty or when they hold a space, control
//     character, '=' or '"'; inside quotes \ " newline CR tab are escaped
//     as \\ \" \n \r \t and other control characters as \u00XX. Key
//     characters that would break the syntax are replaced by '_'.
//   json: {"ts":"...","level":"info","msg":"poll failed","db":"/x"}
//     Strings escaped per RFC 8259, control characters as \u00XX.
// In both, bytes that are not valid UTF-8 become U+FFFD, so a line is
// always valid UTF-8 and one physical line.
std::string FormatLine(LogFormat format, Level level,
                       std::chrono::system_clock::time_point time,
                       std::string_view msg, Fields fields);

}  // namespace pe::log

#endif  // PIPELINE_EXPORTER_COMMON_LOG_FORMAT_H_
