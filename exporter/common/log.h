#ifndef PIPELINE_EXPORTER_COMMON_LOG_H_
#define PIPELINE_EXPORTER_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "exporter/common/status.h"

namespace pe {

// How log lines are written (log.format: "logfmt" or "json").
enum class LogFormat { kLogfmt, kJson };

}  // namespace pe

// Structured logging to stderr in logfmt or JSON, through spdlog:
//   ts=2026-11-23T10:11:12.345Z level=info msg="poll failed" db=x err="..."
//   {"ts":"...","level":"info","msg":"poll failed","db":"x","err":"..."}
namespace pe::log {

enum class Level { kDebug, kInfo, kWarn, kError };
using Fields = std::initializer_list<std::pair<std::string_view, std::string>>;

// Sets level ("debug", "info", "warn", "error") and format. Safe to call
// again (reload). Before Init, logging is at info level in logfmt.
Status Init(std::string_view level, LogFormat format);

bool Enabled(Level level);
void Write(Level level, std::string_view msg, Fields fields = {});

inline void Debug(std::string_view msg, Fields fields = {}) {
  Write(Level::kDebug, msg, fields);
}
inline void Info(std::string_view msg, Fields fields = {}) {
  Write(Level::kInfo, msg, fields);
}
inline void Warn(std::string_view msg, Fields fields = {}) {
  Write(Level::kWarn, msg, fields);
}
inline void Error(std::string_view msg, Fields fields = {}) {
  Write(Level::kError, msg, fields);
}

}  // namespace pe::log

#endif  // PIPELINE_EXPORTER_COMMON_LOG_H_
