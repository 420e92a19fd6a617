#ifndef PIPELINE_EXPORTER_TESTS_SUPPORT_EXPOSITION_H_
#define PIPELINE_EXPORTER_TESTS_SUPPORT_EXPOSITION_H_

#include <optional>
#include <string>
#include <string_view>

namespace pe::testing {

// The value of the sample whose name and labels are written exactly as
// given, e.g. Sample(body, "pipeline_runs{project=\"a\",state=\"failed\"}").
std::optional<double> Sample(std::string_view body, std::string_view series);

// How many sample lines start with the given metric name followed by '{' or
// ' '.
int CountSamples(std::string_view body, std::string_view name);

// True if any sample line mentions the text.
bool Mentions(std::string_view body, std::string_view text);

// The body without the lines of the named families (values that vary from
// run to run, such as durations), for golden comparisons.
std::string WithoutFamilies(std::string_view body,
                            std::initializer_list<std::string_view> names);

}  // namespace pe::testing

#endif  // PIPELINE_EXPORTER_TESTS_SUPPORT_EXPOSITION_H_
