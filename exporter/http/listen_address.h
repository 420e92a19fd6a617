#ifndef PIPELINE_EXPORTER_HTTP_LISTEN_ADDRESS_H_
#define PIPELINE_EXPORTER_HTTP_LISTEN_ADDRESS_H_

#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// Translates a listen address into civetweb's `listening_ports` value:
//   ":9879"          -> "9879"             (all IPv4 interfaces)
//   "0.0.0.0:9879"   -> "0.0.0.0:9879"
//   "127.0.0.1:0"    -> "127.0.0.1:0"      (port 0: the kernel picks one)
//   "localhost:9879" -> "127.0.0.1:9879"
//   "[::1]:9879"     -> "[::1]:9879"       (only when ipv6_supported)
// Host names other than localhost, missing or out-of-range ports and
// anything civetweb would read as extra options are InvalidArgument.
Result<std::string> CivetListeningPorts(std::string_view address,
                                        bool ipv6_supported);

// An IPv4 address at which this machine reaches a server listening on
// address: "127.0.0.1" for ":port", "0.0.0.0:port" and "localhost:port",
// the host itself for other IPv4 literals, "" when there is none.
std::string LocalConnectHost(std::string_view address);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_LISTEN_ADDRESS_H_
