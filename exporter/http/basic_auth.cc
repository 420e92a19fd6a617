#include "exporter/http/basic_auth.h"

#include <crypt.h>
#include <strings.h>

#include <memory>
#include <utility>

#include "exporter/common/sha256.h"

namespace pe {
namespace {

// A valid cost-10 hash of a random password: unknown users are checked
// against it so that they take as long as known ones.
constexpr const char* kDummyHash =
    "$2b$10$1JAV7PSMjgqTjk8GJE2C6O9Kp8qTN1S2rUUEE/rSb35Wti1yzObTS";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int nbits = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int v = Base64Value(text[i]);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((bits >> nbits) & 0xFF));
    }
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace

std::optional<BasicCredentials> ParseBasicAuthorization(
    std::string_view header) {
  constexpr std::string_view kScheme = "basic";
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) {
    header.remove_prefix(1);
  }
  if (header.size() <= kScheme.size() ||
      strncasecmp(header.data(), kScheme.data(), kScheme.size()) != 0 ||
      header[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
    token.remove_suffix(1);
  }
  std::optional<std::string> decoded = DecodeBase64(token);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon),
                          decoded->substr(colon + 1)};
}

bool BcryptMatches(std::string_view password, const std::string& hash) {
  // A NUL would end the password early in crypt(3): never a match.
  if (password.find('\0') != std::string_view::npos) return false;
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const std::string phrase(password);
  const char* result = crypt_rn(phrase.c_str(), hash.c_str(), data.get(),
                                static_cast<int>(sizeof(crypt_data)));
  // crypt_rn returns NULL on failure (never the "*0" failure token).
  if (result == nullptr) return false;
  return ConstantTimeEquals(result, hash);
}

BasicAuthenticator::BasicAuthenticator(Users users,
                                       std::chrono::milliseconds cache_ttl,
                                       Clock clock)
    : users_(std::move(users)),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)) {}

bool BasicAuthenticator::Authorize(std::string_view authorization_header) {
  std::optional<BasicCredentials> credentials =
      ParseBasicAuthorization(authorization_header);
  if (!credentials) return false;
  Sha256 sha;
  sha.Update(authorization_header);
  const Digest key = sha.Finish();
  const auto now = clock_();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = verified_.find(key);
    if (it != verified_.end()) {
      if (now < it->second) return true;
      verified_.erase(it);
    }
  }
  // The bcrypt runs outside the lock: other scrapes are not held up.
  if (!Verify(*credentials)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (verified_.size() >= kMaxCacheEntries) {
    for (auto it = verified_.begin(); it != verified_.end();) {
      it = it->second <= now ? verified_.erase(it) : std::next(it);
    }
    if (verified_.size() >= kMaxCacheEntries) verified_.clear();
  }
  verified_[key] = now + cache_ttl_;
  return true;
}

bool BasicAuthenticator::Verify(const BasicCredentials& credentials) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++verifications_;
  }
  auto it = users_.find(credentials.user);
  if (it == users_.end()) {
    BcryptMatches(credentials.password, kDummyHash);  // same cost, no answer
    return false;
  }
  return BcryptMatches(credentials.password, it->second);
}

std::uint64_t BasicAuthenticator::verifications() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verifications_;
}

}  // namespace pe
