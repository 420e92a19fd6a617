#include "tools/sim/scenario_player.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "exporter/common/duration.h"
#include "exporter/common/json.h"
#include "tools/sim/artifacts.h"
#include "tools/sim/catalog.h"
#include "tools/sim/contract_db.h"
#include "tools/sim/error_text.h"
#include "tools/sim/event_kind.h"

namespace pe::sim {
namespace {

namespace fs = std::filesystem;

constexpr Micros kMinute = 60 * kMicrosPerSecond;
constexpr Micros kHour = 60 * kMinute;
// A damaged archive is picked among runs that ended at least this long ago
// (so the worker has archived them), looking again every minute until
// kCorruptGiveUp after the incident's time.
constexpr Micros kArchivedAfter = 15 * kMinute;
constexpr Micros kCorruptGiveUp = kHour;
constexpr Micros kFillStep = kMinute;
// disk_fill never fills a volume larger than this: it is meant for a small
// tmpfs made for the play, not for the machine's disk.
constexpr double kMaxFillBytes = 1024.0 * 1048576;
constexpr const char* kUnreadableSuffix = ".unreadable";
constexpr const char* kRetiredPhase = "phase0_legacy";

Micros ToSim(SimDuration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

Micros Draw(Rng& rng, const DurationRange& r) {
  return rng.Between(ToSim(r.min), ToSim(r.max));
}

std::string SimText(Micros us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(us) / 1e6);
  return buf;
}

struct Volume {
  double total = 0;
  double free = 0;
};

Result<Volume> StatVolume(const std::string& dir) {
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) {
    return Status::IoError("statvfs '" + dir + "': " + std::strerror(errno));
  }
  return Volume{static_cast<double>(st.f_blocks) * st.f_frsize,
                static_cast<double>(st.f_bavail) * st.f_frsize};
}

// Appends `bytes` zero bytes to `path` (real pages, even on tmpfs).
Status AppendZeros(const std::string& path, double bytes) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError("open '" + path + "': " + std::strerror(errno));
  }
  static const std::vector<char> kZeros(1 << 20, 0);
  Status s;
  while (bytes >= 1 && s.ok()) {
    const size_t n = static_cast<size_t>(
        std::min<double>(bytes, static_cast<double>(kZeros.size())));
    const ssize_t w = write(fd, kZeros.data(), n);
    if (w <= 0) {
      s = Status::IoError("write '" + path + "': " + std::strerror(errno));
    } else {
      bytes -= static_cast<double>(w);
    }
  }
  close(fd);
  return s;
}

// Overwrites 64 bytes in the middle of the file: a zip whose entries no
// longer match their CRCs.
Status DamageFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IoError("open '" + path + "': " + std::strerror(errno));
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const char junk[64] = {'\xff', '\x00', '\xa5', '\x5a'};
  const bool ok = !ec &&
                  pwrite(fd, junk, sizeof junk, static_cast<off_t>(size / 2)) ==
                      sizeof junk &&
                  fsync(fd) == 0;
  close(fd);
  return ok ? Status::Ok() : Status::IoError("damage '" + path + "'");
}

}  // namespace

struct ScenarioPlayer::Plan {
  std::string id;
  std::string project;
  std::string phase;
  std::optional<std::string> workstream;
  std::vector<std::string> step_ids;
  std::vector<std::string> step_names;
  Micros created = 0;
  Micros start_delay = 0;
  std::vector<Micros> steps;  // duration of each step
  std::set<int> failing;      // steps that fail while the run goes on
  int fail_run_at = -1;       // the step whose failure fails the run
  int stall_step = -1;        // the step that makes no progress for long
  bool worker_completes = false;
  bool broken_worktree = false;
  bool background = true;
  Incident* incident = nullptr;  // the incident this run carries out
};

ScenarioPlayer::ScenarioPlayer(const Scenario& scenario, const PlayPaths& paths,
                               Micros wall_start, ActionSink act)
    : scenario_(scenario),
      paths_(paths),
      wall_start_(wall_start),
      act_(std::move(act)),
      rng_(DeriveSeed(scenario.seed, "scenario")),
      ids_(DeriveSeed(scenario.seed, "scenario-ids")) {
  truth_.scenario = scenario.name;
  truth_.seed = scenario.seed;
  truth_.compression = scenario.compression;
  truth_.wall_start = wall_start;
  truth_.sim_duration = ToSim(scenario.duration);
  truth_.recent_window = ToSim(scenario.recent_window);
  truth_.scrub_interval = ToSim(scenario.scrub_interval);
}

