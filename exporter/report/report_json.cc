#include "exporter/report/report_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "exporter/common/json.h"
#include "exporter/report/report_format.h"

namespace pe {
namespace {

// Writes one pretty-printed object member per call; nesting by Open/Close.
// Keeps track of commas and indentation so the renderer reads as the schema.
class JsonWriter {
 public:
  std::string Take() && {
    out_.push_back('\n');
    return std::move(out_);
  }

  void OpenObject(std::string_view key = {}) { Open(key, '{'); }
  void CloseObject() { Close('}'); }
  void OpenArray(std::string_view key = {}) { Open(key, '['); }
  void CloseArray() { Close(']'); }

  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(&out_, value);
  }
  void NullableString(std::string_view key,
                      const std::optional<std::string>& value) {
    if (!value) return Null(key);
    String(key, *value);
  }
  void Integer(std::string_view key, int64_t value) {
    Key(key);
    out_.append(std::to_string(value));
  }
  void NullableInteger(std::string_view key,
                       const std::optional<uint64_t>& value) {
    Key(key);
    out_.append(value ? std::to_string(*value) : "null");
  }
  void Number(std::string_view key, const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return Null(key);
    Key(key);
    char buf[32];
    const auto result = std::to_chars(buf, buf + sizeof buf, *value);
    out_.append(buf, result.ptr);
  }
  void Time(std::string_view key, const std::optional<int64_t>& value) {
    if (!value) return Null(key);
    String(key, FormatRfc3339(*value));
  }
  void Null(std::string_view key) {
    Key(key);
    out_.append("null");
  }

 private:
  // Comma and newline before a member, its indentation and its key (if any).
  void Key(std::string_view key) {
    if (!first_.empty()) {
      if (!first_.back()) out_.push_back(',');
      first_.back() = false;
      out_.push_back('\n');
      out_.append(2 * first_.size(), ' ');
    }
    if (!key.empty()) {
      AppendJsonString(&out_, key);
      out_.append(": ");
    }
  }
  void Open(std::string_view key, char bracket) {
    Key(key);
    out_.push_back(bracket);
    first_.push_back(true);
  }
  void Close(char bracket) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) {
      out_.push_back('\n');
      out_.append(2 * first_.size(), ' ');
    }
    out_.push_back(bracket);
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: no member written yet
};

}  // namespace

std::string RenderReportJson(const RunReport& r) {
  JsonWriter w;
  w.OpenObject();
  w.Integer("schema_version", 1);
  w.String("run_id", r.run_id);
  w.String("project", r.project);
  w.String("phase", r.phase);
  w.NullableString("workstream", r.workstream);
  w.String("status", r.status);
  w.Time("created_at", r.created);
  w.Time("started_at", r.started);
  w.Time("ended_at", r.ended);
  w.Number("duration_seconds", r.duration_seconds);

  w.OpenObject("steps");
  w.Integer("total", r.steps_total);
  w.Integer("completed", r.steps_completed);
  w.Integer("failed", r.steps_failed);
  w.Integer("skipped", r.steps_skipped);
  w.CloseObject();

  w.OpenArray("failed_steps");
  for (const FailedStepReport& step : r.failed_steps) {
    w.OpenObject();
    w.String("step_id", step.step_id);
    w.String("name", step.name);
    w.Integer("attempt", step.attempt);
    w.Time("started_at", step.started);
    w.Time("ended_at", step.ended);
    w.NullableString("error_message", step.error_message);
    w.CloseObject();
  }
  w.CloseArray();

  w.OpenObject("events");
  w.Integer("total", r.events_total);
  w.Integer("errors", r.events_errors);
  w.CloseObject();

  w.OpenObject("archive");
  w.NullableString("path", r.archive.path);
  w.NullableInteger("size_bytes", r.archive.size_bytes);
  w.NullableString("sha256", r.archive.sha256);
  w.String("integrity", r.archive.integrity);
  w.CloseObject();

  w.Time("generated_at", r.generated_at);
  w.CloseObject();
  return std::move(w).Take();
}

}  // namespace pe
