"""The Prometheus rules in rules/: promtool accepts them and their unit tests
pass, every alert follows the shared conventions (severity, summary,
description, a runbook_url whose anchor is a heading of docs/runbook.md, a
unit test that expects it), the thresholds table of rules/README.md matches
the rules, and a real Prometheus scraping the real exporter on a simulated
database evaluates every rule without error.

Run by ctest as: python3 test_rules.py --binary PATH --source-dir DIR
"""

import glob
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.parse

import pe_testlib as lib
from alert_contract import CONTRACT_ALERTS

try:
    import yaml
except ImportError:  # python3-yaml is installed by scripts/setup.sh
    yaml = None

ARGS = lib.parse_args()

SEVERITIES = {"critical", "warning", "info"}
RUNBOOK_PREFIX = ("https://github.com/pipeline-exporter/pipeline_exporter/"
                  "blob/main/docs/runbook.md#")
PER_RUN = {"PipelineRunFailed", "PipelineRunPartial", "PipelineRunStalled",
           "PipelineRunNotStarted"}


def rules_dir():
    return os.path.join(ARGS.source_dir, "rules")


def rule_files():
    return sorted(glob.glob(os.path.join(rules_dir(), "*.yml")))


def test_files():
    return sorted(glob.glob(os.path.join(rules_dir(), "tests", "*.yml")))


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def alerting_rules():
    """[(file, rule dict)] for every alerting rule in rules/*.yml."""
    found = []
    for path in rule_files():
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found.append((path, rule))
    return found


def github_anchor(heading):
    """The anchor GitHub gives a markdown heading."""
    anchor = heading.strip().lower()
    anchor = re.sub(r"[^\w\- ]", "", anchor)
    return anchor.replace(" ", "-")


_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')


def matcher_matches(matcher, labels):
    """An Alertmanager matcher (name op "value") against a label dict."""
    name, op, value = _MATCHER.match(matcher).groups()
    actual = labels.get(name, "")
    if op in ("=", "!="):
        return (actual == value) == (op == "=")
    return (re.fullmatch(value, actual) is not None) == (op == "=~")


def runbook_anchors():
    with open(os.path.join(ARGS.source_dir, "docs", "runbook.md"),
              encoding="utf-8") as f:
        return {github_anchor(m.group(1))
                for m in re.finditer(r"(?m)^#{1,6} +(.+?) *$", f.read())}


