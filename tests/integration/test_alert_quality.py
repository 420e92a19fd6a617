"""Alert quality (issue 9): the scaled copies of the shipped rules and
routes, the scorer, and the short scenario scored through the real binaries.

Unit tests (no daemons): scripts/alert_quality/scale.py derives the
time-compressed copies (identical at compression 1; every `for`, range,
offset, `time() -` threshold and predict_linear horizon divided; nested and
anchored Alertmanager routes scaled once each); the exporter's scaled flags
agree with its --help and pass --check-config; Slack and email text rendered
by the shipped templates reads back into labels; score.py fails a run on an
unnotified incident, an unexplained notification, a storm and a missing
resolution, and passes a correct one.

Real runs: scenarios/short.yml with seeds 1 and 2 (about 130 s each) through
simulate -> exporter + worker -> Prometheus -> Alertmanager -> sinks, which
must score recall, precision, escalation precision and recall 100%, no
storm, one notification per incident alert per repeat interval and every
resolution sent (scenario_case.py); scenarios/outages.yml the same in
test_alert_quality_outages.py. The negative cases (broken rules, a broken
escalation, the defects of issue 21 put back must fail the score) are
test_alert_quality_broken.py.

Run by ctest as: python3 test_alert_quality.py --binary PATH --source-dir DIR
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

import pe_testlib as lib
import scenario_case

ARGS = lib.parse_args()
sys.path.insert(0, os.path.join(ARGS.source_dir, "scripts"))
from alert_quality import (durations, notifications, report, routing, scale,  # noqa: E402
                           score, stack)
from alert_quality import run as aq_run  # noqa: E402

RULES_DIR = os.path.join(ARGS.source_dir, "rules")
AM_CONFIG = os.path.join(ARGS.source_dir, "alertmanager", "alertmanager.yml")
TEMPLATES_GLOB = os.path.join(ARGS.source_dir, "alertmanager", "templates", "*.tmpl")
SHORT = os.path.join(ARGS.source_dir, "scenarios", "short.yml")
F = 240


# ---------------------------------------------------------------------------
# scale.py

class ExpressionScalingTest(unittest.TestCase):
    def scaled(self, expr, factor=F):
        return scale.scale_expr(expr, factor)[0]

    def test_time_comparisons_are_divided(self):
        self.assertEqual(self.scaled("(time() - x) > 1800"), "(time() - x) > 7.5")
        self.assertEqual(self.scaled("(time() - (x > 0)) > 900"), "(time() - (x > 0)) > 3.75")
        self.assertEqual(self.scaled("(time()-x) >= bool 3600 and y"),
                         "(time()-x) >= bool 15 and y")

    def test_ranges_subqueries_offsets_and_predict_linear_are_divided(self):
        self.assertEqual(self.scaled("increase(x[30m]) > 2"), "increase(x[7500ms]) > 2")
        self.assertEqual(self.scaled("max_over_time(x[1h:1m])"), "max_over_time(x[15s:250ms])")
        self.assertEqual(self.scaled("rate(x[5m] offset 5m)"), "rate(x[1250ms] offset 1250ms)")
        self.assertEqual(self.scaled("predict_linear(x[6h], 86400) < 0"),
                         "predict_linear(x[90s], 360) < 0")
        self.assertEqual(self.scaled("x[1h30m]", 1000), "x[5400ms]")

    def test_strings_comments_and_plain_numbers_are_kept(self):
        expr = 'x{reason="[5m] offset 1h", a=\'time()\'} > 1800 # [1h]\n'
        self.assertEqual(self.scaled(expr), expr)
        self.assertEqual(self.scaled("backlog > 10 and delta(backlog[1h]) > 0"),
                         "backlog > 10 and delta(backlog[15s]) > 0")

    def test_the_same_text_comes_back_at_compression_one(self):
        for expr in ("(time() - x) > 1800", "increase(x[30m]) > 2",
                     "predict_linear(x[6h], 86400) < 0", "x[1h:1m] offset 5m"):
            self.assertEqual(self.scaled(expr, 1), expr)

    def test_ages_as_of_a_timestamp_are_divided(self):
        expr = ("(\n  poll_success_timestamp_seconds\n- on (job) group_right\n"
                "  progress_timestamp_seconds\n) > 1800 and y")
        self.assertEqual(self.scaled(expr), expr.replace("1800", "7.5"))
        self.assertEqual(self.scaled("(a_timestamp_seconds{x=\"1\"} - b) >= 3600"),
                         "(a_timestamp_seconds{x=\"1\"} - b) >= 15")
        # A timestamp that does not start a difference is no age.
        self.assertEqual(self.scaled("(a_timestamp_seconds > 0) * 900"),
                         "(a_timestamp_seconds > 0) * 900")

    def test_unknown_durations_stop_the_derivation(self):
        for expr in ("time() - x > 1800", "x > time()", "predict_linear(x[6h], 2 * 3600) < 0",
                     "x[$window]", "(a_timestamp_seconds - b)"):
            with self.subTest(expr=expr):
                with self.assertRaises(scale.ScaleError):
                    scale.scale_expr(expr, F)
        # Recording rules may use time() as a value (an age).
        self.assertEqual(scale.scale_expr("max(time() - x)", F, strict=False)[0],
                         "max(time() - x)")

    def test_persistence_follows_and_or_unless(self):
        def persistence(expr):
            return scale.alert_persistence_s({"expr": expr})
        self.assertEqual(persistence("increase(x[30m]) > 2"), 1800)
        self.assertEqual(persistence("a < 0.4 and predict_linear(b[6h], 86400) < 0"), 0)
        self.assertEqual(persistence("increase(a[1h]) > 0 or b > 0"), 3600)
        self.assertEqual(persistence("rate(a[5m]) > 1 unless b[1h] > 0"), 300)
        self.assertEqual(persistence("(c[10m] and d[20m])"), 600)
        self.assertEqual(scale.alert_persistence_s(
            {"expr": "x[5m]", "keep_firing_for": "10m"}), 900)


class RuleScalingTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-aq-scale-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name

    def test_compression_one_gives_the_shipped_rules(self):
        paths, changes, _ = scale.write_scaled_rules(RULES_DIR, self.tmp, 1)
        self.assertEqual([os.path.basename(p) for p in paths],
                         [os.path.basename(p) for p in scale.rule_files(RULES_DIR)])
        for path in paths:
            self.assertEqual(scale.load_yaml(path),
                             scale.load_yaml(os.path.join(RULES_DIR, os.path.basename(path))))
        self.assertTrue(changes)
        self.assertTrue(all(c["before"] == c["after"] for c in changes))

    def test_every_scaled_value_is_the_shipped_one_divided(self):
        _, changes, _ = scale.write_scaled_rules(RULES_DIR, self.tmp, F)
        for change in changes:
            with self.subTest(change=change):
                if change["kind"] in ("threshold", "predict_linear"):
                    before, after = float(change["before"]), float(change["after"])
                else:
                    before, after = (durations.parse_ms(change["before"]),
                                     durations.parse_ms(change["after"]))
                self.assertAlmostEqual(after, before / F, delta=max(1e-6, before / F * 1e-3))

    def test_every_alert_with_a_duration_is_scaled(self):
        """Drift guard: an alert with a `for`, a range or a `time()` whose
        durations the derivation did not find fails here."""
        _, changes, _ = scale.write_scaled_rules(RULES_DIR, self.tmp, F)
        kinds = {}
        for change in changes:
            kinds.setdefault(change["rule"], set()).add(change["kind"])
        checked = 0
        for path in scale.rule_files(RULES_DIR):
            for group in scale.load_yaml(path)["groups"]:
                for rule in group["rules"]:
                    if "alert" not in rule:
                        continue
                    expr, name = rule["expr"], rule["alert"]
                    with self.subTest(alert=name):
                        if "for" in rule:
                            self.assertIn("for", kinds.get(name, ()))
                        if "[" in expr:
                            self.assertIn("range", kinds.get(name, ()))
                        # Ages: `(time() - ...)` and `(t_timestamp_seconds - ...)`.
                        ages = expr.count("time()") + len(
                            re.findall(r"\(\s*\w+_timestamp_seconds\s*-", expr))
                        if ages:
                            thresholds = [c for c in changes
                                          if c["rule"] == name and c["kind"] == "threshold"]
                            self.assertEqual(len(thresholds), ages)
                        if "predict_linear" in expr:
                            self.assertIn("predict_linear", kinds.get(name, ()))
                    checked += 1
        self.assertGreaterEqual(checked, 10)

    def test_known_shipped_thresholds(self):
        _, _, alerts = scale.write_scaled_rules(RULES_DIR, self.tmp, F)
        self.assertIn(") > 7\n", alerts["PipelineRunStalled"]["expr"])
        self.assertEqual(alerts["PipelineRunStalled"]["for"], "500ms")
        self.assertEqual(alerts["PipelineRunStalled"]["keep_firing_for"], "2500ms")
        self.assertIn("> 14.5", alerts["PipelineRunNotStarted"]["expr"])
        self.assertEqual(alerts["PipelineAlertEscalated"]["for"], "30s")
        self.assertEqual(alerts["PipelineExporterDown"]["for"], "1250ms")
        self.assertIn("[7500ms]", alerts["PipelineArchivalFailing"]["expr"])
        self.assertIn("[90s], 360)", alerts["PipelineArchiveStorageFillingUp"]["expr"])

    def test_promtool_accepts_the_scaled_rules(self):
        for factor in (1, F, 1000):
            paths, _, _ = scale.write_scaled_rules(RULES_DIR, os.path.join(self.tmp, str(factor)),
                                                   factor)
            result = lib.run_promtool("check", "rules", *paths)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_override_replaces_one_expression_and_rejects_unknown_alerts(self):
        _, changes, alerts = scale.write_scaled_rules(
            RULES_DIR, self.tmp, F, {"PipelineRunFailed": "vector(0) > 1",
                                     "PipelineAlertEscalated.for": "20m"})
        self.assertEqual(alerts["PipelineRunFailed"]["expr"], "vector(0) > 1")
        self.assertEqual(alerts["PipelineAlertEscalated"]["for"], "5s")
        self.assertTrue({"override", "override_for"} <= {c["kind"] for c in changes})
        with self.assertRaises(scale.ScaleError):
            scale.write_scaled_rules(RULES_DIR, self.tmp, F, {"NoSuchAlert": "vector(1)"})


ANCHORED = """
route:
  receiver: a
  group_wait: 30s
  routes:
    - receiver: b
      routes: &throttles
        - matchers: ['alertname="X"']
          group_interval: 15m
          repeat_interval: 15m
          routes:
            - matchers: ['project="p"']
              repeat_interval: 1h
    - receiver: c
      routes: *throttles
