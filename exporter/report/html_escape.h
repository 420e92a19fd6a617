#ifndef PIPELINE_EXPORTER_REPORT_HTML_ESCAPE_H_
#define PIPELINE_EXPORTER_REPORT_HTML_ESCAPE_H_

#include <string>
#include <string_view>

namespace pe {

// Appends arbitrary bytes as HTML text that is safe both between tags and
// inside a quoted attribute value:
//  - & < > " ' become &amp; &lt; &gt; &quot; &#39;
//  - invalid UTF-8 becomes U+FFFD, one per bad byte;
//  - control characters other than tab, newline and carriage return (C0,
//    DEL and C1) become U+FFFD, so the output never holds a character the
//    HTML parser treats as an error.
// Everything else, including non-ASCII text, passes through unchanged.
void AppendHtmlEscaped(std::string* out, std::string_view raw);

inline std::string HtmlEscape(std::string_view raw) {
  std::string out;
  AppendHtmlEscaped(&out, raw);
  return out;
}

}  // namespace pe

#endif  // PIPELINE_EXPORTER_REPORT_HTML_ESCAPE_H_
