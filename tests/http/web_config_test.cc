#include "exporter/http/web_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace pe {
namespace {

// Real bcrypt hashes of "s3cret" with each accepted prefix.
constexpr const char* kHash2b =
    "$2b$04$3C8AuH1JsFJeco6nh6C7z.Qu.AWHBunCBQLZKjAum7hcaOEC3fECy";
constexpr const char* kHash2a =
    "$2a$04$qPnx9vRv5G8ezp/Ql/5j5uMN0PEkWWzmJnWn7Pc2hBcCrzI0xQF/e";
constexpr const char* kHash2y =
    "$2y$10$xYFWiitD3J75PUxzDat1mOTnHhUcMHG1aoPJxcnFBhIrvJOSto/OW";

class WebConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Write("server.crt", "cert");
    Write("server.key", "key");
    Write("ca.crt", "ca");
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.File(name)) << text;
    return dir_.File(name);
  }
  Result<WebConfig> Parse(const std::string& yaml) {
    return ParseWebConfig(yaml, dir_.path());
  }
  testing::TempDir dir_;
};

TEST_F(WebConfigTest, EmptyFileMeansNoTlsAndNoAuth) {
  for (const char* yaml : {"", "# nothing\n", "basic_auth_users:\n"}) {
    Result<WebConfig> config = Parse(yaml);
    ASSERT_TRUE(config.ok()) << yaml << ": " << config.status().message();
    EXPECT_FALSE(config->tls.has_value());
    EXPECT_FALSE(config->auth_enabled());
  }
}

TEST_F(WebConfigTest, EmptyPathLoadsAnEmptyConfig) {
  Result<WebConfig> config = LoadWebConfigFile("");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->tls.has_value());
  EXPECT_FALSE(config->auth_enabled());
}