ScenarioPlayer::~ScenarioPlayer() = default;

Result<std::unique_ptr<ScenarioPlayer>> ScenarioPlayer::Open(
    const Scenario& scenario, const PlayPaths& paths, Micros wall_start,
    ActionSink act) {
  std::unique_ptr<ScenarioPlayer> player(
      new ScenarioPlayer(scenario, paths, wall_start, std::move(act)));
  if (Status s = player->OpenDb(); !s.ok()) return s;
  player->truth_.incidents.resize(scenario.incidents.size());
  for (size_t i = 0; i < scenario.incidents.size(); ++i) {
    player->ScheduleIncident(i);
  }
  if (scenario.runs_per_hour > 0) player->ScheduleBackground(0);
  for (Micros t = kHour; t <= ToSim(scenario.duration); t += kHour) {
    player->Schedule(t, [p = player.get()](Micros at) {
      p->act_("{\"type\":\"progress\",\"sim\":" + SimText(at) + "}");
    });
  }
  return player;
}

Status ScenarioPlayer::OpenDb() {
  auto db = OpenContractDb(paths_.db);
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  try {
    writer_ = std::make_unique<ContractWriter>(*db_);
  } catch (const std::exception& e) {
    return Status::Internal("prepare writes on '" + paths_.db +
                            "': " + e.what());
  }
  return Status::Ok();
}

void ScenarioPlayer::Schedule(Micros at, std::function<void(Micros)> run) {
  queue_.push({at, next_seq_++, std::move(run)});
}

std::string ScenarioPlayer::Ts(Micros sim) {
  const Micros wall =
      wall_start_ +
      static_cast<Micros>(static_cast<double>(sim) / scenario_.compression);
  return MixedTimestamp(rng_, wall);
}

std::string ScenarioPlayer::Project(const std::string& wanted) {
  return wanted.empty() ? PickProject(rng_, scenario_.projects) : wanted;
}

std::shared_ptr<ScenarioPlayer::Plan> ScenarioPlayer::NewPlan(
    Micros created, const std::string& project) {
  auto plan = std::make_shared<Plan>();
  plan->id = ids_.Next();
  plan->project = project;
  plan->phase = PickPhase(rng_);
  plan->workstream = PickWorkstream(rng_);
  plan->created = created;
  plan->start_delay = Draw(rng_, scenario_.start_delay);
  for (int k = 0; k < scenario_.steps_per_run; ++k) {
    plan->step_ids.push_back(StepId(k));
    plan->step_names.push_back(StepName(k));
    plan->steps.push_back(Draw(rng_, scenario_.step_duration));
  }
  plan->worker_completes = rng_.Chance(scenario_.worker_completes);
  return plan;
}

void ScenarioPlayer::Launch(std::shared_ptr<Plan> plan) {
  ++truth_.runs_created;
  if (plan->background) ++truth_.background_runs;
  Schedule(plan->created, [this, plan](Micros t) {
    CreateRun(t, *plan);
    Schedule(t + plan->start_delay,
             [this, plan](Micros at) { StartRun(at, plan); });
  });
}

void ScenarioPlayer::ScheduleBackground(Micros t) {
  Schedule(t, [this](Micros at) {
    Launch(NewPlan(at, Project("")));
    const double mean = 3600.0 / scenario_.runs_per_hour;
    const Micros next =
        at + SecondsToMicros(mean * (0.7 + 0.6 * rng_.Uniform()));
    if (next < ToSim(scenario_.duration) || linger_) {
      ScheduleBackground(next);
    } else {
      next_background_ = next;
    }
  });
}

