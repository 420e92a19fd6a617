#ifndef PIPELINE_EXPORTER_HTTP_WEB_CONFIG_H_
#define PIPELINE_EXPORTER_HTTP_WEB_CONFIG_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace pe {

// How clients must present certificates (exporter-toolkit's
// client_auth_type, the values civetweb can enforce).
enum class ClientAuth {
  kNone,           // NoClientCert
  kVerifyIfGiven,  // VerifyClientCertIfGiven
  kRequireVerify,  // RequireAndVerifyClientCert
};

// Oldest TLS version accepted (min_version).
enum class TlsVersion { kTls12, kTls13 };

// tls_server_config. Paths are absolute (resolved against the web config
// file's directory) and were readable when the file was loaded.
struct TlsServerConfig {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM private key
  TlsVersion min_version = TlsVersion::kTls12;
  ClientAuth client_auth = ClientAuth::kNone;
  std::string client_ca_file;  // required unless client_auth is kNone
};

// The web configuration file (--web.config-file), in the format of the
// Prometheus exporter-toolkit:
//
//   tls_server_config:
//     cert_file: server.crt     # relative to this file's directory
//     key_file: server.key
//     min_version: TLS12        # TLS12 (default) or TLS13
//     client_auth_type: NoClientCert  # or VerifyClientCertIfGiven,
//                                     #    RequireAndVerifyClientCert
//     client_ca_file: ca.crt    # required when client certs are verified
//   basic_auth_users:
//     alice: $2y$10$...         # bcrypt hashes only, never plain text
//
// Toolkit keys this exporter cannot honour (cipher_suites, max_version,
// curve_preferences, prefer_server_cipher_suites, client_allowed_sans,
// http_server_config) are rejected by name rather than ignored.
struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string, std::less<>> basic_auth_users;

  bool auth_enabled() const { return !basic_auth_users.empty(); }
};

// Parses YAML text; relative paths are resolved against base_dir and must
// name readable files. Errors are InvalidArgument naming the key, e.g.
//   "tls_server_config.cert_fil: unknown key"
//   "basic_auth_users.alice: not a bcrypt hash ($2a$, $2b$ or $2y$) ..."
Result<WebConfig> ParseWebConfig(std::string_view yaml,
                                 const std::filesystem::path& base_dir);

// Reads and parses the file at path; errors are prefixed with
// "web config file '<path>'". An empty path is an empty WebConfig (no TLS,
// no authentication).
Result<WebConfig> LoadWebConfigFile(const std::string& path);

// Whether hash is a bcrypt hash libcrypt accepts ("$2b$10$" + 53 chars).
bool IsBcryptHash(std::string_view hash);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_WEB_CONFIG_H_
