#ifndef PIPELINE_EXPORTER_STATE_RUN_MODEL_H_
#define PIPELINE_EXPORTER_STATE_RUN_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// Plain values read from the orchestrator's tables (state contract).
namespace pe {

enum class RunState : uint8_t {
  kPending,
  kRunning,
  kSucceeded,
  kPartial,
  kFailed,
  kQuarantined,
  kCanceled,
  kUnknown,  // a value the contract does not list
};
inline constexpr std::array<RunState, 7> kRunStates = {
    RunState::kPending, RunState::kRunning, RunState::kSucceeded,
    RunState::kPartial, RunState::kFailed,  RunState::kQuarantined,
    RunState::kCanceled};

enum class StepState : uint8_t {
  kPending,
  kRunning,
  kCompleted,
  kFailed,
  kSkipped,
  kUnknown,
};
inline constexpr std::array<StepState, 5> kStepStates = {
    StepState::kPending, StepState::kRunning, StepState::kCompleted,
    StepState::kFailed, StepState::kSkipped};

RunState ParseRunState(std::string_view text);
StepState ParseStepState(std::string_view text);
std::string_view Name(RunState state);   // "unknown" for kUnknown
std::string_view Name(StepState state);  // "unknown" for kUnknown
bool IsTerminal(RunState state);
// Failed, partial and quarantined runs carry a failure reason.
bool HasFailure(RunState state);

struct RunRow {
  std::string run_id;
  std::string project;
  std::string phase;
  std::string workstream;  // empty when NULL
  RunState state = RunState::kUnknown;
  std::optional<double> created_at;  // Unix seconds
  std::optional<double> started_at;
  std::optional<double> ended_at;

  bool operator==(const RunRow&) const = default;
};

// A row of the runs table as a full read meets it. Most rows of a full read
// are runs that ended long ago and are only counted: RunTracker asks for the
// few fields that takes, and copies (and parses) a whole RunRow only for the
// runs it keeps. Views are valid as long as the row.
class RunRowSource {
 public:
  virtual ~RunRowSource() = default;
  virtual std::string_view run_id() const = 0;
  virtual std::string_view project() const = 0;
  virtual std::string_view phase() const = 0;
  virtual RunState state() const = 0;
  virtual std::optional<double> ended_at() const = 0;
  // Every field, into *row (whose strings' storage is reused).
  virtual void Fill(RunRow* row) const = 0;
};

// A RunRow in memory as a source.
class RunRowValue final : public RunRowSource {
 public:
  explicit RunRowValue(const RunRow& row) : row_(row) {}
  std::string_view run_id() const override { return row_.run_id; }
  std::string_view project() const override { return row_.project; }
  std::string_view phase() const override { return row_.phase; }
  RunState state() const override { return row_.state; }
  std::optional<double> ended_at() const override { return row_.ended_at; }
  void Fill(RunRow* row) const override { *row = row_; }

 private:
  const RunRow& row_;
};

// A run's first failed step (earliest end, then start, then id).
struct StepFailure {
  std::string step;    // its name (its id if the name is empty)
  std::string reason;  // its error message (raw, bounded)
  bool operator==(const StepFailure&) const = default;
};

// What the exporter needs of a run's steps.
struct StepSummary {
  std::array<int, 5> counts{};  // indexed by StepState (kUnknown not counted)
  int unknown = 0;
  std::optional<double> last_activity;  // latest step start or end
  // Only with a failed step; shared and immutable, so that each of the
  // 10k to 20k tracked runs without one holds a pointer, not two strings.
  std::shared_ptr<const StepFailure> failure;

  int count(StepState s) const { return counts[static_cast<int>(s)]; }
  bool operator==(const StepSummary& other) const {
    return counts == other.counts && unknown == other.unknown &&
           last_activity == other.last_activity &&
           (failure == other.failure ||
            (failure && other.failure && *failure == *other.failure));
  }
};

struct EventRow {
  int64_t id = 0;
  std::string run_id;  // empty when NULL
  std::string event_type;
  std::string severity;
  std::optional<double> timestamp;
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_STATE_RUN_MODEL_H_
