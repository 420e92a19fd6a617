#include "tools/sim/catalog.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include "exporter/common/json.h"

namespace pe::sim {
namespace {

constexpr std::string_view kPhases[] = {"phase1_planning", "phase2_design",
                                        "phase3_build", "phase4_validation",
                                        "phase5_execution"};

constexpr std::string_view kStepNames[] = {
    "checkout",  "resolve inputs", "plan",    "build",   "unit tests",
    "integrate", "validate",       "package", "publish", "report"};

constexpr std::string_view kTriggers[] = {"schedule", "manual", "api", "retry"};
constexpr std::string_view kUsers[] = {"alice", "bob", "ci-bot", "zoë", "José"};

}  // namespace

std::string ProjectName(size_t index) {
  std::string letters;
  size_t n = index + 1;
  while (n > 0) {
    --n;
    letters.insert(letters.begin(), static_cast<char>('a' + n % 26));
    n /= 26;
  }
  return "proj-" + letters;
}

std::string PickProject(Rng& rng, int projects) {
  return ProjectName(rng.Below(projects > 0 ? projects : 1));
}

std::string PickPhase(Rng& rng) {
  return PhaseName(rng.Below(std::size(kPhases)));
}

size_t PhaseCount() { return std::size(kPhases); }

std::string PhaseName(size_t index) {
  return std::string(kPhases[index % std::size(kPhases)]);
}

std::optional<std::string> PickWorkstream(Rng& rng) {
  if (rng.Chance(1.0 / 3)) return std::nullopt;
  return WorkstreamName(rng.Below(40));
}

std::string NumberedPhaseName(size_t index) {
  if (index < std::size(kPhases)) return PhaseName(index);
  const std::string_view word = kPhases[index % std::size(kPhases)];
  // kPhases' words follow "phaseN_".
  return "phase" + std::to_string(index + 1) +
         std::string(word.substr(word.find('_')));
}

std::string WorkstreamName(size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ws-%03zu", index);
  return buf;
}

std::string PadName(std::string name, size_t bytes) {
  static constexpr std::string_view kWords[] = {
      "data",     "platform", "ingest", "analytics", "batch",  "pipeline",
      "customer", "finance",  "models", "reporting", "search", "billing"};
  if (name.size() >= bytes) return name;
  size_t h = std::hash<std::string>()(name);
  while (name.size() < bytes) {
    name += '-';
    name += kWords[h % std::size(kWords)];
    h = h / std::size(kWords) + 0x9e3779b9u;
  }
  // Cut the padding (never the original name) to the exact length; a
  // trailing '-' reads badly, so it becomes a letter.
  name.resize(bytes);
  if (name.back() == '-') name.back() = 'x';
  return name;
}

std::string StepId(int index) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "step_%02d", index + 1);
  return buf;
}

std::string StepName(int index) {
  const size_t n = std::size(kStepNames);
  std::string name(kStepNames[static_cast<size_t>(index) % n]);
  if (static_cast<size_t>(index) >= n) {
    name += " " + std::to_string(static_cast<size_t>(index) / n + 1);
  }
  return name;
}

std::string MakeRunMetadata(Rng& rng, bool allow_invalid) {
  const std::string_view trigger = kTriggers[rng.Below(std::size(kTriggers))];
  const std::string_view user = kUsers[rng.Below(std::size(kUsers))];
  char sha[16];
  std::snprintf(sha, sizeof sha, "%07llx",
                static_cast<unsigned long long>(rng.Below(1ULL << 28)));
  if (allow_invalid && rng.Chance(0.002)) {
    return "{'trigger': '" + std::string(trigger) + "', 'git_sha': " + sha;
  }
  return "{\"trigger\":" + JsonQuote(trigger) +
         ",\"requested_by\":" + JsonQuote(user) + ",\"git_sha\":\"" + sha +
         "\",\"priority\":" + std::to_string(rng.Between(0, 9)) + "}";
}

std::string MakeRunMetadata(Rng& rng, bool allow_invalid, size_t bytes) {
  std::string json = MakeRunMetadata(rng, allow_invalid);
  // ,"notes":"..."} in place of the closing brace.
  if (json.empty() || json.back() != '}' || json.size() + 12 >= bytes) {
    return json;
  }
  json.pop_back();
  json += ",\"notes\":\"";
  static constexpr std::string_view kFiller = "lorem ipsum dolor sit amet ";
  for (size_t i = 0; json.size() + 2 < bytes; ++i) {
    json += kFiller[i % kFiller.size()];
  }
  json += "\"}";
  return json;
}

}  // namespace pe::sim
