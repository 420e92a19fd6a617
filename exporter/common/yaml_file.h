#ifndef PIPELINE_EXPORTER_COMMON_YAML_FILE_H_
#define PIPELINE_EXPORTER_COMMON_YAML_FILE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/common/status.h"

namespace YAML {
class Node;
}  // namespace YAML

// The one loader of the exporter's YAML files (--config.file,
// --web.config-file): yaml-cpp's exceptions end here and come out as
// InvalidArgument values.
namespace pe {

// What reads a parsed document: an error names the key and the problem.
using YamlReader = std::function<Status(const YAML::Node& root)>;

// Parses `text` and hands the document to `read`. Errors:
//   "YAML syntax error at line L, column C: <yaml-cpp's message>"
//   "YAML error: <what>"  (any other yaml-cpp exception, also one thrown
//                          while `read` walks the nodes)
// or what `read` returns.
Status ReadYaml(std::string_view text, const YamlReader& read);

// Reads the (small) file at `path` and does ReadYaml on its content. Every
// error starts with "<what> '<path>': ": "cannot read: <reason>" (a
// directory, a missing or unreadable file) or the errors above.
Status ReadYamlFile(const std::string& path, std::string_view what,
                    const YamlReader& read);

// The 1-based line of a node in its document; none for a node yaml-cpp
// built without a position.
std::optional<int> YamlLine(const YAML::Node& node);

}  // namespace pe

#endif  // PIPELINE_EXPORTER_COMMON_YAML_FILE_H_
