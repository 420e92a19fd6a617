#!/usr/bin/env python3
"""Runs an alert-quality scenario through the real binaries and scores it.

    python3 scripts/alert_quality/run.py --scenario scenarios/short.yml \\
        --binary build/exporter/pipeline_exporter [--seed N] [--out DIR] \\
        [--rules-dir rules] [--alertmanager-dir alertmanager] \\
        [--rule-override ALERT=EXPR ...]
    python3 scripts/alert_quality/run.py --rescore DIR   # score a saved run again

simulator (`pipeline_exporter simulate --scenario`) -> exporter with its
completion worker -> Prometheus with the scaled shipped rules ->
Alertmanager with the scaled shipped routes, inhibitions and templates ->
local Slack, email and webhook sinks (scripts/notification_sinks.py). All on
127.0.0.1, free ports; every child is stopped at the end, on error and on
Ctrl-C/SIGTERM too. Needs root (or CAP_SYS_ADMIN): the archive volume is a
64 MiB tmpfs the scenario fills up.

Steps: mount the tmpfs (archives/ and ballast/ on it); derive the scaled
rules and Alertmanager configuration (scale.py) and the exporter's flags
(stack.py); `simulate --prepare` the history; start the exporter, Alertmanager
and Prometheus and wait until every rule has been evaluated without error;
play the scenario (--linger: its background goes on after `done`), killing
the exporter (SIGKILL) on `stop_exporter` and starting it again, same flags
and port, on `start_exporter`; then drain: keep everything running until
every expected resolution is due (score.resolution_due), plus SETTLE_S; stop
everything; score (score.py).

The output directory (--out, default a new temp dir) receives truth.json,
notifications.json (raw and normalised), score.json, score.md, run.json
(settings, every scaled value, exporter clamps, phase times),
alert_states.json (Prometheus/Alertmanager alert states over time),
simulate.jsonl (the simulator's stdout), config/ (the scaled copies),
prometheus-data/ (see query.py) and logs/. Exit status: 0 pass, 1 the score
does not pass (each reason printed), 2 the run itself failed, 130
interrupted.
"""

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import queue
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from alert_quality import (durations, notifications, observe, processes, report,  # noqa: E402
                           results, routing, scale, score, stack)
import notification_sinks as sinks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOPBACK = "127.0.0.1"
VOLUME_SIZE = "64m"
# Recording goes on this long after the last resolution is due.
SETTLE_S = 3.0
READY_TIMEOUT_S = 60.0


class RunError(RuntimeError):
    """The run could not be carried out (not a score)."""


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def address():
    return "%s:%d" % (LOOPBACK, free_port())


