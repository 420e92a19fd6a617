#include "exporter/app/daemon.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "exporter/app/reload_metrics.h"
#include "exporter/app/reloader.h"
#include "exporter/common/build_info.h"
#include "exporter/common/clock.h"
#include "exporter/common/duration.h"
#include "exporter/common/log.h"
#include "exporter/http/web_config.h"
#include "exporter/http/web_server.h"
#include "exporter/metrics/composer.h"
#include "exporter/poll/poller.h"
#include "exporter/poll/selections.h"
#include "exporter/worker/completion_worker.h"
#include "exporter/worker/worker_metrics.h"

namespace pe {
namespace {

// Runs the poller on its own thread every poll interval until stopped, and
// `after_first_poll` once the first poll has ended, successful or not.
class PollLoop {
 public:
  PollLoop(Poller* poller, std::chrono::milliseconds interval,
           std::function<void()> after_first_poll)
      : poller_(poller),
        interval_(interval),
        after_first_poll_(std::move(after_first_poll)),
        thread_([this] { Run(); }) {}
  ~PollLoop() { Stop(); }
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Takes effect from the next wait (reload).
  void SetInterval(std::chrono::milliseconds interval) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      interval_ = interval;
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      try {
        poller_->PollOnce();
      } catch (const std::exception& e) {
        log::Error("poll failed unexpectedly", {{"err", e.what()}});
      }
      if (after_first_poll_) std::exchange(after_first_poll_, nullptr)();
      lock.lock();
      const auto interval = interval_;
      cv_.wait_for(lock, interval,
                   [&] { return stop_ || interval_ != interval; });
    }
  }

  Poller* poller_;
  std::chrono::milliseconds interval_;
  std::function<void()> after_first_poll_;  // the poll thread's own
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

// The running completion worker, replaceable by a reload. It starts once the
// poller's first read has ended (Release): that read, which makes the
// exporter ready, has both cores to itself instead of sharing them with the
// worker's first pass. A reload before then only replaces the configuration
// it will start with.
class WorkerHolder {
 public:
  WorkerHolder(std::shared_ptr<WorkerMetrics> metrics,
               std::shared_ptr<const Clock> clock)
      : metrics_(std::move(metrics)), clock_(std::move(clock)) {}
  ~WorkerHolder() { Stop(); }

  void Start(const Config& config) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!released_) {
      pending_ = config;
      return;
    }
    StartLocked(config);
  }

  // The poller's first read has ended.
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    if (pending_) StartLocked(*std::exchange(pending_, std::nullopt));
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.reset();
    running_ = false;
    if (worker_) worker_->Stop();
    worker_.reset();
  }

  // The poller's reads, on the poller thread; kept only while a worker runs,
  // so a disabled worker costs no memory.
  void Feed(const Poller::ReadRuns& read) {
    if (running_) feed_->Learn(read.runs, read.full_read);
  }

 private:
  void StartLocked(const Config& config) {
    if (worker_) worker_->Stop();  // lets an archive finish (grace)
    auto options = CompletionWorkerOptions::FromConfig(config);
    options.feed = feed_;
    options.clock = clock_;
    worker_ = std::make_unique<CompletionWorker>(std::move(options), metrics_);
    // Before Start: what the poller reads from now on reaches the worker's
    // first pass or a later one; what it read before, the first pass's scan
    // finds.
    running_ = true;
    worker_->Start();
  }

  std::shared_ptr<WorkerMetrics> metrics_;
  std::shared_ptr<const Clock> clock_;
  std::shared_ptr<RunFeed> feed_ = std::make_shared<RunFeed>();
  std::atomic<bool> running_{false};
  std::mutex mu_;
  bool released_ = false;          // guarded by mu_
  std::optional<Config> pending_;  // guarded by mu_
  std::unique_ptr<CompletionWorker> worker_;
};

}  // namespace

