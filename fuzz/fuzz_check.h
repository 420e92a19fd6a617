#ifndef PIPELINE_EXPORTER_FUZZ_FUZZ_CHECK_H_
#define PIPELINE_EXPORTER_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace pe::fuzz {

// Prints a printable rendering of text (C escapes for other bytes).
inline std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    }
  }
  return out;
}

// A property that must hold; a violation aborts, which libFuzzer reports as
// a crash and saves the input.
inline void Check(bool ok, const char* property, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  detail: %s\n", property,
               Printable(detail).c_str());
  std::abort();
}

// Independent strict UTF-8 check (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), written apart from exporter/common/utf8.cc so
// that the two can disagree.
inline bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    std::size_t n;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      cp = b & 0x1F;
      n = 2;
    } else if ((b & 0xF0) == 0xE0) {
      cp = b & 0x0F;
      n = 3;
    } else if ((b & 0xF8) == 0xF0) {
      cp = b & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

}  // namespace pe::fuzz

#endif  // PIPELINE_EXPORTER_FUZZ_FUZZ_CHECK_H_
