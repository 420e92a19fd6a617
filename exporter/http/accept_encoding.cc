#include "exporter/http/accept_encoding.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "exporter/http/header_tokens.h"

namespace pe {
namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), returned in
// thousandths; nullopt when malformed.
std::optional<int> ParseQValue(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  int value = (s[0] - '0') * 1000;
  if (s.size() == 1) return value;
  if (s[1] != '.' || s.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : s.substr(2)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  if (value > 1000) return std::nullopt;
  return value;
}

struct Coding {
  std::string_view name;
  int q = 1000;  // thousandths
};

// Parses one list element "name *( OWS ; OWS param )"; nullopt if malformed.
std::optional<Coding> ParseCoding(std::string_view element) {
  Coding coding;
  const size_t semi = element.find(';');
  coding.name = TrimOws(element.substr(0, semi));
  if (coding.name.empty()) return std::nullopt;
  std::string_view params =
      semi == std::string_view::npos ? "" : element.substr(semi + 1);
  while (!params.empty()) {
    const size_t next = params.find(';');
    std::string_view param = TrimOws(params.substr(0, next));
    params = next == std::string_view::npos ? "" : params.substr(next + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (!EqualsIgnoreCase(TrimOws(param.substr(0, eq)), "q")) continue;
    std::optional<int> q = ParseQValue(TrimOws(param.substr(eq + 1)));
    if (!q) return std::nullopt;
    coding.q = *q;
  }
  return coding;
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<int> gzip_q;
  std::optional<int> any_q;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos
                          ? ""
                          : accept_encoding.substr(comma + 1);
    std::optional<Coding> coding = ParseCoding(element);
    if (!coding) continue;
    if (EqualsIgnoreCase(coding->name, "gzip") ||
        EqualsIgnoreCase(coding->name, "x-gzip")) {
      gzip_q = gzip_q ? std::max(*gzip_q, coding->q) : coding->q;
    } else if (coding->name == "*") {
      any_q = coding->q;
    }
  }
  if (gzip_q) return *gzip_q > 0;
  return any_q.value_or(0) > 0;
}

}  // namespace pe
