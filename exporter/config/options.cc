#include "exporter/config/options.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "exporter/common/byte_size.h"
#include "exporter/common/duration.h"
#include "exporter/common/pattern_list.h"

namespace pe {
namespace {

using std::chrono::milliseconds;
constexpr long long kMaxCount = std::numeric_limits<long long>::max();

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string CheckNotEmpty(std::string_view value) {
  return value.empty() ? "must not be empty" : "";
}

std::string CheckNothing(std::string_view) { return ""; }

std::string CheckRegex(std::string_view value) {
  if (value.empty()) return "";
  Result<FullMatch> match = FullMatch::Compile(value);
  return match.ok() ? "" : match.status().message();
}

// The syntax only: whether each entry names a declared family is checked
// where the families are known (poll/selections.cc), before start-up.
std::string CheckPatternList(std::string_view value) {
  Result<std::vector<FullMatch>> list = CompilePatternList(value);
  return list.ok() ? "" : list.status().message();
}

// Shortest text that parses back to the same value ("1.5", not "1.500000").
std::string FormatFactor(double value) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

// A decimal factor (e.g. 1.5) from min up; kind kString, as the table has
// no number kind beyond integers.
Option FactorOption(std::string_view key, double Config::*field, double min,
                    std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kString;
  option.help = help;
  option.set = [field, min](std::string_view text, Config& config) {
    const std::string value(text);
    std::size_t used = 0;
    double parsed = 0;
    try {
      parsed = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (value.empty() || used != value.size() || !std::isfinite(parsed)) {
      return Status::InvalidArgument("invalid number " + Quoted(text) +
                                     " (use a decimal number, e.g. 1.5)");
    }
    if (parsed < min) {
      return Status::InvalidArgument("value " + Quoted(text) +
                                     " too small (use at least " +
                                     FormatFactor(min) + ")");
    }
    config.*field = parsed;
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return FormatFactor(config.*field);
  };
  return option;
}

// A size in bytes (ParseByteSize: "0", "512MB", "10GiB"); kind kString.
Option ByteSizeOption(std::string_view key, std::uint64_t Config::*field,
                      std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kString;
  option.help = help;
  option.set = [field](std::string_view text, Config& config) {
    Result<std::uint64_t> value = ParseByteSize(text);
    if (!value.ok()) return value.status();
    config.*field = *value;
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return FormatByteSize(config.*field);
  };
  return option;
}

// worker.backfill: "none", "all" or a duration ("0s" is none); kString.
Option BackfillOption(std::string_view key,
                      std::chrono::milliseconds Config::*field,
                      std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kString;
  option.help = help;
  option.set = [field](std::string_view text, Config& config) {
    if (text == "none" || text == "all") {
      config.*field = text == "all" ? milliseconds::max() : milliseconds(0);
      return Status::Ok();
    }
    Result<milliseconds> value = ParseDuration(text);
    if (!value.ok()) {
      return Status::InvalidArgument("invalid backfill " + Quoted(text) +
                                     " (use none, all or a duration, e.g. "
                                     "24h)");
    }
    config.*field = *value;
    return Status::Ok();
  };
  option.get = [field](const Config& config) -> std::string {
    if (config.*field == milliseconds::max()) return "all";
    if (config.*field <= milliseconds(0)) return "none";
    return FormatDuration(config.*field);
  };
  return option;
}

Option FlagOnly(Option option) {
  option.flag_only = true;
  return option;
}

// The table. Keep keys grouped by prefix: --help and the docs list them in
// this order. Defaults come from Config's initialisers.
std::vector<Option> BuildOptions() {
  return {
      FlagOnly(StringOption(
          "config.file", &Config::config_file, CheckNothing,
          "YAML configuration file. Its keys are the flag names as nested "
          "maps (state: {db: ...}); flags win over the file.")),
      StringOption("state.db", &Config::state_db, CheckNotEmpty,
                   "Path of the orchestrator's SQLite state database."),
      DurationOption("state.poll-interval", &Config::poll_interval,
                     milliseconds(100),
                     "How often to look for changes in the state database "
                     "(at least 100ms); a poll with no new commit costs one "
                     "pragma."),
      DurationOption("state.busy-timeout", &Config::busy_timeout,
                     milliseconds(1),
                     "How long to wait for a lock held by the orchestrator "
                     "before a database operation gives up."),
      DurationOption("state.resync-interval", &Config::resync_interval,
                     milliseconds(1),
                     "How often to re-read the whole runs table and the "
                     "tracked runs' steps, catching rows changed without an "
                     "event; the completion worker scans for such runs only "
                     "then."),
      SizeOption("state.event-batch", &Config::event_batch, 1, kMaxCount,
                 "Most events read per poll; a backlog is drained over "
                 "several polls."),
      DurationOption("metrics.recent-window", &Config::recent_window,
                     milliseconds(1),
                     "How long a run keeps its per-run series after it "
                     "ended."),
      SizeOption("metrics.max-tracked-runs", &Config::max_tracked_runs, 1,
                 kMaxCount,
                 "Most runs with per-run series (bounds cardinality); beyond "
                 "it the oldest ended runs are dropped first."),
      SizeOption("metrics.max-event-types", &Config::max_event_types, 1,
                 kMaxCount,
                 "Most distinct event types exported as label values; the "
                 "others count as event_type=\"other\"."),
      SizeOption("metrics.failure-reason-max-length",
                 &Config::failure_reason_max_length, 1, kMaxCount,
                 "Failure reasons in label values are cut to this many bytes "
                 "(on a UTF-8 boundary)."),
      StringOption("metrics.project-include", &Config::metrics_project_include,
                   CheckRegex,
                   "Regular expression over the whole project name: only "
                   "runs of matching projects get per-run series (empty: "
                   "every project). Aggregates count every project. "
                   "Reloadable."),
      StringOption("metrics.project-exclude", &Config::metrics_project_exclude,
                   CheckRegex,
                   "Regular expression over the whole project name: runs of "
                   "matching projects get no per-run series, even if "
                   "included; pipeline_exporter_excluded_runs counts them. "
                   "Reloadable."),
      StringOption("metrics.family-allow", &Config::metrics_family_allow,
                   CheckPatternList,
                   "Comma-separated metric family names or regular "
                   "expressions: only matching families are exposed (empty: "
                   "every family). An entry that matches no family is an "
                   "error."),
      StringOption("metrics.family-deny", &Config::metrics_family_deny,
                   CheckPatternList,
                   "Comma-separated metric family names or regular "
                   "expressions: matching families are not rendered or "
                   "served, even if allowed. An entry that matches no family "
                   "is an error."),
      StringOption("web.listen-address", &Config::listen_address,
                   CheckListenAddress,
                   "Address to listen on for HTTP requests: host:port or "
                   ":port (port 0 picks a free port)."),
      StringOption("web.telemetry-path", &Config::telemetry_path,
                   CheckTelemetryPath, "Path under which to expose metrics."),
      IntOption("web.threads", &Config::web_threads, 1, 64,
                "Number of HTTP worker threads (1 to 64), each serving one "
                "connection at a time: above the concurrent scrapers, with "
                "room for connections stalled in their headers (2s each)."),
      StringOption("web.config-file", &Config::web_config_file, CheckNothing,
                   "Web configuration file in the Prometheus exporter-toolkit "
                   "format: basic_auth_users (bcrypt hashes) and "
                   "tls_server_config; empty: no authentication, no TLS."),
      BoolOption("worker.enabled", &Config::worker_enabled,
                 "Run the completion worker: mark finished runs complete, "
                 "archive and verify their worktrees and write their reports. "
                 "Off by default: it writes to the orchestrator's database."),
      BoolOption("worker.mark-complete", &Config::worker_mark_complete,
                 "Let the worker mark running runs whose steps are all "
                 "terminal as succeeded or partial (run_completed event)."),
      StringOption("worker.worktrees-dir", &Config::worker_worktrees_dir,
                   CheckNotEmpty,
                   "Folder holding each run's worktree, <dir>/<run_id>/."),
      StringOption("worker.archive-dir", &Config::worker_archive_dir,
                   CheckNotEmpty,
                   "Folder receiving one verified zip per run, "
                   "<dir>/<run_id>.zip (created when missing)."),
      StringOption("worker.reports-dir", &Config::worker_reports_dir,
                   CheckNotEmpty,
                   "Folder receiving <run_id>_summary.json and .html."),
      DurationOption("worker.interval", &Config::worker_interval,
                     milliseconds(100),
                     "How often the worker looks for work when idle (at "
                     "least 100ms)."),
      DurationOption("worker.lease", &Config::worker_lease, milliseconds(1000),
                     "How long a claimed job stays leased to this process "
                     "without renewal; another exporter may take it over "
                     "after that."),
      IntOption("worker.deflate-level", &Config::worker_deflate_level, 1, 9,
                "Deflate level of the archives (1 fastest to 9 smallest)."),
      FactorOption("worker.free-space-factor",
                   &Config::worker_free_space_factor, 1.0,
                   "An archive is only started when the archive volume has "
                   "this many times the worktree's bytes free (at least 1)."),
      DurationOption("worker.retry-backoff", &Config::worker_retry_backoff,
                     milliseconds(100),
                     "Delay before a failed archival is retried; doubles with "
                     "each failed attempt, up to 1h."),
      IntOption("worker.concurrency", &Config::worker_concurrency, 1, 16,
                "How many runs are archived at the same time (1 to 16); "
                "each has its own thread and database connection."),
      BoolOption("worker.delete-worktrees", &Config::worker_delete_worktrees,
                 "Delete a run's worktree once its archive is written, "
                 "verified and recorded and its reports are written."),
      DurationOption("worker.scrub-interval", &Config::worker_scrub_interval,
                     milliseconds(0),
                     "Re-verify each retained archive when its last integrity "
                     "check is older than this (0s: no scrub)."),
      SizeOption("worker.retention.max-count",
                 &Config::worker_retention_max_count, 0, kMaxCount,
                 "Keep at most this many archives; the oldest go first "
                 "(0: no limit)."),
      ByteSizeOption("worker.retention.max-bytes",
                     &Config::worker_retention_max_bytes,
                     "Keep at most this many bytes of archives, e.g. 50GB "
                     "(units of 1024); the oldest go first (0: no limit)."),
      DurationOption("worker.retention.max-age",
                     &Config::worker_retention_max_age, milliseconds(0),
                     "Remove archives made longer ago than this (0s: no "
                     "limit)."),
      DurationOption("worker.shutdown-grace", &Config::worker_shutdown_grace,
                     milliseconds(0),
                     "On SIGTERM/SIGINT (or a worker restart by reload), how "
                     "long archives being written may take to finish before "
                     "they are abandoned (cleanly: redone at the next "
                     "start)."),
      BackfillOption("worker.backfill", &Config::worker_backfill,
                     "How far back the worker takes runs that ended before it "
                     "first ran on this database: none (only runs ending "
                     "after that), a duration before that first start (e.g. "
                     "24h), or all. Taken after fresh work, newest first."),
      FactorOption("worker.backfill-rate", &Config::worker_backfill_rate, 0,
                   "At most this many of those older runs (worker.backfill) "
                   "are queued a second, and only while no other job waits "
                   "(0: no limit)."),
      EnumOption<std::string>("log.level", &Config::log_level,
                              {{"debug", "debug"},
                               {"info", "info"},
                               {"warn", "warn"},
                               {"error", "error"}},
                              "Only log messages with at least this level."),
      EnumOption<LogFormat>(
          "log.format", &Config::log_format,
          {{"logfmt", LogFormat::kLogfmt}, {"json", LogFormat::kJson}},
          "Format of log lines on stderr."),
  };
}

}  // namespace

std::span<const Option> Options() {
  static const std::vector<Option> options = BuildOptions();
  return options;
}

const Option* FindOption(std::span<const Option> options,
                         std::string_view key) {
  for (const Option& option : options) {
    if (option.key == key) return &option;
  }
  return nullptr;
}

Result<bool> ParseBool(std::string_view text) {
  std::string lower;
  for (char c : text) {
    lower.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Status::InvalidArgument("invalid boolean " + Quoted(text) +
                                 " (use true or false)");
}

Result<long long> ParseInteger(std::string_view text, long long min,
                               long long max) {
  const std::string range = max == kMaxCount
                                ? "an integer >= " + std::to_string(min)
                                : "an integer from " + std::to_string(min) +
                                      " to " + std::to_string(max);
  if (text.empty()) {
    return Status::InvalidArgument("missing value (use " + range + ")");
  }
  long long value = 0;
  bool overflow = false;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("invalid value " + Quoted(text) +
                                     " (use " + range + ")");
    }
    overflow = overflow || __builtin_mul_overflow(value, 10, &value) ||
               __builtin_add_overflow(value, c - '0', &value);
  }
  if (overflow || value < min || value > max) {
    return Status::InvalidArgument("value " + Quoted(text) +
                                   " out of range (use " + range + ")");
  }
  return value;
}

std::string CheckListenAddress(std::string_view address) {
  const std::string usage = " (use host:port or :port, e.g. :9879)";
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return "invalid address " + Quoted(address) + ": missing port" + usage;
  }
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      return "invalid address " + Quoted(address) + ": space in host" + usage;
    }
  }
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return "invalid address " + Quoted(address) + ": malformed [IPv6] host" +
             usage;
    }
  } else if (host.find(':') != std::string_view::npos) {
    return "invalid address " + Quoted(address) +
           ": an IPv6 host must be in brackets, e.g. [::1]:9879";
  }
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && c >= '0' && c <= '9';
  if (!digits || std::stoi(std::string(port)) > 65535) {
    return "invalid address " + Quoted(address) + ": port must be 0 to 65535" +
           usage;
  }
  return "";
}

