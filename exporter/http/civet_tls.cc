#include "exporter/http/civet_tls.h"

#include <civetweb.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pe {
namespace {

// ECDHE key exchange with AEAD ciphers for TLS 1.2 (TLS 1.3 suites are
// OpenSSL's defaults, all AEAD).
constexpr const char* kCipherList = "ECDHE+AESGCM:ECDHE+CHACHA20";

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IoError("read '" + path + "': " + std::strerror(errno));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::IoError("read '" + path + "': I/O error");
  return contents.str();
}

// civetweb's ssl_protocol_version: 4 refuses everything below TLS 1.2,
// 5 everything below TLS 1.3.
const char* ProtocolVersion(TlsVersion version) {
  return version == TlsVersion::kTls13 ? "5" : "4";
}

const char* VerifyPeer(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNone:
      return "no";
    case ClientAuth::kVerifyIfGiven:
      return "optional";
    case ClientAuth::kRequireVerify:
      return "yes";
  }
  return "no";
}

}  // namespace

bool CivetTlsAvailable() {
  static const bool available =
      (mg_init_library(MG_FEATURES_TLS) & MG_FEATURES_TLS) != 0;
  return available;
}

Result<CivetTlsOptions> CivetTlsOptions::Make(const TlsServerConfig& tls) {
  Result<std::string> key = ReadFile(tls.key_file);
  if (!key.ok()) return key.status().WithContext("tls key_file");
  Result<std::string> cert = ReadFile(tls.cert_file);
  if (!cert.ok()) return cert.status().WithContext("tls cert_file");

  CivetTlsOptions result;
  result.pem_ = UniqueFd(memfd_create("pipeline_exporter_tls", MFD_CLOEXEC));
  if (result.pem_.get() < 0) {
    return Status::IoError(std::string("memfd_create: ") +
                           std::strerror(errno));
  }
  // The certificate first: civetweb also reads this file as the chain
  // (ssl_certificate_chain), whose first certificate must be the server's.
  const std::string pem = *cert + "\n" + *key;
  std::string_view rest = pem;
  while (!rest.empty()) {
    const ssize_t n = write(result.pem_.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::IoError(std::string("write TLS memfd: ") +
                             std::strerror(errno));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  const std::string path = "/proc/self/fd/" + std::to_string(result.pem_.get());
  auto& options = result.options_;
  options.emplace_back("ssl_certificate", path);
  options.emplace_back("ssl_certificate_chain", path);
  options.emplace_back("ssl_protocol_version",
                       ProtocolVersion(tls.min_version));
  options.emplace_back("ssl_cipher_list", kCipherList);
  options.emplace_back("ssl_verify_peer", VerifyPeer(tls.client_auth));
  // Client certificates are checked against client_ca_file only, never
  // against the system's public CAs.
  options.emplace_back("ssl_default_verify_paths", "no");
  if (!tls.client_ca_file.empty()) {
    options.emplace_back("ssl_ca_file", tls.client_ca_file);
  }
  return result;
}

}  // namespace pe
