#include "tools/sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <set>

#include "exporter/common/duration.h"
#include "exporter/common/read_file.h"

namespace pe::sim {
namespace {

constexpr std::pair<IncidentKind, const char*> kKindNames[] = {
    {IncidentKind::kFailedRun, "failed_run"},
    {IncidentKind::kPartialRun, "partial_run"},
    {IncidentKind::kStalledRun, "stalled_run"},
    {IncidentKind::kNeverStarted, "never_started"},
    {IncidentKind::kStepFailureBurst, "step_failure_burst"},
    {IncidentKind::kArchivalFailure, "archival_failure"},
    {IncidentKind::kCorruptArchive, "corrupt_archive"},
    {IncidentKind::kDiskFill, "disk_fill"},
    {IncidentKind::kDbUnreadable, "db_unreadable"},
    {IncidentKind::kExporterRestart, "exporter_restart"},
};

// Reads the keys of one YAML map into typed fields, naming the key in every
// error; Finish() rejects keys nobody asked for.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path)
      : node_(node), path_(std::move(path)) {
    if (!node_.IsMap()) status_ = Bad(path_, "expected a map");
  }

  Status status() const { return status_; }
  std::string Key(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  // Each reader leaves `out` as it is when the key is absent.
  MapReader& Text(const std::string& key, std::string& out) {
    return Scalar(key, [&](const YAML::Node& n) -> Status {
      out = n.as<std::string>();
      if (out.empty()) return Bad(Key(key), "expected a non-empty value");
      return Status::Ok();
    });
  }
  MapReader& Duration(const std::string& key, SimDuration& out) {
    return Scalar(key, [&](const YAML::Node& n) -> Status {
      auto d = ParseDuration(n.as<std::string>());
      if (!d.ok()) return Bad(Key(key), d.status().message());
      out = *d;
      return Status::Ok();
    });
  }
  MapReader& Number(const std::string& key, double& out, double min,
                    double max) {
    return Scalar(key, [&](const YAML::Node& n) -> Status {
      double v = 0;
      if (!YAML::convert<double>::decode(n, v) || !(v >= min) || !(v <= max)) {
        return Bad(Key(key), "expected a number in [" + Format(min) + ", " +
                                 Format(max) + "], got '" +
                                 n.as<std::string>() + "'");
      }
      out = v;
      return Status::Ok();
    });
  }
  template <typename T>
  MapReader& Integer(const std::string& key, T& out, int64_t min, int64_t max) {
    return Scalar(key, [&](const YAML::Node& n) -> Status {
      int64_t v = 0;
      if (!YAML::convert<int64_t>::decode(n, v) || v < min || v > max) {
        return Bad(Key(key), "expected an integer in [" + std::to_string(min) +
                                 ", " + std::to_string(max) + "], got '" +
                                 n.as<std::string>() + "'");
      }
      out = static_cast<T>(v);
      return Status::Ok();
    });
  }
  MapReader& Range(const std::string& key, DurationRange& out) {
    return Child(key, [&](const YAML::Node& n, const std::string& path) {
      MapReader r(n, path);
      r.Duration("min", out.min).Duration("max", out.max);
      Status s = r.Finish();
      if (s.ok() && out.min > out.max) s = Bad(path, "min is above max");
      return s;
    });
  }
  MapReader& Child(const std::string& key,
                   const std::function<Status(const YAML::Node&,
                                              const std::string&)>& read) {
    seen_.insert(key);
    if (!status_.ok() || !node_[key]) return *this;
    status_ = read(node_[key], Key(key));
    return *this;
  }
  bool Has(const std::string& key) const { return node_.IsMap() && node_[key]; }

  Status Finish() {
    if (!status_.ok()) return status_;
    for (const auto& item : node_) {
      const std::string key = item.first.as<std::string>();
      if (!seen_.count(key)) return Bad(Key(key), "unknown key");
    }
    return Status::Ok();
  }

  static Status Bad(const std::string& key, const std::string& why) {
    return Status::InvalidArgument((key.empty() ? "scenario" : key) + ": " +
                                   why);
  }

 private:
  static std::string Format(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  MapReader& Scalar(const std::string& key,
                    const std::function<Status(const YAML::Node&)>& read) {
    return Child(key, [&](const YAML::Node& n, const std::string& path) {
      if (!n.IsScalar()) return Bad(path, "expected a single value");
      return read(n);
    });
  }

  const YAML::Node node_;
  const std::string path_;
  std::set<std::string> seen_;
  Status status_;
};

Status RequirePositive(const MapReader& r, const std::string& key,
                       SimDuration d) {
  if (d.count() > 0) return Status::Ok();
  return MapReader::Bad(r.Key(key), "required, a positive duration");
}

Status ReadIncident(const YAML::Node& node, const std::string& path,
                    IncidentSpec& out) {
  MapReader r(node, path);
  std::string kind;
  r.Text("kind", kind);
  if (!r.status().ok()) return r.status();
  if (kind.empty()) return MapReader::Bad(r.Key("kind"), "required");
  bool known = false;
  for (const auto& [k, name] : kKindNames) {
    if (kind == name) {
      out.kind = k;
      known = true;
    }
  }
  if (!known) {
    std::string names;
    for (const auto& [k, name] : kKindNames) {
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    return MapReader::Bad(r.Key("kind"),
                          "unknown kind '" + kind + "' (one of " + names + ")");
  }
  if (!r.Has("at")) return MapReader::Bad(r.Key("at"), "required");
  r.Duration("at", out.at).Text("project", out.project);
  Status s;
  switch (out.kind) {
    case IncidentKind::kFailedRun:
    case IncidentKind::kPartialRun:
    case IncidentKind::kCorruptArchive:
      break;
    case IncidentKind::kStalledRun:
      r.Duration("stall_for", out.stall_for);
      if (r.status().ok()) s = RequirePositive(r, "stall_for", out.stall_for);
      break;
    case IncidentKind::kNeverStarted:
      r.Duration("pending_for", out.pending_for);
      if (r.status().ok()) {
        s = RequirePositive(r, "pending_for", out.pending_for);
      }
      break;
    case IncidentKind::kStepFailureBurst:
      r.Integer("runs", out.runs, 1, 1000)
          .Integer("failed_steps", out.failed_steps, 1, 1000);
      break;
    case IncidentKind::kArchivalFailure:
    case IncidentKind::kDbUnreadable:
      r.Duration("duration", out.duration);
      if (r.status().ok()) s = RequirePositive(r, "duration", out.duration);
      break;
    case IncidentKind::kDiskFill:
      r.Duration("ramp", out.ramp)
          .Number("fill_to", out.fill_to, 0.01, 0.999)
          .Duration("hold", out.hold);
      if (r.status().ok()) s = RequirePositive(r, "ramp", out.ramp);
      break;
    case IncidentKind::kExporterRestart:
      r.Duration("down_for", out.down_for);
      if (r.status().ok()) s = RequirePositive(r, "down_for", out.down_for);
      break;
  }
  if (!s.ok()) return s;
  return r.Finish();
}

Status Validate(const Scenario& sc, const std::string& origin) {
  auto bad = [&](const std::string& key, const std::string& why) {
    return MapReader::Bad(key, why).WithContext(origin);
  };
  if (sc.duration.count() <= 0) {
    return bad("duration", "required, a positive duration");
  }
  if (sc.step_duration.min.count() <= 0) {
    return bad("step_duration.min", "must be positive");
  }
  for (size_t i = 0; i < sc.incidents.size(); ++i) {
    const IncidentSpec& inc = sc.incidents[i];
    if (inc.at >= sc.duration) {
      return bad("incidents[" + std::to_string(i) + "].at",
                 "must be before the end of the scenario (" +
                     FormatDuration(sc.duration) + ")");
    }
    if (inc.kind == IncidentKind::kStepFailureBurst &&
        inc.failed_steps >= sc.steps_per_run) {
      return bad("incidents[" + std::to_string(i) + "].failed_steps",
                 "must be below steps_per_run (" +
                     std::to_string(sc.steps_per_run) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

const char* IncidentKindName(IncidentKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

Result<Scenario> ParseScenario(const std::string& yaml,
                               const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": YAML syntax error at line " +
                                   std::to_string(e.mark.line + 1) + ": " +
                                   e.msg);
  }
  Scenario sc;
  try {
    MapReader r(root, "");
    r.Text("name", sc.name)
        .Integer("seed", sc.seed, 0, INT64_MAX)
        .Number("compression", sc.compression, 1, 100000)
        .Duration("duration", sc.duration)
        .Duration("recent_window", sc.recent_window)
        .Duration("scrub_interval", sc.scrub_interval)
        .Integer("projects", sc.projects, 1, 1000)
        .Number("runs_per_hour", sc.runs_per_hour, 0, 1e6)
        .Integer("steps_per_run", sc.steps_per_run, 2, 100)
        .Range("step_duration", sc.step_duration)
        .Range("start_delay", sc.start_delay)
        .Number("worker_completes", sc.worker_completes, 0, 1)
        .Child("history",
               [&](const YAML::Node& n, const std::string& path) {
                 MapReader h(n, path);
                 h.Integer("runs_per_pair", sc.history.runs_per_pair, 0, 100000)
                     .Duration("span", sc.history.span)
                     .Integer("retired_runs", sc.history.retired_runs, 0,
                              100000)
                     .Duration("retired_age", sc.history.retired_age);
                 return h.Finish();
               })
        .Child("incidents", [&](const YAML::Node& n, const std::string& path) {
          if (!n.IsSequence()) return MapReader::Bad(path, "expected a list");
          for (size_t i = 0; i < n.size(); ++i) {
            IncidentSpec inc;
            Status s =
                ReadIncident(n[i], path + "[" + std::to_string(i) + "]", inc);
            if (!s.ok()) return s;
            sc.incidents.push_back(inc);
          }
          return Status::Ok();
        });
    Status s = r.Finish();
    if (!s.ok()) return s.WithContext(origin);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.msg);
  }
  if (sc.name.empty()) sc.name = "scenario";
  if (Status s = Validate(sc, origin); !s.ok()) return s;
  return sc;
}

Result<Scenario> LoadScenario(const std::string& path) {
  auto text = ReadConfigFile(path, "scenario");
  if (!text.ok()) return text.status();
  return ParseScenario(*text, "scenario '" + path + "'");
}

}  // namespace pe::sim