std::string CheckTelemetryPath(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return "invalid path " + Quoted(path) + ": must start with '/'";
  }
  if (path == "/") {
    return "invalid path \"/\": the landing page is served there";
  }
  if (path == "/-" || path.substr(0, 3) == "/-/") {
    return "invalid path " + Quoted(path) +
           ": /-/ is reserved for /-/healthy and /-/ready";
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7F || c == '?' || c == '#') {
      return "invalid path " + Quoted(path) +
             ": must not contain spaces, control characters, '?' or '#'";
    }
  }
  return "";
}

Option StringOption(std::string_view key, std::string Config::*field,
                    StringCheck check, std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kString;
  option.help = help;
  option.set = [field, check](std::string_view text, Config& config) {
    if (std::string error = check(text); !error.empty()) {
      return Status::InvalidArgument(error);
    }
    config.*field = std::string(text);
    return Status::Ok();
  };
  option.get = [field](const Config& config) { return config.*field; };
  return option;
}

Option DurationOption(std::string_view key, milliseconds Config::*field,
                      milliseconds min, std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kDuration;
  option.help = help;
  option.set = [field, min](std::string_view text, Config& config) {
    Result<milliseconds> value = ParseDuration(text);
    if (!value.ok()) return value.status();
    if (*value < min) {
      return Status::InvalidArgument("duration " + Quoted(text) +
                                     " too short (use at least " +
                                     FormatDuration(min) + ")");
    }
    config.*field = *value;
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return FormatDuration(config.*field);
  };
  return option;
}

