#include "exporter/app/daemon.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "exporter/collector/poller.h"
#include "exporter/common/build_info.h"
#include "exporter/common/duration.h"
#include "exporter/common/log.h"
#include "exporter/http/web_server.h"
#include "exporter/worker/completion_worker.h"
#include "exporter/worker/worker_metrics.h"

namespace pe {
namespace {

// Runs the poller on its own thread every poll interval until stopped.
class PollLoop {
 public:
  PollLoop(Poller* poller, std::chrono::milliseconds interval)
      : poller_(poller), interval_(interval), thread_([this] { Run(); }) {}
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
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stop_; });
    }
  }

  Poller* poller_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace

int RunDaemon(const Config& config) {
  // glibc gives every thread that allocates its own arena and keeps what it
  // freed there; with HTTP threads building responses, two arenas bound the
  // resident memory better (measured in docs/benchmarks.md).
  mallopt(M_ARENA_MAX, 2);

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

  auto store = std::make_shared<SnapshotStore>();
  Poller poller(config, store);
  std::shared_ptr<WorkerMetrics> worker_metrics;
  if (config.worker_enabled) {
    worker_metrics = std::make_shared<WorkerMetrics>();
    poller.SetExtraText(
        [worker_metrics] { return worker_metrics->Serialize(); });
  }
  auto server =
      WebServer::Start(WebOptions{config.listen_address, config.telemetry_path,
                                  config.web_threads},
                       store);
  if (!server.ok()) {
    log::Error("cannot start the web server",
               {{"address", config.listen_address},
                {"err", server.status().message()}});
    return 1;
  }
  std::string ports;
  for (int port : (*server)->ports()) {
    if (!ports.empty()) ports += ",";
    ports += std::to_string(port);
  }
  log::Info("listening", {{"address", config.listen_address},
                          {"ports", ports},
                          {"telemetry_path", config.telemetry_path}});

  PollLoop loop(&poller, config.poll_interval);
  std::unique_ptr<CompletionWorker> worker;
  if (config.worker_enabled) {
    worker = std::make_unique<CompletionWorker>(
        CompletionWorkerOptions::FromConfig(config), worker_metrics);
    worker->Start();
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::Info("SIGHUP ignored: configuration reload is not supported yet");
      continue;
    }
    log::Info("shutting down", {{"signal", std::to_string(sig)}});
    break;
  }
  if (worker) worker->Stop();  // cancels an archive being written
  loop.Stop();
  server->reset();
  log::Info("stopped");
  return 0;
}

}  // namespace pe