void ScenarioPlayer::ScheduleIncident(size_t index) {
  const IncidentSpec& spec = scenario_.incidents[index];
  Incident& inc = truth_.incidents[index];
  char id[16];
  std::snprintf(id, sizeof id, "i%02zu", index + 1);
  inc.id = id;
  inc.kind = spec.kind;
  const Micros at = ToSim(spec.at);
  auto run_plan = [&](const std::string& project) {
    auto plan = NewPlan(at, Project(project));
    plan->background = false;
    plan->incident = &inc;
    return plan;
  };
  auto mid_step = [&](const Plan& plan) {
    return static_cast<int>(
        1 + rng_.Below(static_cast<uint64_t>(plan.steps.size() - 2)));
  };
  switch (spec.kind) {
    case IncidentKind::kFailedRun: {
      auto plan = run_plan(spec.project);
      plan->fail_run_at = mid_step(*plan);
      inc.alerts.push_back({"PipelineRunFailed",
                            {{"run_id", plan->id},
                             {"project", plan->project},
                             {"phase", plan->phase},
                             {"state", "failed"},
                             {"step", plan->step_names[plan->fail_run_at]}}});
      inc.detail = "run " + plan->id + " fails at step " +
                   plan->step_names[plan->fail_run_at];
      Launch(plan);
      break;
    }
    case IncidentKind::kPartialRun: {
      auto plan = run_plan(spec.project);
      plan->failing.insert(mid_step(*plan));
      plan->worker_completes = true;
      inc.alerts.push_back(
          {"PipelineRunPartial",
           {{"run_id", plan->id}, {"project", plan->project}}});
      inc.detail = "run " + plan->id + " ends partial";
      Launch(plan);
      break;
    }
    case IncidentKind::kStalledRun: {
      auto plan = run_plan(spec.project);
      plan->stall_step = mid_step(*plan);
      plan->steps[plan->stall_step] = ToSim(spec.stall_for);
      inc.alerts.push_back(
          {"PipelineRunStalled",
           {{"run_id", plan->id}, {"project", plan->project}}});
      inc.detail = "run " + plan->id + " makes no progress at step " +
                   plan->step_names[plan->stall_step] + " for " +
                   FormatDuration(spec.stall_for);
      Launch(plan);
      break;
    }
    case IncidentKind::kNeverStarted: {
      auto plan = run_plan(spec.project);
      plan->start_delay = ToSim(spec.pending_for);
      inc.alerts.push_back(
          {"PipelineRunNotStarted",
           {{"run_id", plan->id}, {"project", plan->project}}});
      inc.detail = "run " + plan->id + " stays pending for " +
                   FormatDuration(spec.pending_for);
      Launch(plan);
      break;
    }
    case IncidentKind::kStepFailureBurst: {
      const std::string project = Project(spec.project);
      inc.alerts.push_back(
          {"PipelineStepFailuresElevated", {{"project", project}}});
      for (int r = 0; r < spec.runs; ++r) {
        auto plan = run_plan(project);
        plan->created = at + r * 2 * kMinute;
        plan->worker_completes = true;
        // failed_steps distinct steps, never the first or the last.
        while (static_cast<int>(plan->failing.size()) < spec.failed_steps) {
          plan->failing.insert(mid_step(*plan));
          if (plan->failing.size() + 2 >= plan->steps.size()) break;
        }
        inc.alerts.push_back({"PipelineRunPartial",
                              {{"run_id", plan->id}, {"project", project}}});
        Launch(plan);
      }
      inc.detail = std::to_string(spec.runs) + " runs of " + project +
                   " end partial, " + std::to_string(spec.failed_steps) +
                   " failed steps each";
      break;
    }
    case IncidentKind::kArchivalFailure: {
      auto plan = run_plan(spec.project);
      plan->broken_worktree = true;
      plan->worker_completes = false;
      inc.alerts.push_back({"PipelineArchivalFailing", {}});
      inc.detail = "run " + plan->id +
                   " leaves a file where its worktree folder belongs, "
                   "repaired after " +
                   FormatDuration(spec.duration);
      Launch(plan);
      break;
    }
    case IncidentKind::kCorruptArchive:
      inc.alerts.push_back({"PipelineArchiveIntegrityFailed", {}});
      Schedule(at, [this, &inc, at](Micros t) {
        CorruptArchive(t, inc, at + kCorruptGiveUp);
      });
      break;
    case IncidentKind::kDiskFill: {
      inc.alerts.push_back({"PipelineArchiveStorageFillingUp", {}});
      inc.alerts.push_back({"PipelineArchiveStorageLow", {}});
      const Micros ramp_end = at + ToSim(spec.ramp);
      const Micros end = ramp_end + ToSim(spec.hold);
      inc.detail = "the archive volume fills to " +
                   std::to_string(static_cast<int>(spec.fill_to * 100)) +
                   "% over " + FormatDuration(spec.ramp) + ", held " +
                   FormatDuration(spec.hold);
      Schedule(at, [this, &inc, ramp_end, end, to = spec.fill_to](Micros t) {
        auto volume = StatVolume(paths_.ballast_dir);
        if (!volume.ok()) {
          inc.detail += "; not injected: " + volume.status().message();
          return;
        }
        if (volume->total > kMaxFillBytes) {
          inc.detail +=
              "; not injected: '" + paths_.ballast_dir +
              "' is on a volume of " +
              std::to_string(static_cast<int64_t>(volume->total / 1048576)) +
              " MiB; disk_fill only fills volumes of at most 1 GiB "
              "(a tmpfs made for the play)";
          std::fprintf(stderr, "simulate: %s: %s\n", inc.id.c_str(),
                       inc.detail.c_str());
          return;
        }
        inc.MarkInjected(t, end);
        FillVolume(t, inc, ramp_end, 1 - volume->free / volume->total, to);
        Schedule(end, [this](Micros) { RemoveBallast(); });
      });
      break;
    }
    case IncidentKind::kDbUnreadable: {
      inc.alerts.push_back({"PipelineStateDatabaseUnreadable", {}});
      const Micros end = at + ToSim(spec.duration);
      inc.detail = "the state database is missing (renamed away) for " +
                   FormatDuration(spec.duration);
      Schedule(at, [this, &inc, end](Micros t) {
        inc.MarkInjected(t, end);
        MakeDbUnreadable(t);
      });
      Schedule(end, [this](Micros t) { RestoreDb(t); });
      break;
    }
    case IncidentKind::kExporterRestart: {
      inc.alerts.push_back({"PipelineExporterDown", {}});
      const Micros end = at + ToSim(spec.down_for);
      inc.detail = "the exporter is killed and restarted after " +
                   FormatDuration(spec.down_for);
      Schedule(at, [this, &inc, end](Micros t) {
        inc.MarkInjected(t, end);
        Act("stop_exporter", inc);
      });
      Schedule(end, [this, &inc](Micros) { Act("start_exporter", inc); });
      break;
    }
  }
}

