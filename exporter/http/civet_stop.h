#ifndef PIPELINE_EXPORTER_HTTP_CIVET_STOP_H_
#define PIPELINE_EXPORTER_HTTP_CIVET_STOP_H_

#include <string>

struct mg_context;

namespace pe {

// mg_stop, made prompt. civetweb 1.15's master thread notices the stop flag
// only when poll() on its listening sockets returns, which takes up to 2 s
// without traffic; connecting to our own ports at wake_host (an IPv4
// address, see LocalConnectHost) every few milliseconds until mg_stop
// returns wakes it. With an empty wake_host this is a plain mg_stop.
void StopCivetweb(mg_context* ctx, const std::string& wake_host);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_CIVET_STOP_H_
