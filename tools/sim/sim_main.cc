#include "tools/sim/sim_main.h"

#include <csignal>
#include <cstdio>
#include <thread>

#include "tools/sim/bulk_load.h"
#include "tools/sim/contract_db.h"
#include "tools/sim/scenario_main.h"
#include "tools/sim/sim_flags.h"
#include "tools/sim/simulator.h"

namespace pe::sim {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void OnStopSignal(int) { g_stop = 1; }

// Installs SIGINT/SIGTERM handlers that ask the live loop to stop, and puts
// the previous handlers back when it goes out of scope.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction action = {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

void PrintSummary(const SimStats& s) {
  std::fprintf(stderr,
               "simulate: created=%llu started=%llu finished=%llu "
               "(succeeded=%llu partial=%llu failed=%llu quarantined=%llu "
               "canceled=%llu) stalled=%llu never_started=%llu "
               "left_running=%llu active=%llu events=%llu pruned=%llu\n",
               static_cast<unsigned long long>(s.runs_created),
               static_cast<unsigned long long>(s.runs_started),
               static_cast<unsigned long long>(s.finished()),
               static_cast<unsigned long long>(s.runs_succeeded),
               static_cast<unsigned long long>(s.runs_partial),
               static_cast<unsigned long long>(s.runs_failed),
               static_cast<unsigned long long>(s.runs_quarantined),
               static_cast<unsigned long long>(s.runs_canceled),
               static_cast<unsigned long long>(s.runs_stalled),
               static_cast<unsigned long long>(s.runs_never_started),
               static_cast<unsigned long long>(s.runs_left_running),
               static_cast<unsigned long long>(s.active),
               static_cast<unsigned long long>(s.events),
               static_cast<unsigned long long>(s.runs_pruned));
}

int PlayLive(const SimFlags& flags) {
  using Clock = std::chrono::steady_clock;
  StopSignals signals;
  auto sim = Simulator::Open(flags.db, flags.options,
                             std::chrono::system_clock::now());
  if (!sim.ok()) {
    std::fprintf(stderr, "simulate: %s\n", sim.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "simulate: live on %s (adopted %llu active runs)\n",
               flags.db.c_str(),
               static_cast<unsigned long long>((*sim)->stats().runs_adopted));
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = flags.duration.count() > 0
                                         ? start + flags.duration
                                         : Clock::time_point::max();
  Clock::time_point next_tick = start;
  Clock::time_point next_log = start + std::chrono::seconds(1);
  while (g_stop == 0) {
    Status s = (*sim)->Tick(std::chrono::system_clock::now());
    if (!s.ok()) {
      std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
      // A busy database is retried next tick; anything else is fatal.
      if (s.code() != Status::Code::kBusy) return 1;
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_log) {
      PrintSummary((*sim)->stats());
      next_log = now + std::chrono::seconds(1);
    }
    if (now >= deadline) break;
    next_tick += flags.tick;
    if (next_tick < now) next_tick = now;  // fell behind: do not spin
    while (g_stop == 0 && Clock::now() < std::min(next_tick, deadline)) {
      std::this_thread::sleep_for(std::min<Clock::duration>(
          std::chrono::milliseconds(100), next_tick - Clock::now()));
    }
  }
  PrintSummary((*sim)->stats());
  return 0;
}

}  // namespace

int Main(const std::vector<std::string>& args) {
  auto flags = ParseSimFlags(args);
  if (!flags.ok()) {
    std::fprintf(stderr,
                 "simulate: %s\nRun 'pipeline_exporter simulate --help' for "
                 "usage.\n",
                 flags.status().message().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(SimUsage(), stdout);
    return 0;
  }
  if (!flags->scenario.empty()) {
    StopSignals signals;
    return ScenarioMain(*flags, g_stop);
  }
  if (flags->bulk > 0 || flags->bulk_active > 0) {
    const auto start = std::chrono::steady_clock::now();
    Status s =
        BulkLoad(flags->db, flags->options, flags->bulk, flags->bulk_active);
    if (!s.ok()) {
      std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
      return 1;
    }
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    std::fprintf(stderr,
                 "simulate: bulk loaded %zu finished and %zu active runs "
                 "into %s in %.1f s\n",
                 flags->bulk, flags->bulk_active, flags->db.c_str(),
                 took.count());
  } else {
    auto db = OpenContractDb(flags->db);  // at least create the schema
    if (!db.ok()) {
      std::fprintf(stderr, "simulate: %s\n", db.status().ToString().c_str());
      return 1;
    }
  }
  if (flags->live) return PlayLive(*flags);
  return 0;
}

}  // namespace pe::sim