int RunDaemon(const Config& config, const std::vector<std::string>& args) {
  // glibc gives every thread that allocates its own arena and keeps what it
  // freed there: the HTTP threads' response buffers, the full read's second
  // thread. One arena shared by all reuses what any of them freed, so the
  // peak is lower than with several (docs/benchmarks.md).
  mallopt(M_ARENA_MAX, 1);
  // Blocks of 128 KiB and more (a large part's text or compressed blocks,
  // the joined body of a tool) are mapped, and given back to the kernel as
  // soon as they are freed.
  // Left to itself, glibc raises this threshold past the first such block
  // freed, and the next bodies' chunks stay resident in the arenas. A
  // scrape's write buffer (120 KiB, civet_response.cc) stays below it: it is
  // taken from and given back to the arenas, not mapped and faulted in anew
  // for every request.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);

  // A file size limit (RLIMIT_FSIZE) makes a write fail with EFBIG instead
  // of killing the process: the archiver reports it like a full disk.
  signal(SIGXFSZ, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  // Signals are taken by sigwait below, never by the worker threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  log::Info("starting pipeline_exporter",
            {{"version", kVersion},
             {"revision", kRevision},
             {"db", config.state_db},
             {"poll_interval", FormatDuration(config.poll_interval)}});

  // Checked before anything starts: a bad file is a configuration error.
  Result<WebConfig> web_config = LoadWebConfigFile(config.web_config_file);
  if (!web_config.ok()) {
    log::Error("invalid web configuration",
               {{"err", web_config.status().message()}});
    return 2;
  }
  // Checked here too (cli.cc does before): an entry of metrics.family-allow
  // or -deny that names no family is a configuration error.
  Result<Selections> selections = SelectionsFromConfig(config);
  if (!selections.ok()) {
    log::Error("invalid configuration",
               {{"err", selections.status().message()}});
    return 2;
  }
  // One clock for the poller, the reloader and the worker.
  const std::shared_ptr<const Clock> clock = SystemClock();
  // Each source hands its own part of /metrics to the composer when its
  // data changes: the poller after each poll, the worker after each pass,
  // the reloader after each attempt.
  auto store = std::make_shared<SnapshotStore>();
  auto composer = std::make_shared<Composer>(store);
  Poller poller(config, composer, clock);
  auto reload_metrics = std::make_shared<ReloadMetrics>(clock->WallSeconds(),
                                                        selections->families);
  composer->UpdateText(Composer::Source::kReload, reload_metrics->Serialize());
  std::shared_ptr<WorkerMetrics> worker_metrics;
  if (config.worker_enabled) {
    worker_metrics = std::make_shared<WorkerMetrics>(selections->families);
    worker_metrics->SetSink([composer](std::string text) {
      composer->UpdateText(Composer::Source::kWorker, std::move(text));
    });
    worker_metrics->Publish();
  }

  // A reload reaches the poll loop and the worker, which exist from below
  // on; until then it only applies the log settings.
  std::atomic<PollLoop*> loop_for_reload{nullptr};
  WorkerHolder worker(worker_metrics, clock);
  poller.SetReadListener(
      [&worker](const Poller::ReadRuns& read) { worker.Feed(read); });
  Reloader::Hooks hooks;
  hooks.set_poll_interval = [&](std::chrono::milliseconds interval) {
    if (PollLoop* loop = loop_for_reload.load()) loop->SetInterval(interval);
  };
  hooks.restart_worker = [&](const Config& next) { worker.Start(next); };
  hooks.set_project_selection = [&poller](const Config& next) {
    // The reloaded configuration was checked: its expressions compile.
    Result<Selections> next_selections = SelectionsFromConfig(next);
    if (next_selections.ok()) {
      poller.SetProjectSelection(std::move(next_selections->projects));
    }
  };
  hooks.metrics_changed = [composer, reload_metrics] {
    composer->UpdateText(Composer::Source::kReload,
                         reload_metrics->Serialize());
  };
  Reloader reloader(args, config, hooks, reload_metrics, clock);

  WebOptions web_options;
  web_options.listen_address = config.listen_address;
  web_options.telemetry_path = config.telemetry_path;
  web_options.threads = config.web_threads;
  web_options.security = std::move(*web_config);
  web_options.reload = [&reloader] {
    return reloader.Reload("POST /-/reload");
  };
  auto server = WebServer::Start(std::move(web_options), store);
  if (!server.ok()) {
    // A start-up error like an invalid configuration: the same exit status.
    log::Error("cannot start the web server",
               {{"address", config.listen_address},
                {"err", server.status().message()}});
    return 2;
  }
  std::string ports;
  for (int port : (*server)->ports()) {
    if (!ports.empty()) ports += ",";
    ports += std::to_string(port);
  }
  log::Info("listening", {{"address", config.listen_address},
                          {"ports", ports},
                          {"telemetry_path", config.telemetry_path}});

  if (config.worker_enabled) worker.Start(config);  // after the first poll
  PollLoop loop(&poller, config.poll_interval, [&worker] { worker.Release(); });
  loop_for_reload = &loop;
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      (void)reloader.Reload("SIGHUP");
      continue;
    }
    log::Info("shutting down", {{"signal", std::to_string(sig)}});
    break;
  }
  // The server first: no reload can start while the rest stops. The worker
  // then stops taking work and lets archives finish within
  // worker.shutdown-grace.
  server->reset();
  loop_for_reload = nullptr;
  worker.Stop();
  loop.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace pe
