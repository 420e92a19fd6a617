#ifndef PIPELINE_EXPORTER_HTTP_HEADER_TOKENS_H_
#define PIPELINE_EXPORTER_HTTP_HEADER_TOKENS_H_

#include <string_view>

namespace pe {

// The pieces of HTTP header parsing (RFC 9110 5.6) the server needs:

// s without leading and trailing optional whitespace (spaces, tabs).
std::string_view TrimOws(std::string_view s);
// ASCII case-insensitive equality (header names, tokens).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether a comma-separated list (e.g. Connection, Transfer-Encoding) holds
// token, compared case-insensitively.
bool HeaderHasToken(std::string_view list, std::string_view token);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_HEADER_TOKENS_H_
