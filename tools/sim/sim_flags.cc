#include "tools/sim/sim_flags.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>

#include "exporter/common/duration.h"

namespace pe::sim {
namespace {

using Setter = std::function<Status(std::string_view)>;

struct FlagSpec {
  std::string_view name;
  bool takes_value;
  Setter set;
};

Status Bad(std::string_view what, std::string_view value) {
  return Status::InvalidArgument("expected " + std::string(what) + ", got '" +
                                 std::string(value) + "'");
}

template <typename T>
Setter Integer(T& out, uint64_t min, uint64_t max) {
  return [&out, min, max](std::string_view v) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || n < min || n > max) {
      return Bad("an integer in [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]",
                 v);
    }
    out = static_cast<T>(n);
    return Status::Ok();
  };
}

Setter Number(double& out, double min, double max) {
  return [&out, min, max](std::string_view v) {
    double x = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || end != v.data() + v.size() || !(x >= min) ||
        !(x <= max)) {
      char range[64];
      std::snprintf(range, sizeof range, "a number in [%g, %g]", min, max);
      return Bad(range, v);
    }
    out = x;
    return Status::Ok();
  };
}

template <typename D>
Setter Duration(D& out, bool allow_zero) {
  return [&out, allow_zero](std::string_view v) {
    auto d = ParseDuration(v);
    if (!d.ok()) return d.status();
    if (!allow_zero && d->count() <= 0) return Bad("a positive duration", v);
    out = std::chrono::duration_cast<D>(*d);
    if (!allow_zero && out.count() <= 0) return Bad("a longer duration", v);
    return Status::Ok();
  };
}

Setter Text(std::string& out) {
  return [&out](std::string_view v) {
    if (v.empty()) return Bad("a non-empty value", v);
    out = std::string(v);
    return Status::Ok();
  };
}

Setter Set(bool& out, bool value) {
  return [&out, value](std::string_view) {
    out = value;
    return Status::Ok();
  };
}

std::vector<FlagSpec> Specs(SimFlags& f) {
  SimOptions& o = f.options;
  constexpr uint64_t kMaxCount = 100'000'000;
  return {
      {"--help", false, Set(f.help, true)},
      {"-h", false, Set(f.help, true)},
      {"--db", true, Text(f.db)},
      {"--worktrees", true, Text(o.worktrees_dir)},
      {"--no-artifacts", false, Set(o.artifacts, false)},
      {"--seed", true,
       [&f, set = Integer(o.seed, 0, std::numeric_limits<uint64_t>::max())](
           std::string_view v) {
         f.seed_given = true;
         return set(v);
       }},
      {"--bulk", true, Integer(f.bulk, 0, kMaxCount)},
      {"--bulk-active", true, Integer(f.bulk_active, 0, kMaxCount)},
      {"--steps-per-run", true, Integer(o.steps_per_run, 1, 1000)},
      {"--bulk-span", true, Duration(o.bulk_span, false)},
      {"--bulk-artifacts", false, Set(o.bulk_artifacts, true)},
      {"--phases", true, Integer(o.shape.phases, 1, 10000)},
      {"--workstreams", true, Integer(o.shape.workstreams, 0, 1000000)},
      {"--workstream-share", true, Number(o.shape.workstream_share, 0, 1)},
      {"--run-id-bytes", true, Integer(o.shape.run_id_bytes, 12, 256)},
      {"--project-bytes", true, Integer(o.shape.project_bytes, 0, 1024)},
      {"--phase-bytes", true, Integer(o.shape.phase_bytes, 0, 1024)},
      {"--workstream-bytes", true, Integer(o.shape.workstream_bytes, 0, 1024)},
      {"--events-per-run", true, Number(o.shape.events_per_run, 0, 10000)},
      {"--error-bytes", true, Integer(o.shape.error_bytes, 0, 65536)},
      {"--metadata-bytes", true, Integer(o.shape.metadata_bytes, 0, 1 << 20)},
      {"--live", false, Set(f.live, true)},
      {"--duration", true, Duration(f.duration, true)},
      {"--tick", true, Duration(f.tick, false)},
      {"--runs-per-minute", true, Number(o.runs_per_minute, 0, 1e6)},
      {"--projects", true, Integer(o.projects, 1, 10000)},
      {"--pending-rate", true, Number(o.pending_rate, 0, 1)},
      {"--step-seconds", true, Number(o.step_seconds, 0.001, 1e6)},
      {"--fail-rate", true, Number(o.fail_rate, 0, 1)},
      {"--stall-rate", true, Number(o.stall_rate, 0, 1)},
      {"--complete-runs", false, Set(o.complete_runs, true)},
      {"--no-complete-runs", false, Set(o.complete_runs, false)},
      {"--scenario", true, Text(f.scenario)},
      {"--prepare", false, Set(f.prepare, true)},
      {"--compression", true, Number(f.compression, 1, 100000)},
      {"--archive-dir", true, Text(f.archive_dir)},
      {"--ballast-dir", true, Text(f.ballast_dir)},
      {"--truth", true, Text(f.truth)},
      {"--linger", false, Set(f.linger, true)},
      {"--prune-older-than", true,
       [&o](std::string_view v) {
         std::chrono::milliseconds d{};
         Status s = Duration(d, false)(v);
         if (s.ok()) o.prune_older_than = d;
         return s;
       }},
  };
}

}  // namespace

