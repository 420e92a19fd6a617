// Fuzzes the label value helpers of exporter/common/label_value.h. The first
// two bytes pick max_bytes (0..1023), the rest is the raw database text.
// Checked for SanitizeLabelValue and SanitizeReason:
//  - the output is valid UTF-8 (independent validator), has no ASCII control
//    character or DEL, no newline, and is at most max_bytes long;
//  - sanitizing the output again changes nothing (idempotence);
//  - no leading/trailing space and no double space;
//  - text that is already clean and short enough comes back unchanged;
//  - a cut output ends in "..." and what precedes it is a prefix of the
//    uncut output.
// SanitizeReason's output is one line, and empty only if every line of the
// input is blank. AppendEscapedLabelValue's output has no
// raw newline, every '"' is escaped, and unescaping gives the input back; a
// sanitized value escaped into a sample line parses as one label.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/label_value.h"
#include "fuzz/fuzz_check.h"

namespace {

using pe::fuzz::Check;

bool HasControl(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

// Valid UTF-8, no controls, single inner spaces, no space at the ends: what
// both sanitizers leave alone.
bool IsClean(std::string_view s) {
  if (!pe::fuzz::IsValidUtf8(s) || HasControl(s)) return false;
  if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) return false;
  return s.find("  ") == std::string_view::npos;
}

// The exposition format's unescaping; nullopt on a dangling or unknown escape.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    switch (s[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'n':
        out.push_back('\n');
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

// Scans `{l="..."}` and returns the raw (escaped) value, as a Prometheus
// text parser would: the value ends at the first unescaped quote.
std::optional<std::string_view> ScanLabel(std::string_view line) {
  constexpr std::string_view kOpen = "m{l=\"";
  if (line.substr(0, kOpen.size()) != kOpen) return std::nullopt;
  std::size_t i = kOpen.size();
  while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
  if (i >= line.size()) return std::nullopt;
  if (line.substr(i) != "\"} 1\n") return std::nullopt;
  return line.substr(kOpen.size(), i - kOpen.size());
}

void CheckSanitized(const char* what, std::string_view raw,
                    const std::string& out, std::size_t max_bytes,
                    const std::string& again, const std::string& uncut) {
  const std::string detail = std::string(what) + ": " + std::string(raw) +
                             " -> " + out + " (max " +
                             std::to_string(max_bytes) + ")";
  Check(pe::fuzz::IsValidUtf8(out), "sanitized value is valid UTF-8", detail);
  Check(!HasControl(out), "sanitized value has no control character", detail);
  Check(out.size() <= max_bytes, "sanitized value fits max_bytes", detail);
  Check(IsClean(out), "sanitized value is trimmed, single-spaced", detail);
  Check(again == out, "sanitizing is idempotent", detail + " -> " + again);
  if (IsClean(raw) && raw.size() <= max_bytes) {
    Check(out == raw, "clean short text is unchanged", detail);
  }
  if (out != uncut) {  // cut
    Check(out.size() >= 3 || out.empty(), "cut value is \"...\"-ended or empty",
          detail);
    if (!out.empty()) {
      Check(out.ends_with("..."), "cut value ends in \"...\"", detail);
      const std::string_view kept =
          std::string_view(out).substr(0, out.size() - 3);
      Check(uncut.starts_with(kept), "cut value is a prefix of the uncut one",
            detail);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::size_t max_bytes = (data[0] | (data[1] << 8)) % 1024;
  const std::string_view raw(reinterpret_cast<const char*>(data + 2), size - 2);
  constexpr std::size_t kHuge = static_cast<std::size_t>(-1);

  const std::string label = pe::SanitizeLabelValue(raw, max_bytes);
  CheckSanitized("SanitizeLabelValue", raw, label, max_bytes,
                 pe::SanitizeLabelValue(label, max_bytes),
                 pe::SanitizeLabelValue(raw, kHuge));

  const std::string reason = pe::SanitizeReason(raw, max_bytes);
  CheckSanitized("SanitizeReason", raw, reason, max_bytes,
                 pe::SanitizeReason(reason, max_bytes),
                 pe::SanitizeReason(raw, kHuge));
  Check(reason.find('\n') == std::string::npos, "reason is one line", reason);
  // "reduced to its first (or last) non-empty line": the reason is empty only
  // when every line sanitizes to nothing.
  if (reason.empty() && max_bytes > 3) {
    std::size_t start = 0;
    while (start <= raw.size()) {
      std::size_t end = raw.find('\n', start);
      if (end == std::string_view::npos) end = raw.size();
      const std::string_view line = raw.substr(start, end - start);
      Check(pe::SanitizeLabelValue(line, kHuge).empty(),
            "reason is empty only if every line is blank",
            std::string(raw) + " (line: " + std::string(line) + ")");
      start = end + 1;
    }
  }

  // Escaping any bytes round-trips.
  std::string escaped;
  pe::AppendEscapedLabelValue(&escaped, raw);
  Check(escaped.find('\n') == std::string::npos, "escaped value has no newline",
        escaped);
  const std::optional<std::string> back = Unescape(escaped);
  Check(back.has_value() && *back == raw, "unescaping gives the input back",
        escaped);

  // A sanitized value in a sample line reads back as exactly one label.
  std::string line = "m{l=\"";
  pe::AppendEscapedLabelValue(&line, label);
  line += "\"} 1\n";
  const std::optional<std::string_view> scanned = ScanLabel(line);
  Check(scanned.has_value(), "sample line with the label parses", line);
  const std::optional<std::string> value = Unescape(*scanned);
  Check(value.has_value() && *value == label,
        "label value reads back from the sample line", line);
  return 0;
}
