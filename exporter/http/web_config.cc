#include "exporter/http/web_config.h"

#include <crypt.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "exporter/common/yaml_file.h"

namespace pe {
namespace {

namespace fs = std::filesystem;

// exporter-toolkit keys that civetweb cannot honour: rejected by name so a
// file written for another exporter never silently loses a setting.
const std::set<std::string, std::less<>> kUnsupportedTlsKeys = {
    "cipher_suites", "curve_preferences", "max_version",
    "prefer_server_cipher_suites", "client_allowed_sans"};

std::string AtLine(const YAML::Node& node) {
  const std::optional<int> line = YamlLine(node);
  return line ? " (line " + std::to_string(*line) + ")" : "";
}

Status KeyError(std::string_view key, const std::string& problem,
                const YAML::Node& node) {
  return Status::InvalidArgument(std::string(key) + ": " + problem +
                                 AtLine(node));
}

// A scalar value; "" with an error for maps, lists and nulls.
Result<std::string> ScalarOf(std::string_view key, const YAML::Node& value,
                             const YAML::Node& key_node) {
  if (!value.IsScalar()) return KeyError(key, "expected a value", key_node);
  return value.Scalar();
}

// Resolves a path against base_dir and checks that it is a readable file.
Result<std::string> ReadablePath(std::string_view key, const std::string& path,
                                 const fs::path& base_dir,
                                 const YAML::Node& key_node) {
  if (path.empty()) return KeyError(key, "must not be empty", key_node);
  fs::path resolved(path);
  if (resolved.is_relative()) resolved = base_dir / resolved;
  resolved = resolved.lexically_normal();
  std::error_code ec;
  if (fs::is_directory(resolved, ec)) {
    return KeyError(key, "'" + resolved.string() + "' is a directory",
                    key_node);
  }
  if (access(resolved.c_str(), R_OK) != 0) {
    return KeyError(
        key, "cannot read '" + resolved.string() + "': " + std::strerror(errno),
        key_node);
  }
  return resolved.string();
}

Result<TlsVersion> ParseTlsVersion(std::string_view key,
                                   const std::string& text,
                                   const YAML::Node& key_node) {
  if (text == "TLS12") return TlsVersion::kTls12;
  if (text == "TLS13") return TlsVersion::kTls13;
  return KeyError(key,
                  "unsupported version \"" + text + "\" (use TLS12 or TLS13)",
                  key_node);
}

Result<ClientAuth> ParseClientAuth(std::string_view key,
                                   const std::string& text,
                                   const YAML::Node& key_node) {
  if (text == "NoClientCert") return ClientAuth::kNone;
  if (text == "VerifyClientCertIfGiven") return ClientAuth::kVerifyIfGiven;
  if (text == "RequireAndVerifyClientCert") return ClientAuth::kRequireVerify;
  return KeyError(key,
                  "unsupported value \"" + text +
                      "\" (use NoClientCert, VerifyClientCertIfGiven or "
                      "RequireAndVerifyClientCert)",
                  key_node);
}

Result<TlsServerConfig> ParseTls(const YAML::Node& map,
                                 const fs::path& base_dir) {
  TlsServerConfig tls;
  bool have_cert = false;
  bool have_key = false;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const std::string name = key_node.Scalar();
    const std::string key = "tls_server_config." + name;
    if (kUnsupportedTlsKeys.count(name) != 0) {
      return KeyError(key, "not supported by this exporter", key_node);
    }
    Result<std::string> value = ScalarOf(key, it->second, key_node);
    if (!value.ok()) return value.status();
    if (name == "cert_file" || name == "key_file" || name == "client_ca_file") {
      Result<std::string> path = ReadablePath(key, *value, base_dir, key_node);
      if (!path.ok()) return path.status();
      if (name == "cert_file") {
        tls.cert_file = *path;
        have_cert = true;
      } else if (name == "key_file") {
        tls.key_file = *path;
        have_key = true;
      } else {
        tls.client_ca_file = *path;
      }
    } else if (name == "min_version") {
      Result<TlsVersion> version = ParseTlsVersion(key, *value, key_node);
      if (!version.ok()) return version.status();
      tls.min_version = *version;
    } else if (name == "client_auth_type") {
      Result<ClientAuth> auth = ParseClientAuth(key, *value, key_node);
      if (!auth.ok()) return auth.status();
      tls.client_auth = *auth;
    } else {
      return KeyError(key, "unknown key", key_node);
    }
  }
  if (!have_cert) {
    return Status::InvalidArgument("tls_server_config.cert_file: missing");
  }
  if (!have_key) {
    return Status::InvalidArgument("tls_server_config.key_file: missing");
  }
  if (tls.client_auth != ClientAuth::kNone && tls.client_ca_file.empty()) {
    return Status::InvalidArgument(
        "tls_server_config.client_ca_file: missing (needed to verify client "
        "certificates)");
  }
  return tls;
}

Status ParseUsers(const YAML::Node& map, WebConfig* config) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const std::string user = key_node.Scalar();
    const std::string key = "basic_auth_users." + user;
    if (user.empty() || user.find(':') != std::string::npos) {
      return KeyError(key, "a user name must be non-empty and without ':'",
                      key_node);
    }
    Result<std::string> hash = ScalarOf(key, it->second, key_node);
    if (!hash.ok()) return hash.status();
    if (!IsBcryptHash(*hash)) {
      return KeyError(key,
                      "password must be a bcrypt hash ($2a$, $2b$ or $2y$, "
                      "e.g. from `htpasswd -nBC 10 \"\" | tr -d ':\\n'`), "
                      "never plain text",
                      key_node);
    }
    config->basic_auth_users.emplace(user, *hash);
  }
  return Status::Ok();
}

