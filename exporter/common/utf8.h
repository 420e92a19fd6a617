#ifndef PIPELINE_EXPORTER_COMMON_UTF8_H_
#define PIPELINE_EXPORTER_COMMON_UTF8_H_

#include <cstddef>
#include <string_view>

namespace pe {

// U+FFFD, what invalid UTF-8 is replaced with.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 if
// the bytes there are not one (overlong, surrogate, > U+10FFFF, truncated).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_UTF8_H_