void ScenarioPlayer::Event(Micros t, const std::string& run_id, int kind,
                           std::string data) {
  const Micros wall = wall_start_ + static_cast<Micros>(static_cast<double>(t) /
                                                        scenario_.compression);
  EventRow row = MakeEvent(rng_, wall, run_id, static_cast<EventKind>(kind),
                           std::move(data));
  writes_.push_back(
      [row = std::move(row)](ContractWriter& w) { w.InsertEvent(row); });
}

void ScenarioPlayer::CreateRun(Micros t, Plan& plan) {
  RunRow row;
  row.run_id = plan.id;
  row.project_id = plan.project;
  row.phase_id = plan.phase;
  row.workstream_id = plan.workstream;
  row.state = "pending";
  row.created_at = Ts(t);
  row.updated_at = row.created_at;
  row.metadata = MakeRunMetadata(rng_, /*allow_invalid=*/false);
  std::vector<StepRow> steps =
      PendingStepRows(plan.id, plan.step_ids, plan.step_names);
  writes_.push_back([row, steps](ContractWriter& w) {
    w.InsertRun(row);
    for (const StepRow& step : steps) w.InsertStep(step);
  });
  Event(t, plan.id, static_cast<int>(EventKind::kRunCreated),
        JsonObject()
            .Str("project_id", plan.project)
            .Str("phase_id", plan.phase)
            .Int("steps", static_cast<int64_t>(plan.steps.size()))
            .Build());
  if (plan.incident && plan.incident->kind == IncidentKind::kNeverStarted) {
    plan.incident->MarkInjected(t, t + plan.start_delay);
  }
}

void ScenarioPlayer::StartRun(Micros t, std::shared_ptr<Plan> plan) {
  writes_.push_back([id = plan->id, ts = Ts(t)](ContractWriter& w) {
    w.UpdateRun(id, "running", ts, std::nullopt, ts);
  });
  Event(t, plan->id, static_cast<int>(EventKind::kRunStarted), "{}");
  const fs::path worktree = fs::path(paths_.worktrees) / plan->id;
  if (plan->broken_worktree) {
    std::error_code ec;
    fs::create_directories(paths_.worktrees, ec);
    if (FILE* f = std::fopen(worktree.c_str(), "w")) {
      std::fputs("not a folder: the run's tooling wrote its log here\n", f);
      std::fclose(f);
      broken_worktrees_.insert(plan->id);
    }
  } else {
    (void)CreateRunArtifacts(paths_.worktrees, plan->id,
                             static_cast<int>(plan->steps.size()));
  }
  StartStep(t, plan, 0);
}

