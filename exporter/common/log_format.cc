#include "exporter/common/log_format.h"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "exporter/common/json.h"
#include "exporter/common/utf8.h"

namespace pe::log {
namespace {

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7F) return true;
    if (c >= 0x80) {
      const std::size_t length = Utf8SequenceLength(value, i);
      if (length == 0) return true;
      i += length - 1;
    }
  }
  return false;
}

void AppendLogfmtKey(std::string_view key, std::string* out) {
  if (key.empty()) {
    out->push_back('_');
    return;
  }
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    const bool bad = c <= ' ' || c == '=' || c == '"' || c >= 0x7F;
    out->push_back(bad ? '_' : ch);
  }
}

void AppendLogfmtPair(std::string_view key, std::string_view value,
                      std::string* out) {
  if (!out->empty()) out->push_back(' ');
  AppendLogfmtKey(key, out);
  out->push_back('=');
  if (NeedsQuotes(value)) {
    AppendJsonString(out, value, kLogfmtEscapes);
  } else {
    out->append(value);
  }
}

// Appends "key":"value" to an object opened with '{'.
void AppendJsonMember(std::string_view key, std::string_view value,
                      std::string* out) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(out, key, kLogJsonEscapes);
  out->push_back(':');
  AppendJsonString(out, value, kLogJsonEscapes);
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "error";
}

Result<Level> ParseLevel(std::string_view name) {
  for (Level level :
       {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(level)) return level;
  }
  return Status::InvalidArgument("log.level: unknown level \"" +
                                 std::string(name) +
                                 "\" (use debug, info, warn or error)");
}

std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  const auto millis =
      std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(millis);
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // fits any int fields
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec,
                static_cast<int>((millis - seconds).count()));
  return buf;
}

std::string FormatLine(LogFormat format, Level level,
                       std::chrono::system_clock::time_point time,
                       std::string_view msg, Fields fields) {
  std::string out;
  out.reserve(64 + msg.size());
  const std::string ts = FormatTimestamp(time);
  if (format == LogFormat::kJson) {
    out.push_back('{');
    AppendJsonMember("ts", ts, &out);
    AppendJsonMember("level", LevelName(level), &out);
    AppendJsonMember("msg", msg, &out);
    for (const auto& [key, value] : fields) AppendJsonMember(key, value, &out);
    out.push_back('}');
    return out;
  }
  AppendLogfmtPair("ts", ts, &out);
  AppendLogfmtPair("level", LevelName(level), &out);
  AppendLogfmtPair("msg", msg, &out);
  for (const auto& [key, value] : fields) AppendLogfmtPair(key, value, &out);
  return out;
}

}  // namespace pe::log