Option SizeOption(std::string_view key, std::size_t Config::*field,
                  std::size_t min, std::size_t max, std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kPositiveInt;
  option.help = help;
  const auto lo = static_cast<long long>(min);
  const auto hi = static_cast<long long>(
      std::min<std::size_t>(max, static_cast<std::size_t>(kMaxCount)));
  option.set = [field, lo, hi](std::string_view text, Config& config) {
    Result<long long> value = ParseInteger(text, lo, hi);
    if (!value.ok()) return value.status();
    config.*field = static_cast<std::size_t>(*value);
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return std::to_string(config.*field);
  };
  return option;
}

Option IntOption(std::string_view key, int Config::*field, int min, int max,
                 std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kPositiveInt;
  option.help = help;
  option.set = [field, min, max](std::string_view text, Config& config) {
    Result<long long> value = ParseInteger(text, min, max);
    if (!value.ok()) return value.status();
    config.*field = static_cast<int>(*value);
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return std::to_string(config.*field);
  };
  return option;
}

Option BoolOption(std::string_view key, bool Config::*field,
                  std::string_view help) {
  Option option;
  option.key = key;
  option.kind = OptionKind::kBool;
  option.help = help;
  option.set = [field](std::string_view text, Config& config) {
    Result<bool> value = ParseBool(text);
    if (!value.ok()) return value.status();
    config.*field = *value;
    return Status::Ok();
  };
  option.get = [field](const Config& config) {
    return std::string(config.*field ? "true" : "false");
  };
  return option;
}

}  // namespace pe
