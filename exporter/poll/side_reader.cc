#include "exporter/poll/side_reader.h"

#include <algorithm>
#include <iterator>

namespace pe {
namespace {

// Runs handed to the reading thread at a time: one lock per batch, not per
// run, and the first steps are read while the scan is still early.
constexpr std::size_t kBatch = 256;
// Events read between two looks at the queue of steps.
constexpr std::size_t kEventRows = 1024;
// Runs whose latest event the scan remembers before the tracked runs are
// known (32 bytes each): more than the tracked runs of a large database.
constexpr std::size_t kEventRuns = 32768;

}  // namespace

SideReader::SideReader(std::string path, std::chrono::milliseconds busy_timeout,
                       ParseErrors* parse_errors)
    : parse_errors_(parse_errors),
      reader_(std::move(path), busy_timeout, parse_errors) {}

SideReader::~SideReader() { Stop(); }

Status SideReader::Start(bool latest_events) {
  if (Status s = reader_.Open(); !s.ok()) return s;
  if (Status s = reader_.Begin(); !s.ok()) {
    reader_.Close();
    return s;
  }
  if (latest_events) events_ = std::make_unique<LatestEventScan>(kEventRuns);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void SideReader::Add(std::string_view run_id) {
  batch_.emplace_back(run_id);
  if (batch_.size() < kBatch) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(batch_.begin()),
                  std::make_move_iterator(batch_.end()));
  }
  batch_.clear();
  wake_.notify_one();
}

void SideReader::Run() {
  std::vector<std::string> work;
  bool recording = events_ != nullptr;
  Status s;
  while (s.ok()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return !queue_.empty() || closed_ || recording; });
      if (queue_.empty() && closed_) break;
      // Closing: the batch in hand, then the events of the wanted runs.
      recording = recording && !closed_;
      // A batch at a time, so that what is still queued when the scan ends
      // goes to the poller's thread (Close).
      const auto n =
          static_cast<std::ptrdiff_t>(std::min(queue_.size(), kBatch));
      work.assign(std::make_move_iterator(queue_.begin()),
                  std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }
    s = ReadSteps(&work);
    if (s.ok() && recording) {
      auto more = events_->Record(reader_, kEventRows);
      if (more.ok()) {
        recording = *more;
      } else {
        s = more.status();
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!s.ok()) status_ = s;
    steps_done_ = true;
  }
  steps_read_.notify_one();
  // wanted_ was set by Close before closed_ (empty when stopped without it).
  if (!s.ok() || events_ == nullptr || wanted_.empty()) return;
  auto latest = events_->Finish(reader_, wanted_, parse_errors_);
  if (latest.ok()) {
    latest_events_ = std::move(latest.value());
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = latest.status();
  }
}

Status SideReader::ReadSteps(std::vector<std::string>* work) {
  Status s;
  for (std::string& id : *work) {
    auto steps = reader_.Steps(id);
    if (!steps.ok()) {
      s = steps.status();
      break;
    }
    steps_.emplace_back(std::move(id), std::move(steps.value()));
  }
  work->clear();
  return s;
}

void SideReader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  reader_.End();
  reader_.Close();
}

std::vector<std::string> SideReader::Close(
    std::unordered_set<std::string_view> wanted) {
  std::vector<std::string> unread = std::move(batch_);
  batch_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    unread.insert(unread.end(), std::make_move_iterator(queue_.begin()),
                  std::make_move_iterator(queue_.end()));
    queue_.clear();
    wanted_ = std::move(wanted);
    closed_ = true;
  }
  wake_.notify_one();
  return unread;
}

Result<SideReader::Steps> SideReader::TakeSteps() {
  std::unique_lock<std::mutex> lock(mu_);
  steps_read_.wait(lock, [&] { return steps_done_ || !thread_.joinable(); });
  if (!status_.ok()) return status_;
  return std::move(steps_);
}

Result<std::vector<std::pair<std::string, double>>> SideReader::LatestEvents() {
  Stop();
  // The thread is joined: what it wrote is this thread's now.
  if (!status_.ok()) return status_;
  return std::move(latest_events_);
}

}  // namespace pe
