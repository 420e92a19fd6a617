"""The exporter's flags and Prometheus' configuration for a scenario run.

Exporter: every time setting that matters for alerting is the shipped
default (or the scenario's simulated value) divided by the compression F,
then raised to the smallest value the exporter accepts. Raising is a
"clamp": it is reported with the run, because a clamped setting is slower,
in simulated time, than production (e.g. a 100ms poll is 24 simulated
seconds at F = 240, not 10s).

Prometheus: scrape and rule evaluation every simulated minute (a common
production interval; 250ms at F = 240, kept within [100ms, 15s]). A coarser
wall interval such as 1s is 4 simulated minutes: alerts whose thresholds
differ by a few minutes then land in the same or swapped evaluations (a
database outage made PipelineStateStale, 10m, fire one evaluation before
PipelineStateDatabaseUnreadable, 5m + detection, which inhibits it). Alerts
are re-sent to Alertmanager every second (--rules.alert.resend-delay,
default 1m); job name pipeline_exporter as the shipped rules expect. The
query lookback delta stays at its default: a target that goes away gets
staleness markers, which end its series at once.
"""

import json

import yaml

from alert_quality import durations

# (flag, the exporter's default as `pipeline_exporter --help` prints it,
#  the smallest value used). The minimums are the exporter's own (100ms for
# the two intervals, as --help says; 1s lease, 100ms retry backoff, 1ms
# otherwise) except busy-timeout: 20ms, so that a lock held by one of the
# simulator's write transactions does not fail a poll.
EXPORTER_TIMINGS = (
    ("state.poll-interval", "10s", "100ms"),
    ("state.busy-timeout", "2s", "20ms"),
    ("state.resync-interval", "5m", "1ms"),
    ("worker.interval", "10s", "100ms"),
    ("worker.lease", "5m", "1s"),
    ("worker.retry-backoff", "1m", "100ms"),
    ("worker.shutdown-grace", "30s", "0s"),
)
# (flag, scenario key, the simulator's default, minimum): simulated values
# the scenario names.
SCENARIO_TIMINGS = (
    ("metrics.recent-window", "recent_window", "1h", "1ms"),
    ("worker.scrub-interval", "scrub_interval", "1h", "0s"),
)

SIMULATED_INTERVAL_S = 60.0
INTERVAL_BOUNDS_S = (0.1, 15.0)
RESEND_DELAY_S = 1.0
JOB_NAME = "pipeline_exporter"


def load_scenario(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def scenario_seconds(scenario, key, default):
    """A simulated duration of the scenario in seconds."""
    return durations.seconds(scenario.get(key, default))


def _scaled(flag, simulated, factor, minimum):
    ms = durations.parse_ms(simulated)
    floor = durations.parse_ms(minimum)
    wanted = 0 if ms == 0 else max(int(round(ms / float(factor))), 1)
    value = wanted if ms == 0 else max(wanted, floor)
    return {"flag": flag, "simulated": simulated, "scaled": durations.format_ms(wanted),
            "value": durations.format_ms(value), "minimum": minimum,
            "clamped": value != wanted, "seconds": value / 1000.0}


def exporter_timings(scenario, factor):
    """[{flag, simulated, scaled, value, minimum, clamped, seconds}]."""
    rows = [_scaled(flag, default, factor, minimum)
            for flag, default, minimum in EXPORTER_TIMINGS]
    rows += [_scaled(flag, str(scenario.get(key, default)), factor, minimum)
             for flag, key, default, minimum in SCENARIO_TIMINGS]
    return rows


def exporter_args(binary, timings, db, listen, worktrees, archive, reports):
    """The exporter's command line for a run."""
    return ([binary, "--state.db=" + db, "--web.listen-address=" + listen,
             "--worker.enabled", "--worker.worktrees-dir=" + worktrees,
             "--worker.archive-dir=" + archive, "--worker.reports-dir=" + reports,
             "--log.level=info"] +
            ["--%s=%s" % (row["flag"], row["value"]) for row in timings])


def prometheus_interval_s(factor):
    """Scrape and evaluation interval (wall seconds): one simulated minute."""
    low, high = INTERVAL_BOUNDS_S
    return round(min(max(SIMULATED_INTERVAL_S / float(factor), low), high), 3)


def min_group_wait_ms(factor):
    """The least group_wait of the scaled routes: two rule evaluations, as
    production's 30s group_wait is two 15s evaluations. Shorter, an alert
    firing for a single evaluation (a poll that saw the state database a
    moment before the orchestrator's writes) would be notified at
    compression, where production's group_wait absorbs it."""
    return int(round(2000 * prometheus_interval_s(factor)))


def prometheus_config(rule_paths, exporter, alertmanager, interval_s):
    """prometheus.yml text: the scaled rules, the exporter, Alertmanager."""
    interval = durations.format_ms(int(round(interval_s * 1000)))
    return ("global:\n  scrape_interval: %s\n  evaluation_interval: %s\n"
            % (interval, interval) +
            "rule_files: %s\n" % json.dumps(rule_paths) +
            "alerting:\n  alertmanagers:\n"
            "    - static_configs: [{targets: [%s]}]\n" % json.dumps(alertmanager) +
            "scrape_configs:\n  - job_name: %s\n" % JOB_NAME +
            "    static_configs: [{targets: [%s]}]\n" % json.dumps(exporter))


def prometheus_args(binary, config, data_dir, listen):
    return [binary, "--config.file=" + config, "--storage.tsdb.path=" + data_dir,
            "--web.listen-address=" + listen, "--log.level=warn",
            "--rules.alert.resend-delay=%gs" % RESEND_DELAY_S]