Result<SimFlags> ParseSimFlags(const std::vector<std::string>& args) {
  SimFlags flags;
  const std::vector<FlagSpec> specs = Specs(flags);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> value;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != arg.npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == arg) spec = &s;
    }
    if (spec == nullptr) {
      if (arg.rfind("-", 0) == 0) {
        return Status::InvalidArgument("unknown flag '" + std::string(arg) +
                                       "'");
      }
      return Status::InvalidArgument("unexpected argument '" +
                                     std::string(arg) + "'");
    }
    const std::string name(spec->name);
    if (spec->takes_value && !value) {
      if (i + 1 >= args.size()) {
        return Status::InvalidArgument(name + ": missing value");
      }
      value = args[++i];
    } else if (!spec->takes_value && value) {
      return Status::InvalidArgument(name + ": takes no value");
    }
    Status s = spec->set(value.value_or(""));
    if (!s.ok()) return Status::InvalidArgument(name + ": " + s.message());
  }
  if (!flags.help && flags.db.empty()) {
    return Status::InvalidArgument("--db: required");
  }
  return flags;
}

const char* SimUsage() {
  return R"(Usage: pipeline_exporter simulate --db PATH [flags]

Plays the pipeline orchestrator on a state database (state contract):
bulk-loads history and/or keeps creating, running, failing and finishing
runs live. The same --seed and flags give the same runs, steps and outcomes.

  --db PATH               state database (required); created with the
                          contract schema if missing; WAL mode
  --worktrees DIR         artifact folders <DIR>/<run_id>/ (default .worktrees)
  --no-artifacts          create no artifact folders
  --seed N                seed of every decision (default 1)

Bulk load (done first, in large transactions):
  --bulk N                N finished runs over the past --bulk-span
                          (~80% succeeded; failed, partial, quarantined,
                          canceled), ~5 events each
  --bulk-active M         M active runs started within the last hour
                          (mostly running, some pending)
  --steps-per-run N       steps per run (default 8)
  --bulk-span DURATION    spread of the finished runs (default 30d)
  --bulk-artifacts        also create artifact folders for bulk runs

Shape of the bulk-loaded data (`pipeline_exporter db-shape --db FILE`
prints these for an existing file; bench/README.md):
  --projects N            distinct projects (default 4; also live play)
  --phases N              distinct phases (default 5)
  --workstreams N         distinct workstreams (default 40; 0: none)
  --workstream-share P    fraction of runs with a workstream (default 0.67)
  --run-id-bytes N        length of run ids, 12 to 256 (default 26, a ULID)
  --project-bytes N       names lengthened to N bytes (default 0: as they
  --phase-bytes N         are: "proj-a", "phase1_planning", "ws-007")
  --workstream-bytes N
  --events-per-run X      mean events of a finished run; more step events
                          are written to reach it (default: ~5)
  --error-bytes N         mean bytes of an error message (default: the
                          simulator's texts, a few hundred bytes)
  --metadata-bytes N      bytes of a run's metadata JSON (default: ~90)

Live play (after any bulk load; until SIGINT/SIGTERM or --duration):
  --live                  play live
  --duration DURATION     stop after this long (default 0s = forever)
  --tick DURATION         time between steps of the simulation (default 1s)
  --runs-per-minute X     new runs per minute (default 12)
  --pending-rate P        fraction of runs that never start (default 0.05)
  --step-seconds X        mean step duration in seconds (default 5)
  --fail-rate P           fraction of runs in which a step fails; such a run
                          ends failed or quarantined, or goes on to end
                          partial (default 0.1)
  --stall-rate P          fraction of runs that stop progressing (default 0.05)
  --complete-runs         end a run after its last step (default)
  --no-complete-runs      leave such runs `running` with all steps terminal,
                          for the exporter's completion worker
  --prune-older-than DURATION
                          delete finished runs (steps, events) that ended
                          longer ago than this, about once a minute

Scenario play (instead of bulk load and live play; scenarios/README.md):
  --scenario FILE         a declarative day: background runs that succeed and
                          incidents at known times, played --compression
                          times faster than the wall clock
  --prepare               only create the database and write the scenario's
                          history, then exit
  --seed N, --compression F
                          override the scenario's seed and compression
  --worktrees DIR         as above
  --archive-dir DIR       the exporter's worker.archive-dir (default .archive)
  --ballast-dir DIR       a folder on the archive volume, filled by disk_fill
  --truth FILE            where the ground truth (JSON) is written at the end
  --linger                after the end (truth written, done printed), go on
                          with background runs only until SIGINT/SIGTERM
  stdout: one JSON object per line: start, action (stop_exporter,
  start_exporter), progress, done.

Durations: 500ms, 10s, 5m, 1h, 30d, 1h30m.
Exit status: 0 done, 1 database error, 2 bad flags.
)";
}

}  // namespace pe::sim
