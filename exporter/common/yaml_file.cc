#include "exporter/common/yaml_file.h"

#include <yaml-cpp/yaml.h>

#include "exporter/common/read_file.h"

namespace pe {

Status ReadYaml(std::string_view text, const YamlReader& read) {
  try {
    return read(YAML::Load(std::string(text)));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(
        "YAML syntax error at line " + std::to_string(e.mark.line + 1) +
        ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("YAML error: ") + e.what());
  }
}

Status ReadYamlFile(const std::string& path, std::string_view what,
                    const YamlReader& read) {
  Result<std::string> contents = ReadConfigFile(path, what);
  if (!contents.ok()) return contents.status();
  return ReadYaml(*contents, read)
      .WithContext(std::string(what) + " '" + path + "'");
}

std::optional<int> YamlLine(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return std::nullopt;
  return mark.line + 1;
}

}  // namespace pe