Status ParseRoot(const YAML::Node& root, const fs::path& base_dir,
                 WebConfig* config) {
  if (root.IsNull()) return Status::Ok();  // empty file: no TLS, no auth
  if (!root.IsMap()) {
    return Status::InvalidArgument("the top level must be a map of keys");
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    if (!key_node.IsScalar()) {
      return Status::InvalidArgument("keys must be plain names" +
                                     AtLine(key_node));
    }
    const std::string key = key_node.Scalar();
    if (key == "http_server_config") {
      return KeyError(key, "not supported by this exporter", key_node);
    }
    if (key != "tls_server_config" && key != "basic_auth_users") {
      return KeyError(key, "unknown key", key_node);
    }
    if (value.IsNull()) continue;
    if (!value.IsMap()) return KeyError(key, "expected a map", key_node);
    if (key == "tls_server_config") {
      Result<TlsServerConfig> tls = ParseTls(value, base_dir);
      if (!tls.ok()) return tls.status();
      config->tls = std::move(*tls);
    } else if (Status s = ParseUsers(value, config); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

bool IsBcryptBase64(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '/';
}

}  // namespace

bool IsBcryptHash(std::string_view hash) {
  // "$2b$" cost(2 digits) "$" salt(22) checksum(31): 60 characters.
  if (hash.size() != 60) return false;
  const std::string_view prefix = hash.substr(0, 4);
  if (prefix != "$2a$" && prefix != "$2b$" && prefix != "$2y$") return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9' ||
      hash[6] != '$') {
    return false;
  }
  for (char c : hash.substr(7)) {
    if (!IsBcryptBase64(c)) return false;
  }
  // libcrypt's own judgement: cost in range, method enabled.
  const std::string setting(hash);
  const int verdict = crypt_checksalt(setting.c_str());
  return verdict == CRYPT_SALT_OK || verdict == CRYPT_SALT_METHOD_LEGACY;
}

Result<WebConfig> ParseWebConfig(std::string_view yaml,
                                 const std::filesystem::path& base_dir) {
  WebConfig config;
  Status status = ReadYaml(yaml, [&](const YAML::Node& root) {
    return ParseRoot(root, base_dir, &config);
  });
  if (!status.ok()) return status;
  return config;
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  if (path.empty()) return WebConfig{};
  std::error_code ec;
  fs::path base_dir = fs::absolute(fs::path(path), ec).parent_path();
  if (ec) base_dir = fs::path(path).parent_path();
  WebConfig config;
  Status status =
      ReadYamlFile(path, "web config file", [&](const YAML::Node& root) {
        return ParseRoot(root, base_dir, &config);
      });
  if (!status.ok()) return status;
  return config;
}

}  // namespace pe
