#include "exporter/app/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "exporter/common/build_info.h"
#include "tests/support/temp_dir.h"

namespace pe {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// What Main printed and returned. Only command lines that end before the
// daemon would start are run here (the daemon is the integration tests').
struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

Outcome RunMain(std::vector<std::string> args) {
  args.insert(args.begin(), "pipeline_exporter");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  Outcome outcome;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  outcome.status = Main(static_cast<int>(args.size()), argv.data());
  outcome.err = ::testing::internal::GetCapturedStderr();
  outcome.out = ::testing::internal::GetCapturedStdout();
  return outcome;
}

TEST(CliTest, VersionPrintsTheVersionOnStdoutAndExitsZero) {
  const Outcome o = RunMain({"--version"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, std::string("pipeline_exporter, version ") + kVersion +
                       " (revision: " + kRevision + ")\n");
  EXPECT_EQ(o.err, "");
}

TEST(CliTest, HelpPrintsTheUsageOnStdoutAndExitsZero) {
  for (const char* flag : {"--help", "-h"}) {
    const Outcome o = RunMain({"--state.db=x.db", flag});
    EXPECT_EQ(o.status, 0) << flag;
    EXPECT_THAT(o.out, StartsWith("usage: pipeline_exporter [flags]\n"));
    EXPECT_EQ(o.err, "") << flag;
  }
}

TEST(CliTest, AConfigurationErrorExitsTwoNamingTheKeyOnStderr) {
  const Outcome o = RunMain({"--state.poll-interval=ten"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, StartsWith("pipeline_exporter: error: "
                                "state.poll-interval: "));
  EXPECT_THAT(o.err, ::testing::EndsWith("\n"));
  EXPECT_EQ(o.out, "");
}

TEST(CliTest, CheckConfigReportsAValidConfigurationAndExitsZero) {
  // The database need not exist: only the configuration is checked.
  const Outcome o =
      RunMain({"--state.db=/nonexistent/state.db", "--check-config"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "pipeline_exporter: the configuration is valid\n");
  EXPECT_EQ(o.err, "");
}

TEST(CliTest, CheckConfigMayStandAnywhereAndIsNotTakenForAConfigKey) {
  const Outcome o = RunMain({"--check-config", "--web.threads=2"});
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "pipeline_exporter: the configuration is valid\n");
}

TEST(CliTest, CheckConfigRejectsAnInvalidFlag) {
  const Outcome o = RunMain({"--check-config", "--web.threads=0"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("web.threads"));
  EXPECT_EQ(o.out, "");
}

TEST(CliTest, CheckConfigAlsoLoadsTheWebConfigFile) {
  testing::TempDir dir;
  const std::string good = dir.File("web-good.yml");
  std::ofstream(good) << "";  // no TLS, no authentication
  const Outcome ok = RunMain({"--check-config", "--web.config-file=" + good});
  EXPECT_EQ(ok.status, 0) << ok.err;

  const std::string bad = dir.File("web-bad.yml");
  std::ofstream(bad) << "basic_auth_user:\n  alice: x\n";
  const Outcome o = RunMain({"--check-config", "--web.config-file=" + bad});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, StartsWith("pipeline_exporter: error: web config file '" +
                                bad + "'"));
  EXPECT_THAT(o.err, HasSubstr("basic_auth_user: unknown key"));
  EXPECT_EQ(o.out, "");

  const Outcome missing = RunMain(
      {"--check-config", "--web.config-file=" + dir.File("absent.yml")});
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("absent.yml"));
}

TEST(CliTest, HelpWinsOverCheckConfig) {
  const Outcome o = RunMain({"--check-config", "--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.out, StartsWith("usage: pipeline_exporter [flags]\n"));
}

}  // namespace
}  // namespace pe
