#ifndef PIPELINE_EXPORTER_TOOLS_SIM_JSON_TEXT_H_
#define PIPELINE_EXPORTER_TOOLS_SIM_JSON_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace pe::sim {

// `text` as a JSON string literal, quotes included. UTF-8 passes through;
// control characters, quotes and backslashes are escaped.
std::string JsonQuote(std::string_view text);

// Builds a flat JSON object: JsonObject().Str("a", "x").Int("n", 1).Build()
// gives {"a":"x","n":1}.
class JsonObject {
 public:
  JsonObject& Str(std::string_view key, std::string_view value);
  JsonObject& Int(std::string_view key, int64_t value);
  // Fixed three decimals, so output is identical everywhere.
  JsonObject& Num(std::string_view key, double value);
  std::string Build() const { return text_ + "}"; }

 private:
  JsonObject& Key(std::string_view key);
  std::string text_ = "{";
};

}  // namespace pe::sim

#endif  // PIPELINE_EXPORTER_TOOLS_SIM_JSON_TEXT_H_
