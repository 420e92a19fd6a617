#include "exporter/state/run_model.h"

namespace pe {
namespace {

constexpr std::array<std::string_view, 7> kRunStateNames = {
    "pending", "running",     "succeeded", "partial",
    "failed",  "quarantined", "canceled"};
constexpr std::array<std::string_view, 5> kStepStateNames = {
    "pending", "running", "completed", "failed", "skipped"};

}  // namespace

RunState ParseRunState(std::string_view text) {
  for (std::size_t i = 0; i < kRunStateNames.size(); ++i) {
    if (text == kRunStateNames[i]) return static_cast<RunState>(i);
  }
  return RunState::kUnknown;
}

StepState ParseStepState(std::string_view text) {
  for (std::size_t i = 0; i < kStepStateNames.size(); ++i) {
    if (text == kStepStateNames[i]) return static_cast<StepState>(i);
  }
  return StepState::kUnknown;
}

std::string_view Name(RunState state) {
  const auto i = static_cast<std::size_t>(state);
  return i < kRunStateNames.size() ? kRunStateNames[i] : "unknown";
}

std::string_view Name(StepState state) {
  const auto i = static_cast<std::size_t>(state);
  return i < kStepStateNames.size() ? kStepStateNames[i] : "unknown";
}

bool IsTerminal(RunState state) {
  switch (state) {
    case RunState::kSucceeded:
    case RunState::kPartial:
    case RunState::kFailed:
    case RunState::kQuarantined:
    case RunState::kCanceled:
      return true;
    default:
      return false;
  }
}

bool HasFailure(RunState state) {
  return state == RunState::kFailed || state == RunState::kPartial ||
         state == RunState::kQuarantined;
}

}  // namespace pe
