#ifndef PIPELINE_EXPORTER_WORKER_JSON_FIELDS_H_
#define PIPELINE_EXPORTER_WORKER_JSON_FIELDS_H_

#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "exporter/report/report_json.h"

namespace pe {

// A flat JSON object of string and number fields, for the data of the
// events the worker writes:
//   JsonFields().Str("reason", "io").Num("attempt", 2).Build()
//   == {"reason":"io","attempt":2}
// Strings are escaped (AppendJsonString); non-finite numbers become 0.
class JsonFields {
 public:
  JsonFields& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(&text_, value);
    return *this;
  }
  JsonFields& Num(std::string_view key, double value) {
    Key(key);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", std::isfinite(value) ? value : 0);
    text_ += buf;
    return *this;
  }
  std::string Build() const { return text_ + "}"; }

 private:
  void Key(std::string_view key) {
    if (text_.size() > 1) text_ += ",";
    AppendJsonString(&text_, key);
    text_ += ":";
  }
  std::string text_ = "{";
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_WORKER_JSON_FIELDS_H_