void ScenarioPlayer::StartStep(Micros t, std::shared_ptr<Plan> plan, int k) {
  writes_.push_back(
      [id = plan->id, step = plan->step_ids[k], ts = Ts(t)](ContractWriter& w) {
        w.UpdateStep(id, step, "running", 1, ts, std::nullopt, std::nullopt);
        w.UpdateRun(id, "running", std::nullopt, std::nullopt, ts);
      });
  Event(t, plan->id, static_cast<int>(EventKind::kStepStarted),
        JsonObject().Str("step_id", plan->step_ids[k]).Build());
  if (k == plan->stall_step && plan->incident) {
    plan->incident->MarkInjected(t, t + plan->steps[k]);
  }
  Schedule(t + plan->steps[k],
           [this, plan, k](Micros at) { EndStep(at, plan, k); });
}

void ScenarioPlayer::EndStep(Micros t, std::shared_ptr<Plan> plan, int k) {
  const bool fails_run = k == plan->fail_run_at;
  const bool fails = fails_run || plan->failing.count(k) > 0;
  if (fails) {
    const std::string error = MakeErrorMessage(rng_, plan->step_names[k]);
    writes_.push_back([id = plan->id, step = plan->step_ids[k], ts = Ts(t),
                       error](ContractWriter& w) {
      w.UpdateStep(id, step, "failed", 1, std::nullopt, ts, error);
      w.UpdateRun(id, "running", std::nullopt, std::nullopt, ts);
    });
    Event(t, plan->id, static_cast<int>(EventKind::kStepFailed),
          JsonObject()
              .Str("step_id", plan->step_ids[k])
              .Str("error", ErrorSummary(error))
              .Build());
    Incident* inc = plan->incident;
    if (inc && inc->kind == IncidentKind::kStepFailureBurst && !inc->injected) {
      inc->injected = true;
      inc->sim_start = t;
    }
  } else {
    writes_.push_back([id = plan->id, step = plan->step_ids[k],
                       ts = Ts(t)](ContractWriter& w) {
      w.UpdateStep(id, step, "completed", 1, std::nullopt, ts, std::nullopt);
      w.UpdateRun(id, "running", std::nullopt, std::nullopt, ts);
    });
    Event(t, plan->id, static_cast<int>(EventKind::kStepCompleted),
          JsonObject().Str("step_id", plan->step_ids[k]).Build());
  }
  if (!plan->broken_worktree) {
    (void)AppendStepLog(paths_.worktrees, plan->id, plan->step_ids[k],
                        fails ? "FAILED" : "done");
  }
  if (fails_run) {
    EndRun(t, *plan, "failed");
  } else if (k + 1 < static_cast<int>(plan->steps.size())) {
    StartStep(t, plan, k + 1);
  } else {
    EndRun(t, *plan, plan->failing.empty() ? "succeeded" : "partial");
  }
}

void ScenarioPlayer::EndRun(Micros t, Plan& plan, const char* state) {
  const std::string st = state;
  if (st == "failed") {
    writes_.push_back([id = plan.id, ts = Ts(t)](ContractWriter& w) {
      w.SkipOpenSteps(id, ts);
      w.UpdateRun(id, "failed", std::nullopt, ts, ts);
    });
    Event(t, plan.id, static_cast<int>(EventKind::kRunFailed), "{}");
  } else if (!plan.worker_completes) {
    writes_.push_back([id = plan.id, st, ts = Ts(t)](ContractWriter& w) {
      w.UpdateRun(id, st, std::nullopt, ts, ts);
    });
    Event(t, plan.id, static_cast<int>(EventKind::kRunCompleted),
          JsonObject().Str("state", st).Build());
  }
  if (plan.background) ended_.emplace_back(t, plan.id);
  Incident* inc = plan.incident;
  if (inc == nullptr) return;
  const Micros window = truth_.recent_window;
  switch (inc->kind) {
    case IncidentKind::kFailedRun:
    case IncidentKind::kPartialRun:
      inc->MarkInjected(t, t + window);
      break;
    case IncidentKind::kStepFailureBurst:
      inc->sim_end = std::max(inc->sim_end, t + window);
      break;
    case IncidentKind::kArchivalFailure: {
      const size_t index = static_cast<size_t>(inc - truth_.incidents.data());
      const Micros repair = t + ToSim(scenario_.incidents[index].duration);
      inc->MarkInjected(t, repair);
      Schedule(repair, [this, id = plan.id,
                        steps = static_cast<int>(plan.steps.size())](Micros) {
        std::error_code ec;
        fs::remove(fs::path(paths_.worktrees) / id, ec);
        (void)CreateRunArtifacts(paths_.worktrees, id, steps);
        broken_worktrees_.erase(id);
      });
      break;
    }
    default:
      break;
  }
}

