#ifndef PIPELINE_EXPORTER_COMMON_LABEL_VALUE_H_
#define PIPELINE_EXPORTER_COMMON_LABEL_VALUE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace pe {

// Turns arbitrary database text (an error message: HTML, quotes, newlines,
// invalid UTF-8, kilobytes) into a short one-line label value:
//  - a Python traceback is reduced to its last non-empty line (the exception),
//    any other text to its first non-empty line;
//  - invalid UTF-8 becomes U+FFFD, control characters become spaces, runs of
//    white space collapse to one space, ends are trimmed;
//  - the result is cut to at most max_bytes on a code-point boundary, ending
//    in "..." when cut.
std::string SanitizeReason(std::string_view raw, std::size_t max_bytes);

// Makes any byte string valid UTF-8 (invalid sequences become U+FFFD) with
// control characters replaced by spaces; for identifiers used as label values.
std::string SanitizeLabelValue(std::string_view raw, std::size_t max_bytes);

// Escapes a label value for the text exposition format: \ " and newline.
void AppendEscapedLabelValue(std::string* out, std::string_view value);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_LABEL_VALUE_H_
