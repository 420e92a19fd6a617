#include "exporter/report/html_escape.h"

#include "exporter/common/utf8.h"

namespace pe {
namespace {

// U+0080..U+009F encode as C2 80..C2 9F.
bool IsC1Control(std::string_view s, std::size_t i, std::size_t len) {
  return len == 2 && static_cast<unsigned char>(s[i]) == 0xC2 &&
         static_cast<unsigned char>(s[i + 1]) <= 0x9F;
}

}  // namespace

void AppendHtmlEscaped(std::string* out, std::string_view raw) {
  out->reserve(out->size() + raw.size() + raw.size() / 8);
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t len = Utf8SequenceLength(raw, i);
    if (len == 0 || IsC1Control(raw, i, len)) {
      out->append(kReplacement);
      i += len == 0 ? 1 : len;
      continue;
    }
    if (len > 1) {
      out->append(raw.substr(i, len));
      i += len;
      continue;
    }
    const char c = raw[i++];
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      case '\t':
      case '\n':
      case '\r':
        out->push_back(c);
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          out->append(kReplacement);
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace pe