TEST_F(WebConfigTest, ReadsUsersWithEveryBcryptPrefix) {
  Result<WebConfig> config =
      Parse(std::string("basic_auth_users:\n") + "  a: '" + kHash2a + "'\n" +
            "  b: '" + kHash2b + "'\n" + "  y: '" + kHash2y + "'\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->auth_enabled());
  EXPECT_EQ(config->basic_auth_users.at("a"), kHash2a);
  EXPECT_EQ(config->basic_auth_users.at("b"), kHash2b);
  EXPECT_EQ(config->basic_auth_users.at("y"), kHash2y);
}

TEST_F(WebConfigTest, ResolvesRelativePathsAgainstTheFilesDirectory) {
  Result<WebConfig> config = Parse(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: ./sub/../server.key\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_TRUE(config->tls.has_value());
  EXPECT_EQ(config->tls->cert_file, dir_.File("server.crt"));
  EXPECT_EQ(config->tls->key_file, dir_.File("server.key"));
  EXPECT_EQ(config->tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(config->tls->client_auth, ClientAuth::kNone);
}

TEST_F(WebConfigTest, LoadFileResolvesPathsNextToTheFile) {
  const std::string path =
      Write("web.yml",
            "tls_server_config: {cert_file: server.crt, key_file: server.key}");
  Result<WebConfig> config = LoadWebConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->tls->cert_file, dir_.File("server.crt"));
}

TEST_F(WebConfigTest, KeepsAbsolutePaths) {
  Result<WebConfig> config =
      Parse("tls_server_config:\n  cert_file: " + dir_.File("server.crt") +
            "\n  key_file: " + dir_.File("server.key") + "\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->tls->cert_file, dir_.File("server.crt"));
}

TEST_F(WebConfigTest, ReadsMinVersionAndClientAuth) {
  Result<WebConfig> config = Parse(
      "tls_server_config:\n"
      "  cert_file: server.crt\n"
      "  key_file: server.key\n"
      "  min_version: TLS13\n"
      "  client_auth_type: RequireAndVerifyClientCert\n"
      "  client_ca_file: ca.crt\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->tls->min_version, TlsVersion::kTls13);
  EXPECT_EQ(config->tls->client_auth, ClientAuth::kRequireVerify);
  EXPECT_EQ(config->tls->client_ca_file, dir_.File("ca.crt"));
}

struct BadConfig {
  const char* name;
  std::string yaml;
  std::string error;  // the message must contain this
};

class WebConfigErrorTest : public WebConfigTest,
                           public ::testing::WithParamInterface<BadConfig> {};

TEST_P(WebConfigErrorTest, IsRejectedNamingTheKey) {
  Result<WebConfig> config = Parse(GetParam().yaml);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(GetParam().error), std::string::npos)
      << config.status().message();
}

const std::string kTls =
    "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

INSTANTIATE_TEST_SUITE_P(
    Table, WebConfigErrorTest,
    ::testing::Values(
        BadConfig{"PlainTextPassword", "basic_auth_users:\n  alice: s3cret\n",
                  "basic_auth_users.alice: password must be a bcrypt hash"},
        BadConfig{"Md5CryptHash",
                  "basic_auth_users:\n  bob: '$1$abcdefgh$"
                  "0123456789012345678901'\n",
                  "basic_auth_users.bob: password must be a bcrypt hash"},
        BadConfig{"TruncatedBcrypt",
                  "basic_auth_users:\n  carol: '$2y$10$short'\n",
                  "basic_auth_users.carol:"},
        BadConfig{"CostOutOfRange",
                  std::string("basic_auth_users:\n  dave: '$2b$99$") +
                      (kHash2b + 7) + "'\n",
                  "basic_auth_users.dave:"},
        BadConfig{
            "UserWithColon",
            std::string("basic_auth_users:\n  'a:b': '") + kHash2b + "'\n",
            "basic_auth_users.a:b: a user name"},
        BadConfig{"UnknownTopLevelKey", "basic_auth_user:\n  a: b\n",
                  "basic_auth_user: unknown key"},
        BadConfig{"UnknownTlsKey", kTls + "  cert_fil: x\n",
                  "tls_server_config.cert_fil: unknown key"},
        BadConfig{"UnsupportedToolkitKey", kTls + "  cipher_suites: [x]\n",
                  "tls_server_config.cipher_suites: not supported"},
        BadConfig{"HttpServerConfig", "http_server_config:\n  http2: false\n",
                  "http_server_config: not supported"},
        BadConfig{"MissingCert", "tls_server_config:\n  key_file: server.key\n",
                  "tls_server_config.cert_file: missing"},
        BadConfig{"MissingKey", "tls_server_config:\n  cert_file: server.crt\n",
                  "tls_server_config.key_file: missing"},
        BadConfig{"UnreadableCert",
                  "tls_server_config:\n  cert_file: absent.crt\n"
                  "  key_file: server.key\n",
                  "tls_server_config.cert_file: cannot read"},
        BadConfig{"OldTlsVersion", kTls + "  min_version: TLS10\n",
                  "tls_server_config.min_version: unsupported version"},
        BadConfig{"UnverifiedClientCerts",
                  kTls + "  client_auth_type: RequireAnyClientCert\n",
                  "tls_server_config.client_auth_type: unsupported value"},
        BadConfig{"VerificationWithoutCa",
                  kTls + "  client_auth_type: VerifyClientCertIfGiven\n",
                  "tls_server_config.client_ca_file: missing"},
        BadConfig{"UsersNotAMap", "basic_auth_users: [alice]\n",
                  "basic_auth_users: expected a map"},
        BadConfig{"SyntaxError", "basic_auth_users: {alice: [\n",
                  "YAML syntax error"}),
    [](const ::testing::TestParamInfo<BadConfig>& info) {
      return info.param.name;
    });

TEST_F(WebConfigTest, FileErrorsNameTheFile) {
  const std::string path = Write("web.yml", "basic_auth_users:\n  a: plain\n");
  Result<WebConfig> config = LoadWebConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("web config file '" + path, 0), 0u)
      << config.status().message();
  Result<WebConfig> missing = LoadWebConfigFile(dir_.File("absent.yml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.yml"), std::string::npos);
}

TEST(IsBcryptHashTest, AcceptsOnlyWellFormedBcrypt) {
  EXPECT_TRUE(IsBcryptHash(kHash2b));
  EXPECT_TRUE(IsBcryptHash(kHash2y));
  EXPECT_FALSE(IsBcryptHash(""));
  EXPECT_FALSE(IsBcryptHash("s3cret"));
  EXPECT_FALSE(IsBcryptHash(std::string(kHash2b).substr(0, 59)));
  EXPECT_FALSE(IsBcryptHash(std::string(kHash2b) + "x"));
  std::string bad_char = kHash2b;
  bad_char[20] = '!';
  EXPECT_FALSE(IsBcryptHash(bad_char));
  std::string other_method = kHash2b;
  other_method[2] = 'x';
  EXPECT_FALSE(IsBcryptHash(other_method));
}

}  // namespace
}  // namespace pe
