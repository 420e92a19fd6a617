#include "exporter/collector/side_reader.h"

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
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return !queue_.empty() || closed_ || recording; });
      if (queue_.empty() && closed_) return;
      // Closing: the steps left, then Finish completes the events.
      recording = recording && !closed_;
      work.swap(queue_);
    }
    Status s;
    for (std::string& id : work) {
      auto steps = reader_.Steps(id);
      if (!steps.ok()) {
        s = steps.status();
        break;
      }
      read_.steps.emplace_back(std::move(id), std::move(steps.value()));
    }
    work.clear();
    if (s.ok() && recording) {
      auto more = events_->Record(reader_, kEventRows);
      if (more.ok()) {
        recording = *more;
      } else {
        s = more.status();
      }
    }
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      status_ = s;
      return;
    }
  }
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

Result<SideReader::Read> SideReader::Finish(
    const std::unordered_set<std::string_view>& wanted) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.insert(queue_.end(), std::make_move_iterator(batch_.begin()),
                  std::make_move_iterator(batch_.end()));
    closed_ = true;
  }
  batch_.clear();
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  Status s = status_;
  // The thread is done: its connection is this thread's now.
  if (s.ok() && events_) {
    auto latest = events_->Finish(reader_, wanted, parse_errors_);
    if (latest.ok()) {
      read_.latest_events = std::move(latest.value());
    } else {
      s = latest.status();
    }
  }
  Stop();
  if (!s.ok()) return s;
  return std::move(read_);
}

}  // namespace pe
