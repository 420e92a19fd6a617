#ifndef PIPELINE_EXPORTER_HTTP_CIVET_TLS_H_
#define PIPELINE_EXPORTER_HTTP_CIVET_TLS_H_

#include <string>
#include <utility>
#include <vector>

#include "exporter/common/status.h"
#include "exporter/common/unique_fd.h"
#include "exporter/http/web_config.h"

namespace pe {

// Whether civetweb's TLS works in this process: mg_init_library
// (MG_FEATURES_TLS) loads OpenSSL at run time (dlopen of "libssl.so" and
// "libcrypto.so") and reports whether every function it needs was found.
// Debian bookworm's civetweb 1.15 asks for SSL_get_peer_certificate, which
// OpenSSL 3 no longer exports: there this is false. Calling it once is
// required before a server with TLS starts: without it a failed load is
// only noticed when the first client connects, and civetweb then calls a
// null function pointer (the crash seen in the first probe).
bool CivetTlsAvailable();

// The civetweb options for tls_server_config. civetweb reads the private
// key and the certificate from one PEM file (ssl_certificate), so the key
// and the certificate chain are copied into an anonymous memory file
// (memfd) named through /proc/self/fd; nothing with the key touches disk.
// Keep the object alive until mg_start2 has returned (civetweb reads the
// files while starting), then drop it.
class CivetTlsOptions {
 public:
  static Result<CivetTlsOptions> Make(const TlsServerConfig& tls);

  // name, value pairs to append to civetweb's option list.
  const std::vector<std::pair<std::string, std::string>>& options() const {
    return options_;
  }

 private:
  UniqueFd pem_;
  std::vector<std::pair<std::string, std::string>> options_;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_CIVET_TLS_H_