class PromtoolTest(unittest.TestCase):
    def test_rule_files_exist(self):
        self.assertGreaterEqual(len(rule_files()), 2, rules_dir())
        self.assertGreaterEqual(len(test_files()), 1)

    def test_promtool_check_rules_is_clean(self):
        result = lib.run_promtool("check", "rules", "--lint=all", "--lint-fatal",
                                  *rule_files())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_promtool_unit_tests_pass(self):
        # Test files name their rule files relative to themselves.
        result = lib.run_promtool("test", "rules", *test_files(), timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotIn("FAILED", result.stdout + result.stderr)


class ConventionsTest(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            self.fail("python3-yaml is not installed (scripts/setup.sh installs it)")

    def test_every_contract_alert_exists_with_its_severity(self):
        severities = {rule["alert"]: rule["labels"].get("severity")
                      for _, rule in alerting_rules()}
        for name, severity in CONTRACT_ALERTS.items():
            with self.subTest(alert=name):
                self.assertEqual(severities.get(name), severity)

    def test_alert_names_are_unique_camel_case_with_pipeline_prefix(self):
        names = [rule["alert"] for _, rule in alerting_rules()]
        self.assertEqual(len(names), len(set(names)))
        for name in names:
            self.assertRegex(name, r"^Pipeline(?:[A-Z][a-z0-9]*)+$")

    def test_every_alert_has_severity_annotations_and_a_runbook_anchor(self):
        anchors = runbook_anchors()
        for path, rule in alerting_rules():
            name = rule["alert"]
            with self.subTest(alert=name, file=os.path.basename(path)):
                labels = rule.get("labels", {})
                annotations = rule.get("annotations", {})
                self.assertIn(labels.get("severity"), SEVERITIES)
                self.assertEqual(set(annotations),
                                 {"summary", "description", "runbook_url"})
                self.assertNotIn("{{", annotations["summary"],
                                 "summary is fixed text")
                self.assertIn("{{", annotations["description"],
                              "description is templated")
                url = annotations["runbook_url"]
                self.assertTrue(url.startswith(RUNBOOK_PREFIX), url)
                anchor = url[len(RUNBOOK_PREFIX):]
                self.assertEqual(anchor, github_anchor(name),
                                 "the runbook section is headed by the alert name")
                self.assertIn(anchor, anchors, "no such heading in docs/runbook.md")

    def test_only_per_run_alerts_have_scope_run(self):
        for _, rule in alerting_rules():
            with self.subTest(alert=rule["alert"]):
                scope = rule.get("labels", {}).get("scope")
                self.assertEqual(scope, "run" if rule["alert"] in PER_RUN else None)

    def test_every_alert_is_expected_firing_by_a_unit_test(self):
        expected = set()
        for path in test_files():
            for test in load_yaml(path).get("tests", []):
                for case in test.get("alert_rule_test", []):
                    if case.get("exp_alerts"):
                        expected.add(case["alertname"])
        for _, rule in alerting_rules():
            with self.subTest(alert=rule["alert"]):
                self.assertIn(rule["alert"], expected)

    def test_every_alert_is_checked_silent_and_resolved_by_a_unit_test(self):
        silent_times = {}
        for path in test_files():
            for test in load_yaml(path).get("tests", []):
                for case in test.get("alert_rule_test", []):
                    if not case.get("exp_alerts"):
                        silent_times.setdefault(case["alertname"], []).append(
                            case["eval_time"])
        for _, rule in alerting_rules():
            with self.subTest(alert=rule["alert"]):
                # one check before the threshold, one after recovery
                self.assertGreaterEqual(len(silent_times.get(rule["alert"], [])), 2)

    def test_alerts_keep_the_labels_their_inhibit_rules_compare(self):
        # alertmanager/alertmanager.yml inhibits per exporter (equal: [job,
        # instance]) and per run (equal: [run_id]): an alert whose rule lost
        # those labels (e.g. aggregated them away) would be inhibited by
        # every exporter's outage, or never.
        config = load_yaml(os.path.join(ARGS.source_dir, "alertmanager", "alertmanager.yml"))
        expected_labels = {}
        for path in test_files():
            for test in load_yaml(path).get("tests", []):
                for case in test.get("alert_rule_test", []):
                    for alert in case.get("exp_alerts") or []:
                        expected_labels.setdefault(case["alertname"], []).append(
                            alert.get("exp_labels", {}))
        targets = 0
        for _, rule in alerting_rules():
            static = dict(rule.get("labels", {}), alertname=rule["alert"])
            for inhibit in config["inhibit_rules"]:
                if not inhibit.get("equal") or not all(
                        matcher_matches(m, static) for m in inhibit["target_matchers"]):
                    continue
                targets += 1
                with self.subTest(alert=rule["alert"], equal=inhibit["equal"]):
                    self.assertTrue(expected_labels.get(rule["alert"]))
                    for labels in expected_labels[rule["alert"]]:
                        self.assertEqual([n for n in inhibit["equal"] if not labels.get(n)], [])
        self.assertGreaterEqual(targets, 6)

    def test_thresholds_table_matches_the_rules(self):
        with open(os.path.join(rules_dir(), "README.md"), encoding="utf-8") as f:
            text = f.read()
        rules = {rule["alert"]: rule for _, rule in alerting_rules()}
        seen = set()
        current = None
        for line in text.splitlines():
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if len(cells) != 4 or cells[0] in ("Alert", "---"):
                continue
            current = cells[0] or current
            with self.subTest(alert=current, cell=cells[3]):
                self.assertIn(current, rules, "table row for an unknown alert")
                rule = rules[current]
                if cells[1]:
                    self.assertEqual(cells[1], rule["labels"]["severity"])
                literal = re.fullmatch(r"`(.+)`", cells[3])
                self.assertIsNotNone(literal, cells[3])
                literal = literal.group(1).replace("\\|", "|")
                rule_text = "%s\nfor: %s\nkeep_firing_for: %s" % (
                    rule["expr"], rule.get("for", "0s"), rule.get("keep_firing_for", "0s"))
                self.assertIn(literal, rule_text)
            seen.add(current)
        self.assertEqual(seen, set(rules), "every alert has a row")


class LivePrometheusTest(unittest.TestCase):
    """The rules evaluate without error against the real exporter's metrics."""

    def setUp(self):
        if shutil.which("prometheus") is None:
            self.skipTest("prometheus is not installed")
        tmp = tempfile.TemporaryDirectory(prefix="pe-rules-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name

    def test_every_rule_evaluates_without_error(self):
        db = os.path.join(self.tmp, "state.db")
        worktrees = os.path.join(self.tmp, "worktrees")
        simulator = lib.start_daemon(self, [
            ARGS.binary, "simulate", "--db", db, "--worktrees", worktrees,
            "--bulk", "300", "--bulk-active", "20", "--live", "--tick", "200ms",
            "--runs-per-minute", "120", "--step-seconds", "0.5",
            "--no-complete-runs", "--duration", "120s"], name="simulator")
        lib.wait_until(lambda: os.path.exists(db), timeout=30, daemon=simulator,
                       message="the simulator's database")
        exporter_address = lib.loopback_address(lib.free_port())
        exporter = lib.start_daemon(self, [
            ARGS.binary, "--state.db=" + db, "--state.poll-interval=200ms",
            "--web.listen-address=" + exporter_address,
            "--worker.enabled", "--worker.interval=200ms",
            "--worker.worktrees-dir=" + worktrees,
            "--worker.archive-dir=" + os.path.join(self.tmp, "archive"),
            "--worker.reports-dir=" + os.path.join(self.tmp, "reports")],
            name="exporter")
        lib.wait_for_http("http://%s/-/ready" % exporter_address, status=200,
                          timeout=60, daemon=exporter)

        prometheus_address = lib.loopback_address(lib.free_port())
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files: %s\n"
                "scrape_configs:\n  - job_name: pipeline_exporter\n"
                "    static_configs:\n      - targets: [%s]\n"
                % (json.dumps(rule_files()), json.dumps(exporter_address)))
        check = lib.run_promtool("check", "config", config)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        prometheus = lib.start_daemon(self, [
            shutil.which("prometheus"), "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(self.tmp, "tsdb"),
            "--web.listen-address=" + prometheus_address,
            "--log.level=warn"], name="prometheus")
        api = "http://%s/api/v1/" % prometheus_address
        lib.wait_for_http(api + "status/buildinfo", status=200, timeout=60,
                          daemon=prometheus)

        def get(path):
            status, _, body = lib.http_get(api + path)
            self.assertEqual(status, 200, body[:500])
            return json.loads(body)["data"]

        def instant(query):
            return get("query?" + urllib.parse.urlencode({"query": query}))["result"]

        # Enough data for every rule's range to hold several samples.
        lib.wait_until(lambda: instant('count(up{job="pipeline_exporter"} == 1)'),
                       timeout=60, daemon=prometheus, message="a first scrape")
        lib.wait_until(
            lambda: float(instant("count_over_time(pipeline_exporter_state_up[1m])")
                          [0]["value"][1]) >= 30,
            timeout=90, interval=1, daemon=prometheus,
            message="30s of scrapes")

        def all_rules():
            return [rule for group in get("rules")["groups"]
                    for rule in group["rules"]]

        rules = all_rules()
        self.assertTrue(rules)
        if yaml is not None:
            self.assertEqual(len(rules), sum(
                len(group["rules"]) for path in rule_files()
                for group in load_yaml(path)["groups"]))
        problems = ["%s: health %s, %s" % (r["name"], r["health"], r.get("lastError"))
                    for r in rules if r["health"] != "ok"]
        self.assertEqual(problems, [])
        # Recording rules produced data from the exporter's metrics.
        self.assertTrue(instant("project_state:pipeline_runs:sum"))
        self.assertTrue(instant("event_type_severity:pipeline_events:rate5m"))
        # Nothing in the exporter's own health alerts on a healthy setup.
        firing = {r["name"] for r in rules
                  if r.get("type") == "alerting" and r.get("state") != "inactive"}
        self.assertFalse(firing & {"PipelineExporterDown", "PipelineExporterAbsent",
                                   "PipelineStateDatabaseUnreadable",
                                   "PipelineStateStale",
                                   "PipelineWorkerHeartbeatStale"}, firing)
        for daemon in (prometheus, exporter, simulator):
            daemon.stop()


if __name__ == "__main__":
    lib.main()
