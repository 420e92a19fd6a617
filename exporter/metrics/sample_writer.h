#ifndef PIPELINE_EXPORTER_METRICS_SAMPLE_WRITER_H_
#define PIPELINE_EXPORTER_METRICS_SAMPLE_WRITER_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace pe::metrics {

using LabelPairs =
    std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Appends one sample line in the text exposition format, label values
// escaped: name{k="v",...} value\n
void AppendSample(std::string* out, std::string_view name, LabelPairs labels,
                  double value);

// Shortest round-trip text of a double ("1", "0.5", "1733393472.345", "NaN").
void AppendValue(std::string* out, double value);

}  // namespace pe::metrics

#endif  // PIPELINE_EXPORTER_METRICS_SAMPLE_WRITER_H_
