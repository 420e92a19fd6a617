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

// Writes all of data, continuing after partial writes. False when the
// client went away or the server is stopping.
bool WriteAll(mg_connection* conn, std::string_view data);

// Sends response on a civetweb connection: the head, then (unless
// head_only) the body. Keeps the connection open when civetweb will: the
// client asked for keep-alive and sent no request body. False when the
// client went away before everything was written.
bool SendResponse(mg_connection* conn, const WebResponse& response,
                  bool head_only);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_CIVET_RESPONSE_H_
