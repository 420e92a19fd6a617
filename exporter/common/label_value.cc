#include "exporter/common/label_value.h"

#include <cstdint>

#include "exporter/common/utf8.h"

namespace pe {
namespace {

// Printable ASCII without a space: what Clean leaves as it is.
bool IsPlainAscii(std::string_view raw) {
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
  }
  return true;
}

// Valid UTF-8, controls as spaces, white space collapsed and trimmed.
std::string Clean(std::string_view raw) {
  // Ids and names mostly are plain ASCII: copied in one go (the exposition
  // of a start-up cleans four values of every tracked run).
  if (IsPlainAscii(raw)) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t len = Utf8SequenceLength(raw, i);
    const auto c = static_cast<uint8_t>(raw[i]);
    if (len == 1 && (c <= 0x20 || c == 0x7F)) {
      pending_space = true;
      ++i;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    if (len == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(raw.substr(i, len));
      i += len;
    }
  }
  return out;
}

// Cuts valid UTF-8 to at most max_bytes on a code-point boundary.
std::string Truncate(std::string s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  constexpr std::string_view kEllipsis = "...";
  if (max_bytes <= kEllipsis.size()) return s.substr(0, 0);
  std::size_t cut = max_bytes - kEllipsis.size();
  while (cut > 0 && (static_cast<uint8_t>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  s.append(kEllipsis);
  return s;
}

// Blank: nothing Clean keeps (every byte is white space or a control
// character), so a line of NULs or form feeds is never the one picked.
bool IsBlank(std::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7F) return false;
  }
  return true;
}

std::string_view PickLine(std::string_view raw) {
  std::string_view first, last;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view line = raw.substr(start, end - start);
    if (!IsBlank(line)) {
      if (first.empty()) first = line;
      last = line;
    }
    start = end + 1;
  }
  const bool traceback = first.rfind("Traceback", 0) == 0;
  return traceback ? last : first;
}

}  // namespace

std::string SanitizeReason(std::string_view raw, std::size_t max_bytes) {
  return Truncate(Clean(PickLine(raw)), max_bytes);
}

std::string SanitizeLabelValue(std::string_view raw, std::size_t max_bytes) {
  return Truncate(Clean(raw), max_bytes);
}

void AppendEscapedLabelValue(std::string* out, std::string_view value) {
  // Most values (ids, names) need no escape: one append.
  std::size_t plain = 0;
  while (plain < value.size() && value[plain] != '\\' && value[plain] != '"' &&
         value[plain] != '\n') {
    ++plain;
  }
  out->append(value.substr(0, plain));
  for (char c : value.substr(plain)) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

}  // namespace pe
