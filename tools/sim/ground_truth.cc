#include "tools/sim/ground_truth.h"

#include <cstdio>

#include "exporter/common/json.h"

namespace pe::sim {
namespace {

std::string Seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

std::string GroundTruthJson(const GroundTruth& t) {
  const auto sim = [](Micros us) {
    return Seconds(static_cast<double>(us) / kMicrosPerSecond);
  };
  const auto wall = [&](Micros sim_us) {
    return Seconds(static_cast<double>(t.wall_start) / kMicrosPerSecond +
                   static_cast<double>(sim_us) / kMicrosPerSecond /
                       t.compression);
  };
  std::string out = "{\n";
  out += "  \"scenario\": " + JsonQuote(t.scenario) + ",\n";
  out += "  \"seed\": " + std::to_string(t.seed) + ",\n";
  out += "  \"compression\": " + Seconds(t.compression) + ",\n";
  out += "  \"wall_start\": " + sim(t.wall_start) + ",\n";
  out += "  \"wall_end\": " + sim(t.wall_end) + ",\n";
  out += "  \"sim_duration_s\": " + sim(t.sim_duration) + ",\n";
  out += "  \"recent_window_s\": " + sim(t.recent_window) + ",\n";
  out += "  \"scrub_interval_s\": " + sim(t.scrub_interval) + ",\n";
  out += "  \"runs\": {\"created\": " + std::to_string(t.runs_created) +
         ", \"background\": " + std::to_string(t.background_runs) + "},\n";
  out += "  \"incidents\": [";
  for (size_t i = 0; i < t.incidents.size(); ++i) {
    const Incident& inc = t.incidents[i];
    out += i == 0 ? "\n" : ",\n";
    out += "    {\"id\": " + JsonQuote(inc.id) +
           ", \"kind\": " + JsonQuote(IncidentKindName(inc.kind)) +
           ", \"injected\": " + (inc.injected ? "true" : "false") +
           ",\n     \"sim_start\": " + sim(inc.sim_start) +
           ", \"wall_start\": " + wall(inc.sim_start) +
           ", \"sim_end\": " + sim(inc.sim_end) +
           ", \"wall_end\": " + wall(inc.sim_end) + ",\n     \"alerts\": [";
    for (size_t a = 0; a < inc.alerts.size(); ++a) {
      const ExpectedAlert& alert = inc.alerts[a];
      out += a == 0 ? "" : ", ";
      out +=
          "{\"alertname\": " + JsonQuote(alert.alertname) + ", \"labels\": {";
      bool first = true;
      for (const auto& [k, v] : alert.labels) {
        out += (first ? "" : ", ") + JsonQuote(k) + ": " + JsonQuote(v);
        first = false;
      }
      out += "}}";
    }
    out += "],\n     \"detail\": " + JsonQuote(inc.detail) + "}";
  }
  out += t.incidents.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

}  // namespace pe::sim
