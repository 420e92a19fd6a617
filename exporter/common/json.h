#ifndef PIPELINE_EXPORTER_COMMON_JSON_H_
#define PIPELINE_EXPORTER_COMMON_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace pe {

// The choices RFC 8259 leaves to a writer of strings. Every output of the
// exporter keeps the bytes it had before there was one writer: reports,
// worker event data and the simulator use the defaults; log lines use
// kLogJsonEscapes (JSON) and kLogfmtEscapes (quoted logfmt values).
struct JsonEscapes {
  // \b and \f as "\b" "\f"; otherwise as "\u0008" "\u000c".
  bool short_b_f = true;
  // Invalid UTF-8 as the escape "\ufffd"; otherwise as U+FFFD's own bytes.
  bool escaped_replacement = false;
};
inline constexpr JsonEscapes kLogJsonEscapes{.short_b_f = false,
                                             .escaped_replacement = true};
inline constexpr JsonEscapes kLogfmtEscapes{.short_b_f = false,
                                            .escaped_replacement = false};

// Appends `raw` escaped for the inside of a JSON string literal, without the
// quotes: `"` and `\` escaped, \n \r \t, other control characters and DEL as
// \u00xx (\b \f as `escapes` says), each byte that is not part of
// well-formed UTF-8 replaced by U+FFFD; other UTF-8 passes through. The
// result is valid UTF-8 and one line.
void AppendJsonEscaped(std::string* out, std::string_view raw,
                       JsonEscapes escapes = {});

// The same between double quotes: a JSON string literal.
void AppendJsonString(std::string* out, std::string_view raw,
                      JsonEscapes escapes = {});

// `raw` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view raw, JsonEscapes escapes = {});

// A flat JSON object built member by member, in call order:
//   JsonObject().Str("reason", "io").Int("attempt", 2).Build()
//   == {"reason":"io","attempt":2}
class JsonObject {
 public:
  JsonObject& Str(std::string_view key, std::string_view value);
  JsonObject& Int(std::string_view key, int64_t value);
  // With decimals < 0 the shortest "%.17g" form, otherwise that many fixed
  // decimals (the same text everywhere); non-finite values as 0.
  JsonObject& Num(std::string_view key, double value, int decimals = -1);
  std::string Build() const { return text_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string text_ = "{";
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_JSON_H_
