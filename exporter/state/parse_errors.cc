#include "exporter/state/parse_errors.h"

#include "exporter/common/label_value.h"
#include "exporter/common/log.h"

namespace pe {

std::optional<double> ParseErrors::Timestamp(std::string_view field,
                                             std::string_view key,
                                             std::string_view raw) {
  return TimestampKeyedBy(
      field, [key] { return key; }, raw);
}

void ParseErrors::Report(std::string_view field, std::string_view key,
                         std::string_view raw) {
  std::string id;
  id.reserve(field.size() + key.size() + 1);
  id.append(field).append("\x1f").append(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_.count(id)) return;
  if (seen_.size() >= max_remembered_) seen_.clear();
  seen_.insert(std::move(id));
  auto it = totals_.find(field);
  if (it == totals_.end()) {
    it = totals_.emplace(std::string(field), 0.0).first;
    log::Warn("unparsable value in state database, treated as missing",
              {{"field", std::string(field)},
               {"key", SanitizeLabelValue(key, 200)},
               {"value", SanitizeLabelValue(raw, 200)}});
  } else {
    log::Debug("unparsable value in state database, treated as missing",
               {{"field", std::string(field)},
                {"key", SanitizeLabelValue(key, 200)},
                {"value", SanitizeLabelValue(raw, 200)}});
  }
  it->second += 1;
}

}  // namespace pe
