#ifndef PIPELINE_EXPORTER_POLL_POLLER_H_
#define PIPELINE_EXPORTER_POLL_POLLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "exporter/common/clock.h"
#include "exporter/config/config.h"
#include "exporter/metrics/composer.h"
#include "exporter/metrics/run_exposition.h"
#include "exporter/metrics/state_metrics.h"
#include "exporter/poll/selections.h"
#include "exporter/poll/side_reader.h"
#include "exporter/state/parse_errors.h"
#include "exporter/state/run_tracker.h"
#include "exporter/state/state_reader.h"

namespace pe {

// Follows the state database and hands its parts of /metrics (the state
// and health families, the per-run families) to the composer after every
// poll. One thread calls PollOnce(); HTTP threads only read the store.
//
// A poll costs what changed, not what the database holds:
//  - nothing committed since the last poll (PRAGMA data_version): no query;
//  - otherwise, in one read transaction: events after the id watermark (their
//    run ids mark runs to re-read), runs after the rowid watermark, each marked
//    run and its steps by key, and COUNT(*) of runs, whose mismatch with the
//    runs known (pruned or renumbered rows) triggers a full re-read;
//  - a full re-read at start-up, every state.resync-interval (the safety net
//    for writers that change rows without appending events), and when the
//    file was replaced.
// On any error the last good data keeps being served, the condition is
// reported through metrics and logged once per change, and the connection is
// reopened at the next poll. Before the first successful poll there is no
// such data: a database not created yet (missing file or tables) is logged
// once, as waiting for it.
//
// Time comes from `clock` (null: SystemClock()): its wall reading is "now"
// for the database's timestamps (the recent window, ages), its monotonic
// one measures polls and the resync interval, so a step of the wall clock
// neither brings a resync forward nor puts it off.
class Poller {
 public:
  Poller(const Config& config, std::shared_ptr<Composer> composer,
         std::shared_ptr<const Clock> clock = nullptr);

  // One poll; publishes a snapshot whatever the outcome.
  void PollOnce();

  // What a poll read that the completion worker may act on (RunFeed):
  // the runs read by key or as new rows in a running or terminal state, and
  // whether the whole runs table was read. Called on the poller thread at
  // the end of every poll that read something, before the snapshot is
  // published. Set before the first poll.
  struct ReadRuns {
    std::vector<std::string> runs;
    bool full_read = false;
  };
  void SetReadListener(std::function<void(const ReadRuns&)> listener) {
    read_listener_ = std::move(listener);
  }

  // Makes the next poll a full re-read, as if state.resync-interval had
  // passed.
  void ResyncAtNextPoll() { resync_requested_ = true; }

  // A new metrics.project-include/-exclude (a reload, from any thread),
  // applied at the next poll: the runs of projects it leaves out lose their
  // series there, and a full re-read (resync reason "reload") gives the
  // runs of projects it brings in theirs.
  void SetProjectSelection(ProjectSelection projects);

  // Whether a full read takes the steps and latest events on a second
  // connection beside the runs scan (SideReader, the default), or after the
  // scan on the poller's own, as when a second cannot be opened. For tests.
  void set_read_beside_scan(bool beside) { read_beside_scan_ = beside; }

  StateCondition condition() const { return condition_; }
  const RunTracker& tracker() const { return tracker_; }

 private:
  Status PollDatabase(double now, std::string_view* result);
  Status FullLoad(double now, std::string_view reason);
  Status Incremental(double now);
  // Counts new events and notes their runs and times as pending.
  Status ReadEvents();
  Status RefreshPendingSteps();
  // A run's steps as read, its failure reason as exposed.
  void SetSteps(const std::string& run_id, StepSummary steps);
  // After a full read's scan: the steps of every tracked run and, with
  // latest_events (start-up), the latest event of each, from the side
  // reader (what it had not begun is read here meanwhile), or else read
  // now on this connection.
  Status ReadStepsAndEvents(SideReader* side, bool latest_events);
  void ApplyEventTimes();
  // Applies a selection SetProjectSelection left, if any.
  void TakeProjectSelection();
  // Upserts a row read incrementally and notes it for the read listener.
  void UpsertRead(const RunRow& row, double now);
  void NotifyReadListener();
  StateCondition Classify(const Status& status) const;
  // Logs the condition of a poll when it changed (LogCondition in poller.cc).
  void LogCondition(StateCondition condition, const Status& status);
  void Publish();

  Config config_;
  std::shared_ptr<Composer> composer_;
  std::shared_ptr<const Clock> clock_;
  ParseErrors parse_errors_;
  StateReader reader_;
  Selections selections_;  // as configured at start: the families stay
  RunTracker tracker_;
  StateMetrics metrics_;
  RunExposition exposition_;
  std::function<void(const ReadRuns&)> read_listener_;
  ReadRuns read_;  // since the last NotifyReadListener

  bool initialized_ = false;    // a full load has succeeded once
  bool need_full_load_ = true;  // after (re)open
  std::string full_load_reason_ = "startup";
  int64_t data_version_ = -1;
  int64_t event_watermark_ = 0;
  int64_t rowid_watermark_ = 0;
  bool more_events_ = false;  // the last event batch was full
  // Learned but not yet applied; kept across a poll that failed halfway.
  std::set<std::string> pending_reread_;  // runs named by new events
  std::set<std::string> pending_steps_;   // runs whose steps to read again
  std::map<std::string, double> pending_event_times_;
  // When the last full read ended, on the clock's monotonic reading.
  std::optional<double> last_full_load_;
  bool resync_requested_ = false;
  std::string_view requested_reason_ = "interval";
  std::mutex next_projects_mu_;
  std::optional<ProjectSelection> next_projects_;  // guarded by the mutex
  bool read_beside_scan_ = true;
  StateCondition condition_ = StateCondition::kOk;
  bool condition_logged_ = false;  // condition_ is the latest poll's
  bool served_ = false;            // a poll has succeeded once
  bool waiting_ = false;  // the latest line logged said "waiting for" it
};

}  // namespace pe

#endif  // PIPELINE_EXPORTER_POLL_POLLER_H_
