#include "tools/sim/scenario_main.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "tools/sim/scenario.h"
#include "tools/sim/scenario_player.h"

namespace pe::sim {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);

Micros WallNow() { return ToMicros(std::chrono::system_clock::now()); }

void Emit(const std::string& json) {
  std::fputs(json.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Writes `text` to a temporary name beside `path`, then renames it.
Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return Status::IoError("cannot write '" + tmp + "'");
  const bool ok = std::fputs(text.c_str(), f) >= 0;
  if (std::fclose(f) != 0 || !ok) {
    return Status::IoError("cannot write '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError("rename '" + tmp + "': " + ec.message());
  return Status::Ok();
}

}  // namespace

int ScenarioMain(const SimFlags& flags,
                 const volatile std::sig_atomic_t& stop) {
  auto scenario = LoadScenario(flags.scenario);
  if (!scenario.ok()) {
    std::fprintf(stderr, "simulate: %s\n", scenario.status().message().c_str());
    return 2;
  }
  if (flags.seed_given) scenario->seed = flags.options.seed;
  if (flags.compression > 0) scenario->compression = flags.compression;
  if (flags.prepare) {
    Status s = PrepareScenario(*scenario, flags.db, WallNow());
    if (!s.ok()) {
      std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "simulate: prepared %s for scenario %s\n",
                 flags.db.c_str(), scenario->name.c_str());
    return 0;
  }
  if (flags.truth.empty()) {
    std::fprintf(stderr, "simulate: --truth: required to play a scenario\n");
    return 2;
  }
  PlayPaths paths{
      flags.db, flags.options.worktrees_dir, flags.archive_dir,
      flags.ballast_dir.empty() ? flags.archive_dir : flags.ballast_dir};
  const Micros wall_start = WallNow();
  auto player = ScenarioPlayer::Open(*scenario, paths, wall_start, Emit);
  if (!player.ok()) {
    std::fprintf(stderr, "simulate: %s\n", player.status().ToString().c_str());
    return 1;
  }
  char line[160];
  std::snprintf(line, sizeof line,
                "{\"type\":\"start\",\"wall_start\":%.6f,\"compression\":%g}",
                static_cast<double>(wall_start) / kMicrosPerSecond,
                scenario->compression);
  Emit(line);
  // Plays until the end (or a stop signal); with --linger, writes the truth
  // and says done there, then goes on with background runs until stopped.
  bool failed = false;
  auto play = [&](const std::function<bool()>& until) {
    while (stop == 0 && !failed && !until()) {
      Status s = (*player)->Tick(WallNow());
      if (!s.ok()) {
        std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
        failed = s.code() != Status::Code::kBusy;
      }
      std::this_thread::sleep_for(kTick);
    }
  };
  play([&] { return (*player)->done(); });
  const bool lingering = flags.linger && stop == 0 && !failed;
  if (!lingering) (*player)->Finish(WallNow());
  GroundTruth truth = (*player)->truth();
  truth.wall_end = WallNow();
  Status s = WriteAtomically(flags.truth, GroundTruthJson(truth));
  if (!s.ok()) {
    std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
    return 1;
  }
  Emit("{\"type\":\"done\"}");
  if (lingering) {
    (*player)->Linger();
    play([] { return false; });
    (*player)->Finish(WallNow());
  }
  return failed ? 1 : 0;
}

}  // namespace pe::sim
