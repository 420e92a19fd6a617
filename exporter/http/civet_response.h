#ifndef PIPELINE_EXPORTER_HTTP_CIVET_RESPONSE_H_
#define PIPELINE_EXPORTER_HTTP_CIVET_RESPONSE_H_

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "exporter/http/web_routes.h"

struct mg_connection;

namespace pe {

// The status line and header block of a response, ending in the blank line.
// Always carries Content-Type, Content-Length, Date and Connection.
std::string FormatResponseHead(const WebResponse& response,
                               std::string_view reason,
                               std::size_t content_length, bool keep_alive,
                               std::time_t now);

// civetweb 1.15 has one timeout, request_timeout_ms, for two things: the
// whole request line and headers must arrive within it once a worker thread
// takes the connection, and each write gives up after it without progress.
// A connection stalled in its headers holds a worker thread that long, so it
// is short (issue #23, docs/design.md "HTTP server").
inline constexpr int kHeaderTimeoutMs = 2000;
// WriteAll goes on after civetweb's write timeout until a client has taken
// nothing for this long: a slow scraper still gets a body of several MB.
inline constexpr int kWriteStallTimeoutMs = 10000;

// Writes all of data, continuing after partial writes and after civetweb's
// write timeout (kHeaderTimeoutMs) until the client has taken nothing for
// kWriteStallTimeoutMs. False when the client went away, stalled that long,
// or the server is stopping.
bool WriteAll(mg_connection* conn, std::string_view data);

// Sends response on a civetweb connection: the head, then (unless
// head_only) the body. Keeps the connection open when civetweb will: the
// client asked for keep-alive and sent no request body. False when the
// client went away before everything was written.
bool SendResponse(mg_connection* conn, const WebResponse& response,
                  bool head_only);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_CIVET_RESPONSE_H_
