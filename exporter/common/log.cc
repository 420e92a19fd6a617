#include "exporter/common/log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "exporter/common/log_format.h"

namespace pe::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kLogfmt};

// The line is fully formatted by FormatLine; spdlog only serialises writes
// to stderr (the _mt sink holds a mutex and flushes every line). Created on
// first use and deliberately never destroyed, so that logging from other
// static destructors or detached threads at exit stays safe. Not registered
// in spdlog's global registry, so it cannot clash with other loggers.
spdlog::logger& Logger() {
  static spdlog::logger* const logger = [] {
    auto* l = new spdlog::logger(
        "pipeline_exporter", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);  // filtering is done by Enabled()
    return l;
  }();
  return *logger;
}

spdlog::level::level_enum SpdlogLevel(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

}  // namespace

Status Init(std::string_view level, LogFormat format) {
  Result<Level> parsed = ParseLevel(level);
  if (!parsed.ok()) return parsed.status();
  g_level.store(*parsed);
  g_format.store(format);
  return Status::Ok();
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= static_cast<int>(g_level.load());
}

void Write(Level level, std::string_view msg, Fields fields) {
  if (!Enabled(level)) return;
  const std::string line = FormatLine(
      g_format.load(), level, std::chrono::system_clock::now(), msg, fields);
  Logger().log(SpdlogLevel(level), spdlog::string_view_t(line));
}

}  // namespace pe::log
