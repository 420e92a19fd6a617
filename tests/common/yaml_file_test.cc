#include "exporter/common/yaml_file.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <optional>
#include <string>

#include "tests/support/temp_dir.h"

namespace pe {
namespace {

// A reader that keeps the root's "a" value and the line of its key.
struct Kept {
  std::string a;
  std::optional<int> line;
};

YamlReader KeepA(Kept* kept) {
  return [kept](const YAML::Node& root) {
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it->first.Scalar() != "a") continue;
      kept->a = it->second.Scalar();
      kept->line = YamlLine(it->first);
    }
    return Status::Ok();
  };
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ReadYamlTest, HandsTheDocumentToTheReader) {
  Kept kept;
  ASSERT_TRUE(ReadYaml("# c\nb: 1\na: x\n", KeepA(&kept)).ok());
  EXPECT_EQ(kept.a, "x");
  EXPECT_EQ(kept.line, 3);
}

TEST(ReadYamlTest, ASyntaxErrorNamesLineAndColumn) {
  Kept kept;
  const Status status = ReadYaml("a: [1, 2\nb: 3\n", KeepA(&kept));
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("YAML syntax error at line ", 0), 0u)
      << status.message();
  EXPECT_NE(status.message().find(", column "), std::string::npos);
}

TEST(ReadYamlTest, AnExceptionWhileReadingIsAnError) {
  const Status status = ReadYaml("a: [1]\n", [](const YAML::Node& root) {
    (void)root["a"].as<int>();  // a list: yaml-cpp throws BadConversion
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("YAML error: ", 0), 0u) << status.message();
}

TEST(ReadYamlTest, TheReadersErrorComesBackAsItIs) {
  const Status status = ReadYaml("a: 1\n", [](const YAML::Node&) {
    return Status::InvalidArgument("a: no");
  });
  EXPECT_EQ(status.message(), "a: no");
}

TEST(ReadYamlFileTest, ReadsTheFile) {
  testing::TempDir dir;
  Write(dir.File("c.yml"), "a: from file\n");
  Kept kept;
  ASSERT_TRUE(
      ReadYamlFile(dir.File("c.yml"), "config file", KeepA(&kept)).ok());
  EXPECT_EQ(kept.a, "from file");
  EXPECT_EQ(kept.line, 1);
}

TEST(ReadYamlFileTest, EveryErrorStartsWithWhatAndPath) {
  testing::TempDir dir;
  const std::string bad = dir.File("bad.yml");
  Write(bad, "a: 1\n  b: [\n");
  const std::string prefix = "web config file '" + bad + "': ";
  Kept kept;
  const Status syntax = ReadYamlFile(bad, "web config file", KeepA(&kept));
  EXPECT_EQ(syntax.message().rfind(prefix + "YAML syntax error at line 2", 0),
            0u)
      << syntax.message();

  const std::string missing = dir.File("missing.yml");
  EXPECT_EQ(
      ReadYamlFile(missing, "config file", KeepA(&kept)).message(),
      "config file '" + missing + "': cannot read: No such file or directory");
  EXPECT_EQ(
      ReadYamlFile(dir.path().string(), "config file", KeepA(&kept)).message(),
      "config file '" + dir.path().string() + "': cannot read: is a directory");

  Write(dir.File("ok.yml"), "a: 1\n");
  const Status refused =
      ReadYamlFile(dir.File("ok.yml"), "config file", [](const YAML::Node&) {
        return Status::InvalidArgument("unknown key \"a\" at line 1");
      });
  EXPECT_EQ(refused.message(), "config file '" + dir.File("ok.yml") +
                                   "': unknown key \"a\" at line 1");
}

TEST(YamlLineTest, ANodeBuiltByCodeHasNoLine) {
  EXPECT_EQ(YamlLine(YAML::Node("x")), std::nullopt);
  EXPECT_EQ(YamlLine(YAML::Load("\n\nk: v\n")["k"]), 3);
}

}  // namespace
}  // namespace pe
