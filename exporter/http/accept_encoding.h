#ifndef PIPELINE_EXPORTER_HTTP_ACCEPT_ENCODING_H_
#define PIPELINE_EXPORTER_HTTP_ACCEPT_ENCODING_H_

#include <string_view>

namespace pe {

// Whether an Accept-Encoding header value (RFC 9110 12.5.3) accepts gzip:
// a "gzip" or "x-gzip" coding, or else "*", with a q-value above zero.
// Tokens are case-insensitive; "gzip;q=0" refuses it, and an explicit gzip
// entry overrides "*". An empty or malformed header accepts only identity.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_ACCEPT_ENCODING_H_
