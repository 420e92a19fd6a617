#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_JSON_QUERY_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_JSON_QUERY_H_

#include <optional>
#include <string>

namespace pe::testing {

// Whether text is one well-formed JSON value (SQLite's json_valid).
bool IsValidJson(const std::string& text);

// The value at `path` ("$.runs.created", "$.incidents[0].id") of a JSON
// text, as SQLite's json_extract gives it: a string's text unquoted, a
// number or boolean as SQLite prints it (true is 1), an object or array as
// JSON. nullopt when the text is not JSON or nothing (or null) is there.
std::optional<std::string> JsonAt(const std::string& json,
                                  const std::string& path);

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_JSON_QUERY_H_