void ScenarioPlayer::CorruptArchive(Micros t, Incident& inc, Micros give_up) {
  for (auto it = ended_.rbegin(); it != ended_.rend(); ++it) {
    if (it->first > t - kArchivedAfter) continue;
    const std::string zip = paths_.archive_dir + "/" + it->second + ".zip";
    std::error_code ec;
    if (fs::file_size(zip, ec) < 256 || ec) continue;
    Status s = DamageFile(zip);
    if (!s.ok()) {
      inc.detail = "not injected: " + s.message();
      return;
    }
    inc.MarkInjected(t, t + truth_.scrub_interval);
    inc.detail = "the archive of run " + it->second + " is damaged on disk";
    return;
  }
  if (t + kMinute <= give_up) {
    Schedule(t + kMinute, [this, &inc, give_up](Micros at) {
      CorruptArchive(at, inc, give_up);
    });
  } else {
    inc.detail = "not injected: no archived run to damage";
  }
}

void ScenarioPlayer::FillVolume(Micros t, Incident& inc, Micros ramp_end,
                                double from, double to) {
  auto volume = StatVolume(paths_.ballast_dir);
  if (!volume.ok()) return;
  const double share =
      ramp_end <= inc.sim_start
          ? 1.0
          : std::min(1.0, static_cast<double>(t - inc.sim_start) /
                              static_cast<double>(ramp_end - inc.sim_start));
  const double target_used = (from + (to - from) * share) * volume->total;
  const double used = volume->total - volume->free;
  if (target_used > used) {
    ballast_ = true;
    (void)AppendZeros(paths_.ballast_dir + "/ballast", target_used - used);
  }
  if (t + kFillStep < inc.sim_end) {  // the ballast goes at sim_end
    Schedule(t + kFillStep, [this, &inc, ramp_end, from, to](Micros at) {
      FillVolume(at, inc, ramp_end, from, to);
    });
  }
}

void ScenarioPlayer::RemoveBallast() {
  if (!ballast_) return;
  std::error_code ec;
  fs::remove(paths_.ballast_dir + "/ballast", ec);
  ballast_ = false;
}

void ScenarioPlayer::MakeDbUnreadable(Micros) {
  (void)Flush();  // what is pending was written before the outage
  writer_.reset();
  db_.reset();
  std::error_code ec;
  fs::rename(paths_.db, paths_.db + kUnreadableSuffix, ec);
  db_unreadable_ = !ec;
  if (ec) {
    std::fprintf(stderr, "simulate: cannot rename '%s': %s\n",
                 paths_.db.c_str(), ec.message().c_str());
    (void)OpenDb();
  }
}

void ScenarioPlayer::RestoreDb(Micros) {
  if (!db_unreadable_) return;
  std::error_code ec;
  fs::rename(paths_.db + kUnreadableSuffix, paths_.db, ec);
  if (ec) {
    std::fprintf(stderr, "simulate: cannot restore '%s': %s\n",
                 paths_.db.c_str(), ec.message().c_str());
    return;
  }
  db_unreadable_ = false;
  // The writes held back go in at once: a reader that sees the file again
  // should see the orchestrator's progress too, not runs that look stalled.
  Status s = OpenDb();
  if (s.ok()) s = Flush();
  if (!s.ok()) std::fprintf(stderr, "simulate: %s\n", s.ToString().c_str());
}

void ScenarioPlayer::Act(const char* action, const Incident& incident) {
  act_(std::string("{\"type\":\"action\",\"action\":\"") + action +
       "\",\"incident\":" + JsonQuote(incident.id) + "}");
}

Status ScenarioPlayer::Flush() {
  if (writes_.empty() || db_unreadable_ || !db_) return Status::Ok();
  Status s = WriteTransaction(*db_, "scenario writes", [&] {
    for (const Write& w : writes_) w(*writer_);
  });
  if (s.ok()) writes_.clear();
  return s;
}

