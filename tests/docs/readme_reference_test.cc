// The README's metrics and configuration references are generated from the
// declarations in the code; these tests fail when they drift apart. Run with
// UPDATE_DOCS=1 to rewrite the README sections from the code.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "exporter/config/load.h"
#include "exporter/metrics/metric_defs.h"

namespace pe {
namespace {

const std::string kReadme = std::string(PE_SOURCE_DIR) + "/README.md";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares the README text between the two markers with want; rewrites it
// when UPDATE_DOCS is set.
void CheckSection(const std::string& name, const std::string& want) {
  const std::string begin = "<!-- " + name + ":begin -->\n";
  const std::string end = "<!-- " + name + ":end -->";
  std::string readme = ReadAll(kReadme);
  const auto b = readme.find(begin);
  const auto e = readme.find(end);
  ASSERT_NE(b, std::string::npos) << "README lacks " << begin;
  ASSERT_NE(e, std::string::npos) << "README lacks " << end;
  const auto start = b + begin.size();
  const std::string got = readme.substr(start, e - start);
  if (got != want && std::getenv("UPDATE_DOCS")) {
    readme.replace(start, e - start, want);
    std::ofstream(kReadme) << readme;
    return;
  }
  EXPECT_EQ(got, want) << "README section '" << name
                       << "' is stale: run the tests with UPDATE_DOCS=1";
}

TEST(ReadmeReferenceTest, MetricsReferenceMatchesTheDeclarations) {
  CheckSection("metrics-reference", metrics::ReferenceMarkdown());
}

TEST(ReadmeReferenceTest, ConfigurationReferenceMatchesTheOptionTable) {
  CheckSection("config-reference", ConfigReferenceMarkdown());
}

}  // namespace
}  // namespace pe