def wait_for(what, predicate, timeout, child=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise RunError("%s exited while waiting for %s:\n%s"
                           % (child.name, what, child.log_tail()))
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:
            last = e
        time.sleep(0.1)
    raise RunError("timed out after %.0fs waiting for %s (%r)" % (timeout, what, last))


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def which(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise RunError("none of %s is installed (scripts/setup.sh)" % ", ".join(names))


class TmpfsVolume:
    """A tmpfs mounted at path for the run (the archive volume)."""

    def __init__(self, path, size=VOLUME_SIZE):
        self.path = path
        os.makedirs(path, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RunError("cannot mount a %s tmpfs at %s for the archive volume (%s); the "
                           "scenario runs as root or with CAP_SYS_ADMIN"
                           % (size, path, (result.stderr or result.stdout).strip()))
        self.mounted = True

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


# The escalation delay when the rules have no escalation rule (a run of
# older rules): the one alertmanager.yml promised.
DEFAULT_ESCALATION_DELAY_S = 7200.0


def promised_escalation_delay_s(rules_dir, factor):
    """The escalation delay the rules promise, scaled: the `for` of the
    escalation rule as written in rules_dir (before any --rule-override,
    which breaks what the rule does, not what it promises), or
    DEFAULT_ESCALATION_DELAY_S for rules without one."""
    for path in scale.rule_files(rules_dir):
        for group in scale.load_yaml(path).get("groups") or []:
            for rule in group.get("rules") or []:
                if rule.get("alert") == notifications.ESCALATION_ALERT:
                    return durations.seconds(rule.get("for", "0s")) / factor
    return DEFAULT_ESCALATION_DELAY_S / factor


def escalation_timing(factor, am_config, alerts, delay_s):
    """timing["escalation"] (score.escalation): the delay is delay_s; the
    latency from its end to the escalation
    receiver two evaluations, the resend delay and the root route's
    group_wait (the first notification of any new alert: not the escalation
    route's own, which a route-timed escalation makes the delay itself)."""
    rule = alerts.get(notifications.ESCALATION_ALERT)
    labels = dict((rule or {}).get("labels") or {"severity": "critical"},
                  alertname=notifications.ESCALATION_ALERT,
                  escalated_alertname="PipelineStateDatabaseUnreadable")
    leaf = routing.leaf_for(am_config["route"], labels, notifications.ESCALATION_RECEIVER)
    receiver = next((r for r in am_config.get("receivers") or []
                     if r["name"] == notifications.ESCALATION_RECEIVER), {})
    channels = [channel for key, channel in (("slack_configs", "slack"),
                                             ("email_configs", "email")) if receiver.get(key)]
    return {"delay_s": delay_s,
            "latency_s": (2 * stack.prometheus_interval_s(factor) + stack.RESEND_DELAY_S
                          + durations.seconds(am_config["route"]["group_wait"])),
            "repeat_interval_s": leaf["repeat_interval_s"] if leaf else 4 * 3600.0 / factor,
            "channels": channels}


def timing_for(factor, exporter_rows, am_config, alerts, escalation_delay_s):
    """The timing dict of score.score for this run's settings."""
    poll = next(r["seconds"] for r in exporter_rows if r["flag"] == "state.poll-interval")
    per_alert = {}
    for name, rule in alerts.items():
        labels = dict(rule.get("labels") or {}, alertname=name)
        per_alert[name] = {
            "severity": labels.get("severity"),
            "persistence_s": scale.alert_persistence_s(rule),
            "group_interval_s": max(leaf["group_interval_s"]
                                    for leaf in routing.leaves(am_config["route"], labels))}
    return {"compression": factor,
            "chain_s": poll + 2 * stack.prometheus_interval_s(factor) + stack.RESEND_DELAY_S,
            "tolerance_s": score.DEFAULT_TIMING["tolerance_s"],
            "storm_tolerance_s": score.DEFAULT_TIMING["storm_tolerance_s"],
            "alerts": per_alert,
            "escalation": escalation_timing(factor, am_config, alerts, escalation_delay_s)}


def drain_end(truth, timing, now):
    """When recording may stop: SETTLE_S after the later of now and the
    instant every expected resolution is due (score.resolution_due)."""
    t = dict(score.DEFAULT_TIMING, **timing)
    due = [score.resolution_due(i, e, t) for i in truth.get("incidents") or []
           for e in i.get("alerts") or []]
    return max([now] + due) + SETTLE_S


class ScenarioRun:
    """One scenario through the whole chain; execute() returns the score."""

    def __init__(self, scenario, binary, out_dir, seed=None, compression=None,
                 rules_dir=None, overrides=None, log=None, alertmanager_dir=None):
        self.scenario_path = os.path.abspath(scenario)
        self.binary = os.path.abspath(binary)
        self.out = os.path.abspath(out_dir)
        self.seed = seed
        self.scenario = stack.load_scenario(self.scenario_path)
        self.factor = float(compression or self.scenario.get("compression", 1))
        self.rules_dir = os.path.abspath(rules_dir or os.path.join(REPO, "rules"))
        self.alertmanager_dir = os.path.abspath(alertmanager_dir or
                                                os.path.join(REPO, "alertmanager"))
        self.overrides = dict(overrides or {})
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.phases = {}
        self.events = []
        self.actions = []

    # -- simulator ---------------------------------------------------------

    def sim_args(self, *extra):
        args = [self.binary, "simulate", "--scenario", self.scenario_path]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        if self.factor != self.scenario.get("compression"):
            args += ["--compression", durations.format_number(self.factor)]
        return args + list(extra)

    def prepare(self):
        result = subprocess.run(self.sim_args("--db", self.db, "--prepare"),
                                capture_output=True, text=True, timeout=300)
        with open(os.path.join(self.logs, "prepare.log"), "w", encoding="utf-8") as f:
            f.write(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RunError("simulate --prepare failed (%d):\n%s"
                           % (result.returncode, result.stderr[-3000:]))

    # -- daemons -----------------------------------------------------------

    def start_exporter(self):
        child = self.children.start("exporter", self.exporter_cmd)
        wait_for("the exporter to be ready",
                 lambda: http_ok("http://%s/-/ready" % self.exporter_addr),
                 READY_TIMEOUT_S, child)
        return child

    def start_alertmanager(self):
        child = self.children.start(
            "alertmanager",
            [which("prometheus-alertmanager", "alertmanager"),
             "--config.file=" + self.am_config_path,
             "--storage.path=" + os.path.join(self.work, "am-data"),
             "--web.listen-address=" + self.am_addr, "--cluster.listen-address=",
             "--log.level=info"],
            cwd=os.path.dirname(self.am_config_path), env=dict(os.environ, TZ="UTC"))
        wait_for("Alertmanager to be ready",
                 lambda: http_ok("http://%s/-/ready" % self.am_addr), READY_TIMEOUT_S, child)
        return child

    def start_prometheus(self):
        """Prometheus scraping the exporter; the rules are loaded (SIGHUP)
        once the first scrape succeeded: its discovery takes a few seconds,
        20 simulated minutes, which PipelineExporterAbsent (10m) would
        report otherwise."""
        config = os.path.join(self.config_dir, "prometheus.yml")

        def write(rules):
            with open(config, "w", encoding="utf-8") as f:
                f.write(stack.prometheus_config(rules, self.exporter_addr, self.am_addr,
                                                stack.prometheus_interval_s(self.factor)))
        write([])
        child = self.children.start("prometheus", stack.prometheus_args(
            which("prometheus"), config, os.path.join(self.out, "prometheus-data"),
            self.prom_addr))
        base = "http://%s" % self.prom_addr
        wait_for("Prometheus to be ready", lambda: http_ok(base + "/-/ready"),
                 READY_TIMEOUT_S, child)
        wait_for("the exporter target to be up", lambda: any(
            t["health"] == "up" for t in
            observe.get_json(base + "/api/v1/targets")["data"]["activeTargets"]),
            READY_TIMEOUT_S, child)
        write(self.rule_paths)
        child.proc.send_signal(signal.SIGHUP)
        wait_for("every rule to be evaluated", lambda: self.rules_evaluated(base),
                 READY_TIMEOUT_S, child)
        return child

    def rules_evaluated(self, base):
        rules = [r for g in observe.get_json(base + "/api/v1/rules")["data"]["groups"]
                 for r in g["rules"]]
        broken = ["%s: %s" % (r["name"], r.get("lastError")) for r in rules
                  if r.get("health") == "err"]
        if broken:
            raise RunError("rules fail to evaluate:\n  " + "\n  ".join(broken))
        return rules and all(r.get("health") == "ok" for r in rules)

    def check_alive(self):
        children = (self.am, self.prom) + ((self.exporter,) if self.exporter_up else ())
        for child in children + ((self.sim,) if self.sim is not None else ()):
            if not child.alive():
                raise RunError("%s exited during the run:\n%s" % (child.name, child.log_tail()))

    # -- the play ----------------------------------------------------------

    def play(self):
        """Plays the scenario and returns its truth, read at `done`. With
        --linger the simulator goes on with background runs after `done`
        (until teardown stops it), so the world does not freeze during the
        drain: running runs keep making progress."""
        truth_path = os.path.join(self.work, "truth.json")
        self.sim = self.children.start("simulate", self.sim_args(
            "--db", self.db, "--worktrees", self.worktrees, "--archive-dir", self.archive,
            "--ballast-dir", self.ballast, "--truth", truth_path, "--linger"), pipe_stdout=True)
        lines = queue.Queue()

        def pump(stream):
            with stream:
                for line in stream:
                    lines.put(line)
            lines.put(None)
        threading.Thread(target=pump, args=(self.sim.proc.stdout,), daemon=True).start()
        duration = durations.seconds(self.scenario["duration"]) / self.factor
        deadline = time.monotonic() + duration + 120
        with open(os.path.join(self.out, "simulate.jsonl"), "w", encoding="utf-8") as record:
            while True:
                if time.monotonic() > deadline:
                    raise RunError("the play did not end within %.0fs" % (duration + 120))
                try:
                    line = lines.get(timeout=0.2)
                except queue.Empty:
                    self.check_alive()
                    continue
                if line is None:
                    raise RunError('simulate exited %s before {"type":"done"}:\n%s'
                                   % (self.sim.proc.wait(), self.sim.log_tail()))
                record.write(line)
                record.flush()
                if self.on_line(line):
                    break
        with open(truth_path, encoding="utf-8") as f:
            return json.load(f)

    def on_line(self, line):
        try:
            event = json.loads(line)
        except ValueError:
            self.log("simulate: " + line.rstrip())
            return False
        event["received"] = time.time()
        self.events.append(event)
        kind = event.get("type")
        if kind == "start":
            self.phases["play_start"] = event["received"]
            self.log("play started: wall_start %.3f, compression %s"
                     % (event.get("wall_start", 0), event.get("compression")))
        elif kind == "action" and event.get("action") == "stop_exporter":
            self.exporter_up = False
            self.exporter.kill()
            self.actions.append({"action": "stop_exporter", "time": time.time(),
                                 "incident": event.get("incident")})
            self.log("exporter killed (%s)" % event.get("incident"))
        elif kind == "action" and event.get("action") == "start_exporter":
            self.exporter = self.start_exporter()
            self.exporter_up = True
            self.actions.append({"action": "start_exporter", "time": time.time(),
                                 "incident": event.get("incident")})
            self.log("exporter started again (%s)" % event.get("incident"))
        elif kind == "action":
            raise RunError("unknown action from the simulator: %s" % line.strip())
        elif kind == "progress":
            self.log("simulated %.1fh" % (float(event.get("sim", 0)) / 3600))
        return kind == "done"

    def drain(self, truth):
        now = time.time()
        until = drain_end(truth, self.timing, now)
        self.log("draining %.1fs (every expected resolution due, + %.0fs)"
                 % (until - now, SETTLE_S))
        while time.time() < until:
            self.check_alive()
            time.sleep(0.2)

    # -- everything --------------------------------------------------------

    def setup(self):
        os.makedirs(self.out, exist_ok=True)
        # A run writes its own TSDB: one left by an earlier run in the same
        # directory would feed its last samples (within the lookback) to
        # this run's first evaluations.
        shutil.rmtree(os.path.join(self.out, "prometheus-data"), ignore_errors=True)
        self.logs = os.path.join(self.out, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="pe-aq-")
        self.children = processes.Children(self.logs)
        self.volume = TmpfsVolume(os.path.join(self.work, "volume"))
        self.archive = os.path.join(self.volume.path, "archives")
        self.ballast = os.path.join(self.volume.path, "ballast")
        self.worktrees = os.path.join(self.work, "worktrees")
        self.reports = os.path.join(self.work, "reports")
        for path in (self.archive, self.ballast, self.worktrees, self.reports):
            os.makedirs(path, exist_ok=True)
        self.db = os.path.join(self.work, "state.db")
        self.config_dir = os.path.join(self.out, "config")
        self.exporter_addr, self.am_addr, self.prom_addr = address(), address(), address()

        self.http_sink = sinks.HttpSink()
        # aiosmtpd 1.4 logs a deprecation of its own at every AUTH.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self.smtp_sink = sinks.SmtpSink()
        self.rule_paths, rule_changes, self.alerts = scale.write_scaled_rules(
            self.rules_dir, os.path.join(self.config_dir, "rules"), self.factor, self.overrides)
        self.am_config_path, self.am_config, am_changes = scale.write_scaled_alertmanager(
            os.path.join(self.config_dir, "alertmanager"), self.http_sink.url(),
            self.smtp_sink.address, self.factor, stack.min_group_wait_ms(self.factor),
            self.alertmanager_dir)
        self.exporter_rows = stack.exporter_timings(self.scenario, self.factor)
        self.exporter_cmd = stack.exporter_args(
            self.binary, self.exporter_rows, self.db, self.exporter_addr, self.worktrees,
            self.archive, self.reports)
        check = subprocess.run(self.exporter_cmd + ["--check-config"], capture_output=True,
                               text=True, timeout=30)
        if check.returncode != 0:
            raise RunError("the exporter rejects the scaled flags:\n" + check.stdout + check.stderr)
        self.timing = timing_for(self.factor, self.exporter_rows, self.am_config, self.alerts,
                                 promised_escalation_delay_s(self.rules_dir, self.factor))
        self.changes = rule_changes + am_changes

    def execute(self):
        self.phases["begin"] = time.time()
        self.exporter_up = False
        self.states = self.sim = None
        truth = None
        try:
            self.setup()
            for row in self.exporter_rows:
                if row["clamped"]:
                    self.log("clamped: --%s %s / %g = %s -> %s (minimum)" % (
                        row["flag"], row["simulated"], self.factor, row["scaled"], row["value"]))
            for change in self.changes:
                if change.get("clamped"):
                    self.log("clamped: %s %s %s / %g -> %s (two evaluations)" % (
                        change["group"], change["kind"], change["before"], self.factor,
                        change["after"]))
            self.prepare()
            self.exporter = self.start_exporter()
            self.exporter_up = True
            self.am = self.start_alertmanager()
            self.prom = self.start_prometheus()
            self.states = observe.AlertStates(self.prom_addr, self.am_addr).start()
            self.phases["ready"] = time.time()
            truth = self.play()
            self.phases["play_end"] = time.time()
            self.drain(truth)
        finally:
            self.phases["drain_end"] = time.time()
            self.teardown()
        self.phases["end"] = time.time()
        return self.finish(truth)

    def teardown(self):
        if self.states is not None:
            self.states.stop()
        if hasattr(self, "children"):
            self.children.stop_all()
        for sink in ("http_sink", "smtp_sink"):
            if hasattr(self, sink):
                getattr(self, sink).close()
        if hasattr(self, "volume"):
            self.volume.unmount()
        if hasattr(self, "work"):
            shutil.rmtree(self.work, ignore_errors=True)

    def finish(self, truth):
        raw = {"http": notifications.raw_http(self.http_sink.requests),
               "email": notifications.raw_email(
                   self.smtp_sink.records(),
                   notifications.plain_text)}
        self.timing["drain_end"] = self.phases["drain_end"]
        meta = {"scenario": self.scenario_path, "seed": self.seed, "compression": self.factor,
                "binary": self.binary, "rules_dir": self.rules_dir,
                "alertmanager_dir": self.alertmanager_dir, "overrides": self.overrides,
                "timing": self.timing, "exporter_flags": self.exporter_rows,
                "exporter_command": self.exporter_cmd, "scaled": self.changes,
                "phases": self.phases, "actions": self.actions,
                "rule_labels": {name: dict(rule.get("labels") or {})
                                for name, rule in self.alerts.items()},
                "am_config": self.am_config}
        return results.save(self.out, truth, raw, meta, self.states.changes)


def parse_overrides(items):
    overrides = {}
    for item in items or []:
        name, sep, expr = item.partition("=")
        if not sep or not name.strip() or not expr.strip():
            raise SystemExit("--rule-override wants ALERT=EXPR, got %r" % item)
        overrides[name.strip()] = expr.strip()
    return overrides


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", help="scenario YAML (scenarios/*.yml)")
    parser.add_argument("--binary", help="the pipeline_exporter executable")
    parser.add_argument("--seed", type=int, help="overrides the scenario's seed")
    parser.add_argument("--compression", type=float, help="overrides the scenario's factor")
    parser.add_argument("--out", help="output directory (default: a new temp dir)")
    parser.add_argument("--rules-dir", help="rules to scale (default: rules/)")
    parser.add_argument("--alertmanager-dir",
                        help="alertmanager.yml and templates/ to scale (default: alertmanager/)")
    parser.add_argument("--rule-override", action="append", metavar="ALERT=EXPR",
                        help="replace an alert's expr in the scaled copy (verbatim); "
                             "ALERT.for=DURATION replaces its `for` (simulated, scaled)")
    parser.add_argument("--rescore", metavar="DIR", help="score a saved run again")
    args = parser.parse_args(argv)

    def interrupted(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    if args.rescore:
        result = results.rescore(args.rescore)
    else:
        if not args.scenario or not args.binary:
            parser.error("--scenario and --binary are required (or --rescore DIR)")
        out = args.out or tempfile.mkdtemp(prefix="alert-quality-")
        started = time.time()
        try:
            result = ScenarioRun(args.scenario, args.binary, out, seed=args.seed,
                                 compression=args.compression, rules_dir=args.rules_dir,
                                 overrides=parse_overrides(args.rule_override),
                                 alertmanager_dir=args.alertmanager_dir).execute()
        except (RunError, scale.ScaleError) as e:
            print("alert quality run failed: %s" % e, file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("alert quality run interrupted; every process stopped", file=sys.stderr)
            return 130
        print("run took %.0fs; results in %s" % (time.time() - started, out), file=sys.stderr)
    print(report.markdown([result]))
    print(report.headline(result))
    for reason in report.why(result):
        print("  - " + reason)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
