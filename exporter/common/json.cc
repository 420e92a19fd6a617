#include "exporter/common/json.h"

#include <cmath>
#include <cstdio>

#include "exporter/common/utf8.h"

namespace pe {

void AppendJsonEscaped(std::string* out, std::string_view raw,
                       JsonEscapes escapes) {
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x80) {
      const std::size_t length = Utf8SequenceLength(raw, i);
      if (length == 0) {
        out->append(escapes.escaped_replacement ? std::string_view("\\ufffd")
                                                : kReplacement);
        ++i;
      } else {
        out->append(raw.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out->append("\\\"");
        continue;
      case '\\':
        out->append("\\\\");
        continue;
      case '\n':
        out->append("\\n");
        continue;
      case '\r':
        out->append("\\r");
        continue;
      case '\t':
        out->append("\\t");
        continue;
      case '\b':
        if (escapes.short_b_f) {
          out->append("\\b");
          continue;
        }
        break;
      case '\f':
        if (escapes.short_b_f) {
          out->append("\\f");
          continue;
        }
        break;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

void AppendJsonString(std::string* out, std::string_view raw,
                      JsonEscapes escapes) {
  out->push_back('"');
  AppendJsonEscaped(out, raw, escapes);
  out->push_back('"');
}

std::string JsonQuote(std::string_view raw, JsonEscapes escapes) {
  std::string out;
  out.reserve(raw.size() + 2);
  AppendJsonString(&out, raw, escapes);
  return out;
}

void JsonObject::Key(std::string_view key) {
  if (text_.size() > 1) text_.push_back(',');
  AppendJsonString(&text_, key);
  text_.push_back(':');
}

JsonObject& JsonObject::Str(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(&text_, value);
  return *this;
}

JsonObject& JsonObject::Int(std::string_view key, int64_t value) {
  Key(key);
  text_.append(std::to_string(value));
  return *this;
}

JsonObject& JsonObject::Num(std::string_view key, double value, int decimals) {
  Key(key);
  if (!std::isfinite(value)) value = 0;
  char buf[352];  // fixed decimals of DBL_MAX fit
  if (decimals < 0) {
    std::snprintf(buf, sizeof buf, "%.17g", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  }
  text_.append(buf);
  return *this;
}

}  // namespace pe