void ScenarioPlayer::Linger() {
  linger_ = true;
  if (next_background_) ScheduleBackground(*next_background_);
  next_background_.reset();
}

Status ScenarioPlayer::Tick(Micros wall_now) {
  const Micros elapsed = static_cast<Micros>(
      static_cast<double>(wall_now - wall_start_) * scenario_.compression);
  const Micros now =
      linger_ ? elapsed : std::min(ToSim(scenario_.duration), elapsed);
  while (!queue_.empty() && queue_.top().at <= now) {
    Item item = queue_.top();
    queue_.pop();
    item.run(item.at);
  }
  played_ = std::max(played_, now);
  return Flush();
}

bool ScenarioPlayer::done() const {
  return played_ >= ToSim(scenario_.duration) && writes_.empty() &&
         !db_unreadable_;
}

void ScenarioPlayer::Finish(Micros wall_now) {
  RestoreDb(played_);
  (void)Flush();
  RemoveBallast();
  for (const std::string& id : broken_worktrees_) {
    std::error_code ec;
    fs::remove(fs::path(paths_.worktrees) / id, ec);
  }
  broken_worktrees_.clear();
  truth_.wall_end = wall_now;
}

Status PrepareScenario(const Scenario& scenario, const std::string& db_path,
                       Micros now) {
  auto db = OpenContractDb(db_path);
  if (!db.ok()) return db.status();
  Rng rng(DeriveSeed(scenario.seed, "history"));
  RunIdGenerator ids(DeriveSeed(scenario.seed, "history-ids"));
  const double f = scenario.compression;
  auto wall = [&](Micros ago) {
    return now - static_cast<Micros>(static_cast<double>(ago) / f);
  };
  auto add_run = [&](ContractWriter& w, const std::string& project,
                     const std::string& phase, Micros ended_ago) {
    const std::string id = ids.Next();
    const Micros steps = scenario.steps_per_run;
    const Micros step = ToSim(scenario.step_duration.max);
    const Micros started_ago = ended_ago + steps * step;
    const std::string created =
        MixedTimestamp(rng, wall(started_ago + kMinute));
    const std::string started = MixedTimestamp(rng, wall(started_ago));
    const std::string ended = MixedTimestamp(rng, wall(ended_ago));
    RunRow run;
    run.run_id = id;
    run.project_id = project;
    run.phase_id = phase;
    run.state = "succeeded";
    run.created_at = created;
    run.started_at = started;
    run.ended_at = ended;
    run.updated_at = ended;
    w.InsertRun(run);
    for (int k = 0; k < scenario.steps_per_run; ++k) {
      StepRow s;
      s.run_id = id;
      s.step_id = StepId(k);
      s.name = StepName(k);
      s.state = "completed";
      s.started_at = MixedTimestamp(rng, wall(started_ago - k * step));
      s.ended_at = MixedTimestamp(rng, wall(started_ago - (k + 1) * step));
      w.InsertStep(s);
    }
    for (auto [kind, at] :
         {std::pair{EventKind::kRunCreated, started_ago + kMinute},
          std::pair{EventKind::kRunStarted, started_ago},
          std::pair{EventKind::kRunCompleted, ended_ago}}) {
      w.InsertEvent(MakeEvent(rng, wall(at), id, kind, "{}"));
    }
  };
  return WriteTransaction(**db, "write the scenario's history", [&] {
    ContractWriter w(**db);
    const Micros span = ToSim(scenario.history.span);
    for (int p = 0; p < scenario.projects; ++p) {
      for (size_t ph = 0; ph < PhaseCount(); ++ph) {
        for (int r = 0; r < scenario.history.runs_per_pair; ++r) {
          const Micros ago =
              10 * kMinute +
              static_cast<Micros>(rng.Uniform() * static_cast<double>(span));
          add_run(w, ProjectName(static_cast<size_t>(p)), PhaseName(ph), ago);
        }
      }
    }
    const Micros retired = ToSim(scenario.history.retired_age);
    for (int r = 0; r < scenario.history.retired_runs; ++r) {
      add_run(w, ProjectName(0), kRetiredPhase,
              retired + static_cast<Micros>(rng.Uniform() * 2 * 24 * kHour));
    }
  });
}

}  // namespace pe::sim
