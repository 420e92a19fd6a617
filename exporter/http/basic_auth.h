#ifndef PIPELINE_EXPORTER_HTTP_BASIC_AUTH_H_
#define PIPELINE_EXPORTER_HTTP_BASIC_AUTH_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace pe {

inline constexpr std::string_view kBasicAuthRealm = "pipeline_exporter";

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Decodes an Authorization header value "Basic <base64(user:password)>"
// (scheme case-insensitive, RFC 7617). nullopt when malformed.
std::optional<BasicCredentials> ParseBasicAuthorization(
    std::string_view header);

// Checks Authorization headers against bcrypt hashes (libcrypt). A bcrypt
// at cost 10 takes tens of milliseconds, so a header that verified is
// remembered for cache_ttl, keyed by the SHA-256 of the header (the
// password itself is never stored); failures are never cached. An unknown
// user costs a bcrypt too, so timing does not tell which users exist.
// Thread-safe.
class BasicAuthenticator {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Users = std::map<std::string, std::string, std::less<>>;
  static constexpr std::chrono::seconds kDefaultCacheTtl{60};
  static constexpr std::size_t kMaxCacheEntries = 256;

  // users: name -> bcrypt hash (validated by the web config loader).
  explicit BasicAuthenticator(
      Users users, std::chrono::milliseconds cache_ttl = kDefaultCacheTtl,
      Clock clock = std::chrono::steady_clock::now);

  // True when header holds a configured user and that user's password.
  bool Authorize(std::string_view authorization_header);

  // bcrypt verifications done so far (tests and benchmarks).
  std::uint64_t verifications() const;

 private:
  using Digest = std::array<std::uint8_t, 32>;
  bool Verify(const BasicCredentials& credentials);

  const Users users_;
  const std::chrono::milliseconds cache_ttl_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::map<Digest, std::chrono::steady_clock::time_point> verified_;  // mu_
  std::uint64_t verifications_ = 0;                                   // mu_
};

// crypt(3) of password with the settings (and salt) of hash, compared with
// hash in constant time. False for any libcrypt failure.
bool BcryptMatches(std::string_view password, const std::string& hash);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_HTTP_BASIC_AUTH_H_
