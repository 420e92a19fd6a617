#include "exporter/metrics/sample_writer.h"

#include <charconv>
#include <cmath>

#include "exporter/common/label_value.h"

namespace pe::metrics {

void AppendValue(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out->append(buf, end);
  }
}

void AppendSample(std::string* out, std::string_view name, LabelPairs labels,
                  double value) {
  out->append(name);
  if (labels.size() > 0) {
    out->push_back('{');
    bool first = true;
    for (const auto& [key, val] : labels) {
      if (!first) out->push_back(',');
      first = false;
      out->append(key).append("=\"");
      AppendEscapedLabelValue(out, val);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  AppendValue(out, value);
  out->push_back('\n');
}

}  // namespace pe::metrics