receivers: [{name: a}, {name: b}, {name: c}]
"""


class AlertmanagerScalingTest(unittest.TestCase):
    def test_nested_and_anchored_routes_are_each_scaled_once(self):
        doc, changes = scale.scale_alertmanager_doc(yaml.safe_load(ANCHORED), F)
        for receiver in (0, 1):
            throttle = doc["route"]["routes"][receiver]["routes"][0]
            self.assertEqual(throttle["group_interval"], "3750ms")
            self.assertEqual(throttle["repeat_interval"], "3750ms")
            self.assertEqual(throttle["routes"][0]["repeat_interval"], "15s")
        self.assertEqual(doc["route"]["group_wait"], "125ms")
        # Alertmanager's defaults, written scaled at the root.
        self.assertEqual(doc["route"]["group_interval"], "1250ms")
        self.assertEqual(doc["route"]["repeat_interval"], "1m")
        self.assertEqual(doc["global"]["resolve_timeout"], "1250ms")
        self.assertEqual(len([c for c in changes if c["kind"] == "repeat_interval"]), 5)

    def test_a_short_group_wait_is_clamped_and_reported(self):
        doc, changes = scale.scale_alertmanager_doc(yaml.safe_load(ANCHORED), F,
                                                    stack.min_group_wait_ms(F))
        self.assertEqual(stack.min_group_wait_ms(F), 500)
        self.assertEqual(doc["route"]["group_wait"], "500ms")
        clamped = [c for c in changes if c.get("clamped")]
        self.assertEqual([(c["kind"], c["before"], c["after"]) for c in clamped],
                         [("group_wait", "30s", "500ms")])
        long_wait = yaml.safe_load(ANCHORED.replace("group_wait: 30s", "group_wait: 2h"))
        doc, changes = scale.scale_alertmanager_doc(long_wait, F, 500)
        self.assertEqual(doc["route"]["group_wait"], "30s")
        self.assertFalse(any(c.get("clamped") for c in changes))

    def test_compression_one_keeps_the_shipped_routes(self):
        shipped = scale.load_yaml(AM_CONFIG)
        doc, _ = scale.scale_alertmanager_doc(shipped, 1)
        self.assertEqual(doc["route"], _with_root_defaults(shipped["route"]))
        self.assertEqual(doc["inhibit_rules"], shipped["inhibit_rules"])

    def test_every_shipped_route_timing_is_divided(self):
        shipped = scale.load_yaml(AM_CONFIG)
        doc, _ = scale.scale_alertmanager_doc(shipped, F)
        pairs = zip(routing.all_routes(_with_root_defaults(shipped["route"])),
                    routing.all_routes(doc["route"]))
        count = 0
        for (path, before), (_, after) in pairs:
            for key in scale.ROUTE_TIMINGS:
                self.assertEqual(key in before, key in after, path)
                if key in before:
                    count += 1
                    self.assertEqual(durations.parse_ms(after[key]),
                                     round(durations.parse_ms(before[key]) / F), (path, key))
        self.assertGreaterEqual(count, 3)

    def test_amtool_accepts_the_scaled_local_configuration(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-aq-am-")
        self.addCleanup(tmp.cleanup)
        path, doc, _ = scale.write_scaled_alertmanager(tmp.name, "http://127.0.0.1:1",
                                                       "127.0.0.1:2", F)
        result = subprocess.run(["amtool", "check-config", path], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        urls = [s["api_url"] for r in doc["receivers"] for s in r.get("slack_configs") or []]
        self.assertTrue(urls)
        self.assertTrue(all(re.match(r"^http://127\.0\.0\.1:1/slack/[\w-]+$", u) for u in urls))


def _with_root_defaults(route):
    route = copy.deepcopy(route)
    for key in scale.ROUTE_TIMINGS:
        route.setdefault(key, scale.AM_DEFAULTS[key])
    return route


# ---------------------------------------------------------------------------
# stack.py: the exporter's flags.

class ExporterFlagsTest(unittest.TestCase):
    def test_defaults_and_minimums_agree_with_the_exporters_help(self):
        help_text = lib.run([ARGS.binary, "--help"]).stdout
        for flag, default, minimum in stack.EXPORTER_TIMINGS:
            with self.subTest(flag=flag):
                entry = re.search(r"--%s=\S+(.*?)(?=\n\s+--|\Z)" % re.escape(flag), help_text,
                                  re.S)
                self.assertIsNotNone(entry, flag)
                text = " ".join(entry.group(1).split())
                self.assertIn("(default: %s)" % default, text)
                documented = re.search(r"at least (\d+\w+)", text)
                if documented:
                    self.assertEqual(durations.parse_ms(documented.group(1)),
                                     durations.parse_ms(minimum))

    def test_scaled_flags_are_clamped_and_accepted(self):
        scenario = stack.load_scenario(SHORT)
        for factor in (1, F, 10000):
            rows = stack.exporter_timings(scenario, factor)
            by_flag = {r["flag"]: r for r in rows}
            self.assertEqual(by_flag["state.poll-interval"]["clamped"], factor > 100)
            for row in rows:
                self.assertGreaterEqual(durations.parse_ms(row["value"]),
                                        durations.parse_ms(row["minimum"]))
            args = stack.exporter_args(ARGS.binary, rows, "x.db", "127.0.0.1:0", "w", "a", "r")
            result = lib.run(args + ["--check-config"])
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        by_flag = {r["flag"]: r for r in stack.exporter_timings(scenario, F)}
        self.assertEqual(by_flag["metrics.recent-window"]["value"], "15s")
        self.assertEqual(by_flag["worker.retry-backoff"]["value"], "250ms")


class PrometheusConfigTest(unittest.TestCase):
    def test_one_simulated_minute_per_scrape_and_evaluation(self):
        self.assertEqual(stack.prometheus_interval_s(F), 0.25)
        self.assertEqual(stack.prometheus_interval_s(1), 15.0)
        self.assertEqual(stack.prometheus_interval_s(100000), 0.1)
        tmp = tempfile.TemporaryDirectory(prefix="pe-aq-prom-")
        self.addCleanup(tmp.cleanup)
        paths, _, _ = scale.write_scaled_rules(RULES_DIR, os.path.join(tmp.name, "rules"), F)
        config = os.path.join(tmp.name, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(stack.prometheus_config(paths, "127.0.0.1:1", "127.0.0.1:2",
                                            stack.prometheus_interval_s(F)))
        loaded = scale.load_yaml(config)
        self.assertEqual(loaded["global"]["scrape_interval"], "250ms")
        self.assertEqual(loaded["scrape_configs"][0]["job_name"], "pipeline_exporter")
        result = lib.run_promtool("check", "config", config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


# ---------------------------------------------------------------------------
# routing.py and notifications.py

ROUTES = yaml.safe_load("""
route:
  receiver: default
  group_by: [alertname]
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: hook
      continue: true
    - receiver: pager
      matchers: ['severity="critical"']
      group_by: ['...']
      continue: true
    - receiver: chat
      routes:
        - matchers: ['alertname=~"Run.*"']
          repeat_interval: 15m
