#include "exporter/http/basic_auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace pe {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// bcrypt of "s3cret" at cost 4 (fast tests) and cost 10 (the usual).
constexpr const char* kAliceHash =
    "$2b$04$3C8AuH1JsFJeco6nh6C7z.Qu.AWHBunCBQLZKjAum7hcaOEC3fECy";
constexpr const char* kCost10Hash =
    "$2y$10$xYFWiitD3J75PUxzDat1mOTnHhUcMHG1aoPJxcnFBhIrvJOSto/OW";

// "Basic " + base64(text).
std::string Basic(const std::string& text) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  for (std::size_t i = 0; i < text.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

TEST(BasicHelperTest, MatchesRfc7617Example) {
  EXPECT_EQ(Basic("Aladdin:open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

struct ParseCase {
  const char* name;
  std::string header;
  bool ok;
  std::string user;
  std::string password;
};

class ParseBasicAuthorizationTest : public ::testing::TestWithParam<ParseCase> {
};

TEST_P(ParseBasicAuthorizationTest, DecodesOrRejects) {
  const ParseCase& c = GetParam();
  std::optional<BasicCredentials> credentials =
      ParseBasicAuthorization(c.header);
  ASSERT_EQ(credentials.has_value(), c.ok);
  if (!c.ok) return;
  EXPECT_EQ(credentials->user, c.user);
  EXPECT_EQ(credentials->password, c.password);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseBasicAuthorizationTest,
    ::testing::Values(
        ParseCase{"Rfc7617Example", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", true,
                  "Aladdin", "open sesame"},
        ParseCase{"SchemeIsCaseInsensitive", "bAsIc " + Basic("a:b").substr(6),
                  true, "a", "b"},
        ParseCase{"PasswordMayContainColons", Basic("a:b:c"), true, "a", "b:c"},
        ParseCase{"EmptyPassword", Basic("a:"), true, "a", ""},
        ParseCase{"Utf8", Basic("j\xc3\xb6rg:p\xc3\xa4ss"), true, "j\xc3\xb6rg",
                  "p\xc3\xa4ss"},
        ParseCase{"NoColon", Basic("alice"), false},
        ParseCase{"OtherScheme", "Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false},
        ParseCase{"SchemeOnly", "Basic", false},
        ParseCase{"SchemeWithoutSpace",
                  "BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==", false},
        ParseCase{"NotBase64", "Basic !!!!", false},
        ParseCase{"BadLength", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=", false},
        ParseCase{"Empty", "", false}),
    [](const ::testing::TestParamInfo<ParseCase>& info) {
      return info.param.name;
    });

struct AuthCase {
  const char* name;
  std::string header;
  bool authorized;
};

class BasicAuthenticatorTest : public ::testing::TestWithParam<AuthCase> {};

TEST_P(BasicAuthenticatorTest, AuthorizesOnlyTheRightPassword) {
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}});
  EXPECT_EQ(auth.Authorize(GetParam().header), GetParam().authorized);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BasicAuthenticatorTest,
    ::testing::Values(AuthCase{"Valid", Basic("alice:s3cret"), true},
                      AuthCase{"WrongPassword", Basic("alice:s3cret!"), false},
                      AuthCase{"EmptyPassword", Basic("alice:"), false},
                      AuthCase{"UnknownUser", Basic("bob:s3cret"), false},
                      AuthCase{"UserCaseMatters", Basic("Alice:s3cret"), false},
                      AuthCase{"MalformedHeader", "Basic alice:s3cret", false},
                      AuthCase{"NulInPassword",
                               Basic(std::string("alice:s3cret\0x", 14)),
                               false},
                      AuthCase{"NoHeader", "", false}),
    [](const ::testing::TestParamInfo<AuthCase>& info) {
      return info.param.name;
    });

TEST(BcryptMatchesTest, ChecksEveryPrefixAndRejectsGarbageHashes) {
  EXPECT_TRUE(BcryptMatches("s3cret", kAliceHash));
  EXPECT_TRUE(BcryptMatches("s3cret", kCost10Hash));
  EXPECT_FALSE(BcryptMatches("s3cret", "not a hash"));
  EXPECT_FALSE(BcryptMatches("s3cret", ""));
}

class FakeClock {
 public:
  steady_clock::time_point Now() const { return now_; }
  void Advance(milliseconds d) { now_ += d; }

 private:
  steady_clock::time_point now_{};
};

TEST(BasicAuthenticatorCacheTest, RepeatedSuccessCostsOneBcryptUntilExpiry) {
  FakeClock clock;
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}},
                          milliseconds(1000), [&clock] { return clock.Now(); });
  const std::string header = Basic("alice:s3cret");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(auth.Authorize(header));
  EXPECT_EQ(auth.verifications(), 1u);
  clock.Advance(milliseconds(1001));
  EXPECT_TRUE(auth.Authorize(header));
  EXPECT_EQ(auth.verifications(), 2u);
}

TEST(BasicAuthenticatorCacheTest, FailuresAreNeverCached) {
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}});
  const std::string wrong = Basic("alice:guess");
  EXPECT_FALSE(auth.Authorize(wrong));
  EXPECT_FALSE(auth.Authorize(wrong));
  EXPECT_EQ(auth.verifications(), 2u);
}

TEST(BasicAuthenticatorCacheTest, CachedSuccessDoesNotAdmitOtherPasswords) {
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}});
  ASSERT_TRUE(auth.Authorize(Basic("alice:s3cret")));
  EXPECT_FALSE(auth.Authorize(Basic("alice:s3cre")));
  EXPECT_FALSE(auth.Authorize(Basic("alice:s3cret ")));
}

TEST(BasicAuthenticatorCacheTest, StaysBoundedWithManyDistinctHeaders) {
  FakeClock clock;
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}},
                          milliseconds(60000),
                          [&clock] { return clock.Now(); });
  // Scheme case and padding spaces make distinct headers, all valid.
  const std::string token = Basic("alice:s3cret").substr(6);
  for (std::size_t i = 0; i <= BasicAuthenticator::kMaxCacheEntries; ++i) {
    ASSERT_TRUE(auth.Authorize("Basic " + token + std::string(i, ' ')));
  }
  EXPECT_TRUE(auth.Authorize("Basic " + token));  // still works after reset
}

TEST(BasicAuthenticatorCacheTest, IsSafeFromManyThreads) {
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kAliceHash}});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!auth.Authorize(Basic("alice:s3cret"))) ++failures;
        if (auth.Authorize(Basic("alice:nope"))) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// Not an assertion on speed (machines differ): records what the cache
// saves, for docs/benchmarks.md.
TEST(BasicAuthenticatorCostTest, ReportsBcryptAndCachedCost) {
  BasicAuthenticator auth(BasicAuthenticator::Users{{"alice", kCost10Hash}});
  const std::string header = Basic("alice:s3cret");
  const auto t0 = steady_clock::now();
  ASSERT_TRUE(auth.Authorize(header));
  const auto t1 = steady_clock::now();
  constexpr int kCached = 10000;
  for (int i = 0; i < kCached; ++i) ASSERT_TRUE(auth.Authorize(header));
  const auto t2 = steady_clock::now();
  const double bcrypt_ms =
      std::chrono::duration<double, std::milli>(t1 - t0).count();
  const double cached_us =
      std::chrono::duration<double, std::micro>(t2 - t1).count() / kCached;
  RecordProperty("bcrypt_cost10_ms", std::to_string(bcrypt_ms));
  RecordProperty("cached_us", std::to_string(cached_us));
  std::printf("bcrypt cost 10: %.1f ms; cached check: %.2f us\n", bcrypt_ms,
              cached_us);
  EXPECT_EQ(auth.verifications(), 1u);
}

}  // namespace
}  // namespace pe