""")


class RoutingTest(unittest.TestCase):
    def test_continue_inheritance_and_anchored_regexes(self):
        leaves = routing.leaves(ROUTES["route"], {"alertname": "RunFailed", "severity": "critical"})
        self.assertEqual([l["receiver"] for l in leaves], ["hook", "pager", "chat"])
        self.assertEqual(leaves[2]["repeat_interval_s"], 900)
        self.assertEqual(leaves[0]["repeat_interval_s"], 4 * 3600)
        self.assertEqual(leaves[1]["group_by"], ["..."])
        other = routing.leaves(ROUTES["route"], {"alertname": "XRunFailed"})
        self.assertEqual([l["receiver"] for l in other], ["hook", "chat"])
        self.assertEqual(other[1]["path"], "route.routes[2]")
        self.assertEqual(routing.group_labels(leaves[1], {"a": "1", "alertname": "R"}),
                         {"a": "1", "alertname": "R"})


ALERT_DATA = {
    "receiver": "slack-and-email", "status": "firing",
    "externalURL": "http://127.0.0.1:9093",
    "groupLabels": {"alertname": "PipelineRunFailed", "project": "p&1"},
    "commonLabels": {"alertname": "PipelineRunFailed", "project": "p&1", "severity": "critical"},
    "commonAnnotations": {"summary": "A run failed."},
    "alerts": [
        {"status": "firing",
         "labels": {"alertname": "PipelineRunFailed", "severity": "critical", "project": "p&1",
                    "run_id": "01RUN1", "phase": "build", "state": "failed", "step": "unit tests",
                    "reason": "exit <2> & more", "instance": "127.0.0.1:1"},
         "annotations": {"description": "Run 01RUN1 failed."},
         "startsAt": "2026-12-03T10:00:05Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://x", "fingerprint": "1"},
        {"status": "resolved",
         "labels": {"alertname": "PipelineRunFailed", "severity": "critical", "project": "p&1",
                    "run_id": "01RUN0", "phase": "test", "state": "quarantined"},
         "annotations": {"description": "Run 01RUN0 failed."},
         "startsAt": "2026-12-03T09:00:00Z", "endsAt": "2026-12-03T09:30:00Z",
         "generatorURL": "http://x", "fingerprint": "2"}]}


class TemplateReadBackTest(unittest.TestCase):
    """The shipped templates render; notifications.py reads the labels back."""

    def render(self, template):
        tmp = tempfile.TemporaryDirectory(prefix="pe-aq-tmpl-")
        self.addCleanup(tmp.cleanup)
        data = os.path.join(tmp.name, "alerts.json")
        with open(data, "w", encoding="utf-8") as f:
            json.dump(ALERT_DATA, f)
        result = subprocess.run(
            ["amtool", "template", "render", "--template.glob=" + TEMPLATES_GLOB,
             "--template.data=" + data, '--template.text={{ template "%s" . }}' % template],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def check(self, alerts, extra=()):
        self.assertEqual([a["status"] for a in alerts], ["firing", "resolved"])
        firing, resolved = alerts
        for key in ("alertname", "project", "run_id", "phase", "state", "step", "reason") + extra:
            self.assertEqual(firing["labels"][key], ALERT_DATA["alerts"][0]["labels"][key], key)
        self.assertEqual(resolved["labels"]["run_id"], "01RUN0")
        self.assertEqual(firing["startsAt"], notifications.parse_rfc3339("2026-12-03T10:00:05Z"))
        self.assertEqual(resolved["endsAt"], notifications.parse_rfc3339("2026-12-03T09:30:00Z"))

    def test_slack_text(self):
        self.check(notifications.parse_slack_text(self.render("pipeline.slack.text")))

    def test_email_text(self):
        self.check(notifications.parse_email_text(self.render("pipeline.email.text")),
                   ("severity",))

    def test_normalised_channels_receivers_and_group_keys(self):
        config, _ = scale.scale_alertmanager_doc(scale.load_yaml(AM_CONFIG), F)
        rule_labels = {"PipelineRunFailed": {"severity": "critical", "scope": "run"}}
        slack_text = self.render("pipeline.slack.text")
        raw = {"http": [
            {"path": "/webhook", "time": 2.0, "body": dict(ALERT_DATA, receiver="webhook",
                                                          groupKey="{}:{alertname=\"X\"}")},
            {"path": "/slack/slack-and-email", "time": 1.0,
             "body": {"attachments": [{"title": "[FIRING:1] PipelineRunFailed",
                                       "text": slack_text}]}},
            {"path": "/elsewhere", "time": 3.0, "body": {}}],
            "email": [{"time": 1.5, "to": "pipeline-team@example.org",
                       "subject": "[FIRING:1] PipelineRunFailed",
                       "text": self.render("pipeline.email.text")}]}
        items = notifications.normalise(raw, config, rule_labels)
        self.assertEqual([(n["channel"], n["receiver"]) for n in items],
                         [("slack", "slack-and-email"), ("email", "slack-and-email"),
                          ("webhook", "webhook"), ("http", "/elsewhere")])
        self.assertEqual([n["id"] for n in items], [0, 1, 2, 3])
        self.assertTrue(items[0]["group_key"].startswith("slack-and-email:"))
        self.assertEqual(items[0]["group_key"], items[1]["group_key"])
        for item in items[:3]:
            self.assertIsNotNone(item["repeat_interval_s"])
            self.assertEqual(item["errors"], [])
        self.assertTrue(items[3]["errors"])


# ---------------------------------------------------------------------------
# score.py on synthetic truth and notifications.

T0 = 1000000.0
TIMING = {"compression": 240.0, "drain_end": T0 + 200, "chain_s": 3.0, "tolerance_s": 1.5,
          "storm_tolerance_s": 1.0,
          "alerts": {"RunFailed": {"severity": "critical", "persistence_s": 0.0,
                                   "group_interval_s": 4.0},
                     "DiskLow": {"severity": "warning", "persistence_s": 10.0,
                                 "group_interval_s": 2.0},
                     "Other": {"severity": "warning", "persistence_s": 0.0,
                               "group_interval_s": 2.0}}}
TRUTH = {"scenario": "synthetic", "seed": 7, "compression": 240.0, "incidents": [
    {"id": "i01", "kind": "failed_run", "injected": True, "wall_start": T0 + 10,
     "wall_end": T0 + 40,
     "alerts": [{"alertname": "RunFailed", "labels": {"run_id": "r1", "project": "p"}}]},
    {"id": "i02", "kind": "disk_fill", "injected": True, "wall_start": T0 + 50,
     "wall_end": T0 + 80, "alerts": [{"alertname": "DiskLow", "labels": {}}]}]}


def alert(name, status="firing", starts=None, ends=None, **labels):
    return {"status": status, "labels": dict(labels, alertname=name),
            "startsAt": starts, "endsAt": ends}


def note(channel, t, alerts, receiver=None, group="g", repeat=60.0):
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    names = None if channel == "webhook" else list(notifications.TEXT_LABELS)
    return {"channel": channel, "receiver": receiver or channel, "time": t, "status": status,
            "group_key": "%s:%s" % (channel, group), "repeat_interval_s": repeat,
            "alerts": alerts, "label_names": names, "truncated": False, "errors": []}


def correct_notifications():
    failed = dict(run_id="r1", project="p", instance="x:1")
    disk = dict(instance="x:1")
    items = []
    for channel in ("webhook", "slack", "email"):
        items.append(note(channel, T0 + 13, [alert("RunFailed", starts=T0 + 12, **failed)],
                          group="failed"))
        items.append(note(channel, T0 + 46, [alert("RunFailed", "resolved", T0 + 12, T0 + 44,
                                                   **failed)], group="failed"))
    for channel in ("webhook", "slack"):
        items.append(note(channel, T0 + 60, [alert("DiskLow", starts=T0 + 59, **disk)],
                          group="disk"))
        items.append(note(channel, T0 + 95, [alert("DiskLow", "resolved", T0 + 59, T0 + 93,
                                                   **disk)], group="disk"))
    items.sort(key=lambda n: n["time"])
    for i, item in enumerate(items):
        item["id"] = i
    return items


class ScoreTest(unittest.TestCase):
    def score(self, items, truth=TRUTH, **timing):
        return score.score(truth, items, dict(TIMING, **timing))

    def test_a_correct_set_passes(self):
        result = self.score(correct_notifications())
        self.assertTrue(result["pass"], result["reasons"])
        self.assertEqual((result["recall"], result["precision"]), (1.0, 1.0))
        self.assertEqual(result["resolutions"]["sent"], 2)
        self.assertEqual(result["incidents"], {"injected": 2, "notified": 2, "not_injected": []})
        latency = result["latency"]["RunFailed"]
        self.assertAlmostEqual(latency["max_s"], 3.0)
        self.assertAlmostEqual(latency["max_sim_min"], 12.0)
        self.assertEqual(result["max_per_group_per_repeat"]["webhook"]["max"], 1)
        self.assertIn("| synthetic | 7 | 2 | 10 (5) | 100% | 100% |",
                      report.markdown([result]))

    def test_an_unnotified_incident_fails(self):
        items = [n for n in correct_notifications()
                 if n["alerts"][0]["labels"]["alertname"] != "DiskLow"]
        result = self.score(items)
        self.assertFalse(result["pass"])
        self.assertEqual(result["recall"], 0.5)
        self.assertEqual([m["incident"] for m in result["missed"]], ["i02"])
        self.assertTrue(any("i02" in r and "not notified" in r for r in result["reasons"]))

    def test_a_channel_missing_for_the_severity_fails(self):
        items = [n for n in correct_notifications() if n["channel"] != "email"]
        result = self.score(items)
        self.assertFalse(result["pass"])
        self.assertEqual(result["missed"][0]["missing_channels"], ["email"])
        # Warnings do not go to email: i02 is complete without it.
        self.assertEqual(result["incidents"]["notified"], 1)

    def test_an_unexplained_notification_fails(self):
        cases = {
            "another alert": alert("Other", starts=T0 + 20),
            "another run": alert("RunFailed", starts=T0 + 12, run_id="r2", project="p"),
            "too late": alert("RunFailed", starts=T0 + 50, run_id="r1", project="p"),
            "too early": alert("RunFailed", starts=T0 + 5, run_id="r1", project="p"),
        }
        for case, extra in cases.items():
            with self.subTest(case=case):
                items = correct_notifications() + [note("webhook", T0 + 70, [extra], group="x")]
                items[-1]["id"] = len(items) - 1
                result = self.score(items)
                self.assertFalse(result["pass"])
                self.assertLess(result["precision"], 1.0)
                self.assertEqual([u["id"] for u in result["unexplained"]], [len(items) - 1])
                self.assertTrue(any("unexplained webhook" in r for r in result["reasons"]))
        # The incident's persistence extends its window: DiskLow 10 s.
        late_disk = alert("DiskLow", starts=T0 + 80 + 3.0 + 9.0)
        items = correct_notifications() + [note("slack", T0 + 92, [late_disk], group="disk2")]
        items[-1]["id"] = len(items) - 1
        self.assertEqual(self.score(items)["unexplained"], [])

    def test_an_unreadable_message_is_unexplained(self):
        items = correct_notifications()
        bad = note("slack", T0 + 20, [], group="?")
        bad.update(status="firing", errors=["no alert could be read from the message"], id=99)
        result = self.score(items + [bad])
        self.assertFalse(result["pass"])
        self.assertEqual([u["id"] for u in result["unexplained"]], [99])

    def test_a_storm_fails(self):
        items = correct_notifications()
        again = copy.deepcopy([n for n in items if n["channel"] == "slack"][0])
        again.update(time=again["time"] + 5, id=100)
        result = self.score(sorted(items + [again], key=lambda n: n["time"]))
        self.assertFalse(result["pass"])
        self.assertEqual(len(result["storms"]), 1)
        self.assertEqual(result["storms"][0]["ids"][1], 100)
        self.assertEqual(result["max_per_group_per_repeat"]["slack"]["max"], 2)
        # After repeat_interval the same content is a reminder, not a storm.
        again["time"] = items[0]["time"] + 61
        self.assertEqual(self.score(sorted(items + [again], key=lambda n: n["time"]))["storms"], [])
        # A message that adds a resolved alert says something new.
        again["time"] = items[0]["time"] + 5
        again["alerts"] = again["alerts"] + [alert("RunFailed", "resolved", T0, T0 + 1,
                                                   run_id="r0", project="p")]
        self.assertEqual(self.score(sorted(items + [again], key=lambda n: n["time"]))["storms"], [])

    def test_a_missing_resolution_fails(self):
        items = [n for n in correct_notifications()
                 if not (n["channel"] == "slack" and n["status"] == "resolved"
                         and n["alerts"][0]["labels"]["alertname"] == "DiskLow")]
        result = self.score(items)
        self.assertFalse(result["pass"])
        self.assertEqual(result["resolutions"]["missing"][0]["incident"], "i02")
        self.assertIn("slack (firing)", result["resolutions"]["missing"][0]["channels"])
        # Not due yet when the recording stopped before its window closed.
        early = self.score(items, drain_end=T0 + 90)
        self.assertEqual(early["resolutions"]["missing"], [])
        self.assertEqual([p["incident"] for p in early["resolutions"]["not_due"]], ["i02"])

    def test_an_incident_not_injected_fails(self):
        truth = copy.deepcopy(TRUTH)
        truth["incidents"][1].update(injected=False, detail="not injected: volume too large")
        items = [n for n in correct_notifications()
                 if n["alerts"][0]["labels"]["alertname"] != "DiskLow"]
        result = self.score(items, truth=truth)
        self.assertFalse(result["pass"])
        self.assertEqual(result["incidents"]["not_injected"], ["i02"])
        self.assertIn("incident i02 (disk_fill) was not injected: not injected: volume too large",
                      result["reasons"])
        self.assertEqual(result["recall"], 1.0)

    def test_text_channels_compare_only_the_labels_they_show(self):
        truth = copy.deepcopy(TRUTH)
        truth["incidents"][0]["alerts"][0]["labels"]["instance"] = "x:1"
        self.assertTrue(self.score(correct_notifications(), truth=truth)["pass"])


def numbered(items):
    items = sorted(items, key=lambda n: n["time"])
    for i, item in enumerate(items):
        item["id"] = i
    return items


# Two incidents of the same alert (same labels): a disk that fills up,
# frees, and fills up again.
TWICE = {"scenario": "synthetic", "seed": 7, "compression": 240.0, "incidents": [
    {"id": "i01", "kind": "disk_fill", "injected": True, "wall_start": T0 + 10,
     "wall_end": T0 + 30, "alerts": [{"alertname": "DiskLow", "labels": {}}]},
    {"id": "i02", "kind": "disk_fill", "injected": True, "wall_start": T0 + 45,
     "wall_end": T0 + 60, "alerts": [{"alertname": "DiskLow", "labels": {}}]}]}


def disk_episode(channels, fired, resolved, **labels):
    """Firing and resolved notifications of one DiskLow alert episode."""
    labels = dict({"instance": "x:1"}, **labels)
    items = []
    for channel in channels:
        items.append(note(channel, fired + 1, [alert("DiskLow", starts=fired, **labels)],
                          group="disk"))
        items.append(note(channel, resolved + 1, [alert("DiskLow", "resolved", fired, resolved,
                                                        **labels)], group="disk"))
    return items


class RepeatsTest(unittest.TestCase):
    """repeats.py: storms, and at most one notification per incident alert
    and channel within its repeat interval."""

    def score(self, items, truth=TWICE):
        return score.score(truth, numbered(items), dict(TIMING, drain_end=T0 + 200))

    def test_a_new_incident_of_the_same_alert_is_a_new_notification_not_a_storm(self):
        items = (disk_episode(("webhook", "slack"), T0 + 12, T0 + 31)
                 + disk_episode(("webhook", "slack"), T0 + 47, T0 + 61))
        result = self.score(items)
        self.assertEqual(result["storms"], [])
        self.assertEqual(result["repeated"], [])
        self.assertEqual(result["max_per_incident_per_repeat"]["slack"]["max"], 1)
        self.assertTrue(result["pass"], result["reasons"])

    def test_the_same_firing_alerts_again_within_the_repeat_interval_are_a_storm(self):
        items = disk_episode(("webhook", "slack"), T0 + 12, T0 + 31)
        again = copy.deepcopy(items[0])
        again["time"] += 5
        result = self.score(items + [again] + disk_episode(("webhook", "slack"), T0 + 47, T0 + 61))
        self.assertEqual(len(result["storms"]), 1)
        self.assertFalse(result["pass"])

    def test_a_flap_within_one_incident_is_notified_twice(self):
        # Fires, resolves and fires again (a new start) within incident 1.
        items = (disk_episode(("webhook", "slack"), T0 + 12, T0 + 20)
                 + disk_episode(("webhook", "slack"), T0 + 22, T0 + 31)
                 + disk_episode(("webhook", "slack"), T0 + 47, T0 + 61))
        result = self.score(items)
        self.assertEqual(result["storms"], [])
        self.assertEqual({(r["incident"], r["channel"], r["count"]) for r in result["repeated"]},
                         {("i01", "webhook", 2), ("i01", "slack", 2)})
        self.assertFalse(result["pass"])
        self.assertTrue(any("i01" in r and "2 times on slack" in r for r in result["reasons"]))

    def test_two_alerts_for_one_incident_fail_in_one_message_or_two(self):
        # One damaged archive raising two alerts of different labels.
        first = alert("DiskLow", starts=T0 + 12, instance="x:1", check="scrub")
        second = alert("DiskLow", starts=T0 + 13, instance="x:1", integrity="failed")
        for case, items in {
                "one message": [note("webhook", T0 + 14, [first, second], group="a"),
                                note("slack", T0 + 14, [first, second], group="a")],
                "two messages": [note("slack", T0 + 13, [first], group="a"),
                                 note("slack", T0 + 16, [first, second], group="a")]}.items():
            with self.subTest(case=case):
                result = self.score(items + disk_episode(("webhook", "slack"), T0 + 47, T0 + 61))
                self.assertIn(("i01", "slack", 2), {(r["incident"], r["channel"], r["count"])
                                                    for r in result["repeated"]})
                self.assertFalse(result["pass"])

    def test_a_webhook_group_resent_as_it_grows_fails_a_chat_group_does_not(self):
        # A grouped route: the first incident's alert is sent again when the
        # second's joins its group. Slack shows it as context; a webhook
        # consumer receives it a second time.
        one = alert("DiskLow", starts=T0 + 12, instance="x:1", volume="a")
        two = alert("DiskLow", starts=T0 + 47, instance="x:1", volume="b")
        for channel, repeated in (("slack", []), ("webhook", [("i01", "webhook", 2)])):
            with self.subTest(channel=channel):
                items = [note(channel, T0 + 13, [one], group="disk"),
                         note(channel, T0 + 48, [one, two], group="disk")]
                result = self.score(items)
                self.assertEqual([(r["incident"], r["channel"], r["count"])
                                  for r in result["repeated"]], repeated)


ESCALATION = {"delay_s": 30.0, "latency_s": 2.0, "repeat_interval_s": 60.0,
              "channels": ["slack", "email"]}
# A critical outage of 60 s (escalated after 30 s) and one of 20 s (never).
OUTAGES = {"scenario": "synthetic", "seed": 7, "compression": 240.0, "incidents": [
    {"id": "i01", "kind": "db_unreadable", "injected": True, "wall_start": T0 + 10,
     "wall_end": T0 + 70, "alerts": [{"alertname": "RunFailed", "labels": {}}]},
    {"id": "i02", "kind": "db_unreadable", "injected": True, "wall_start": T0 + 100,
     "wall_end": T0 + 120, "alerts": [{"alertname": "RunFailed", "labels": {}}]}]}


def outage(fired, resolved):
    labels = {"instance": "x:1"}
    items = []
    for channel in ("webhook", "slack", "email"):
        items.append(note(channel, fired + 0.5, [alert("RunFailed", starts=fired, **labels)],
                          group="outage"))
        items.append(note(channel, resolved + 0.5,
                          [alert("RunFailed", "resolved", fired, resolved, **labels)],
                          group="outage"))
    return items


def escalated(t, resolved=None, channels=("slack", "email", "webhook")):
    """An escalation of the outage alert notified at t (and resolved)."""
    items = []
    for channel in channels:
        receiver = "webhook" if channel == "webhook" else "escalation"
        for status, when in (("firing", t), ("resolved", resolved)):
            if when is None:
                continue
            item = note(channel, when, [alert("RunFailed", status, t - 0.5,
                                              when if status == "resolved" else None,
                                              instance="x:1")],
                        receiver=receiver, group="escalation", repeat=60.0)
            item["escalation"] = True
            items.append(item)
    return items


class EscalationTest(unittest.TestCase):
    """escalation.py: a critical incident longer than the delay reaches the
    escalation receiver once, after the delay; nothing reaches it earlier."""

    def score(self, items):
        return score.score(OUTAGES, numbered(items),
                           dict(TIMING, drain_end=T0 + 200, escalation=ESCALATION))

    def base(self):
        return outage(T0 + 12, T0 + 71) + outage(T0 + 102, T0 + 121)

    def test_an_escalation_after_the_delay_passes(self):
        result = self.score(self.base() + escalated(T0 + 43, T0 + 72))
        esc = result["escalation"]
        self.assertEqual((esc["precision"], esc["recall"], esc["expected"]), (1.0, 1.0, 1))
        self.assertTrue(result["pass"], result["reasons"])
        # Escalations are not counted as the incident's own notifications.
        self.assertEqual(result["repeated"], [])
        self.assertIn("| 100% (3) | 100% (1/1) |", report.markdown([result]))

    def test_an_early_escalation_fails_precision_and_recall(self):
        # What a route's timer did when the alert joined an escalation
        # group that already existed: a few minutes after it fired.
        result = self.score(self.base() + escalated(T0 + 17, T0 + 72))
        esc = result["escalation"]
        self.assertEqual(esc["precision"], 0.0)
        self.assertEqual(esc["recall"], 0.0)
        self.assertFalse(result["pass"])
        self.assertTrue(any("unexplained escalation" in r for r in result["reasons"]))

    def test_a_missing_escalation_fails_recall(self):
        result = self.score(self.base() + escalated(T0 + 43, T0 + 72, channels=("slack",)))
        self.assertEqual(result["escalation"]["missed"][0]["channels"], ["email"])
        self.assertEqual(result["escalation"]["recall"], 0.0)
        self.assertFalse(result["pass"])

    def test_escalating_an_incident_shorter_than_the_delay_fails(self):
        result = self.score(self.base() + escalated(T0 + 43, T0 + 72)
                            + escalated(T0 + 133, T0 + 140))
        self.assertEqual(len(result["escalation"]["unexplained"]), 3)
        self.assertFalse(result["pass"])

    def test_an_incident_is_escalated_once_and_resolved(self):
        twice = self.base() + escalated(T0 + 43, T0 + 72) + escalated(T0 + 50)
        result = self.score(twice)
        self.assertEqual({r["channel"] for r in result["escalation"]["repeated"]},
                         {"slack", "email", "webhook"})
        self.assertFalse(result["pass"])
        result = self.score(self.base() + escalated(T0 + 43))
        self.assertEqual({u["channel"] for u in result["escalation"]["unresolved"]},
                         {"slack", "email", "webhook"})
        self.assertFalse(result["pass"])


class RunnerTest(unittest.TestCase):
    def test_the_drain_lasts_until_every_resolution_is_due(self):
        due = score.resolution_due(TRUTH["incidents"][1], TRUTH["incidents"][1]["alerts"][0],
                                   TIMING)
        self.assertAlmostEqual(due, T0 + 80 + 3.0 + 10.0 + 1.5 + 2.0)
        self.assertAlmostEqual(aq_run.drain_end(TRUTH, TIMING, T0), due + aq_run.SETTLE_S)
        self.assertAlmostEqual(aq_run.drain_end(TRUTH, TIMING, T0 + 500),
                               T0 + 500 + aq_run.SETTLE_S)

    def test_rule_overrides_are_alert_equals_expression(self):
        self.assertEqual(aq_run.parse_overrides(["A=x == 1", " B = vector(1) "]),
                         {"A": "x == 1", "B": "vector(1)"})
        for bad in ("A", "=x", "A="):
            with self.assertRaises(SystemExit):
                aq_run.parse_overrides([bad])


# ---------------------------------------------------------------------------
# The short scenario through the real binaries (the outages scenario:
# test_alert_quality_outages.py).

class ShortScenarioTest(scenario_case.ScenarioCase):
    """scenarios/short.yml, seeds 1 and 2: every score at 100%, no storm,
    every resolution sent."""

    SCENARIO = SHORT

    def test_seed_1(self):
        self.run_seed(1)

    def test_seed_2(self):
        self.run_seed(2)


if __name__ == "__main__":
    lib.main()
