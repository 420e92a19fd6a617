"""Selection and cardinality controls through the real binaries: an excluded
project has no per-run series and raises no per-run alert in a real
Prometheus evaluating the shipped rules (while the same failure in a selected
project does), a denied family is absent, a reload brings an excluded project
back, and an entry naming no family is a configuration error (exit 2) naming
it.

Run by ctest as: python3 test_selection.py --binary PATH --source-dir DIR
"""

import datetime
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import tempfile
import time
import unittest
import urllib.parse

import pe_testlib as lib

ARGS = lib.parse_args()

SELECTED = "team-a"
EXCLUDED = "sandbox-1"
FAILED_SELECTED = "01SELFAILEDTEAMA000000000A"
FAILED_EXCLUDED = "01SELFAILEDSANDBOX0000000B"
STALLED_EXCLUDED = "01SELSTALLEDSANDBOX000000C"
DENIED = "pipeline_run_created_timestamp_seconds"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def add_runs(db, now):
    """A failed run in each project and a run stalled for an hour in the
    excluded one, written as the orchestrator writes them."""
    with sqlite3.connect(db, timeout=10) as conn:
        for run_id, project in ((FAILED_SELECTED, SELECTED),
                                (FAILED_EXCLUDED, EXCLUDED)):
            conn.execute(
                "INSERT INTO runs (run_id, project_id, phase_id, state, "
                "created_at, started_at, ended_at) "
                "VALUES (?, ?, 'build', 'failed', ?, ?, ?)",
                (run_id, project, iso(now - 120), iso(now - 100), iso(now - 5)))
            conn.execute(
                "INSERT INTO steps (run_id, step_id, name, state, started_at, "
                "ended_at, error_message) VALUES (?, 's1', 'compile', "
                "'failed', ?, ?, 'exit status 2')",
                (run_id, iso(now - 100), iso(now - 5)))
        conn.execute(
            "INSERT INTO runs (run_id, project_id, phase_id, state, "
            "created_at, started_at) VALUES (?, ?, 'build', 'running', ?, ?)",
            (STALLED_EXCLUDED, EXCLUDED, iso(now - 3700), iso(now - 3600)))


def run_ids(samples):
    return {dict(labels)["run_id"] for _, labels in samples
            if "run_id" in dict(labels)}


class SelectionTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-selection-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state.db")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db,
                          "--bulk", "0", "--no-artifacts"], timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        add_runs(self.db, time.time())
        self.config = os.path.join(self.tmp, "exporter.yml")
        self.write_config(exclude="sandbox-.*")

    def write_config(self, exclude):
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("metrics:\n  project-exclude: %s\n  family-deny: %s\n"
                    % (json.dumps(exclude), DENIED))

    def start_exporter(self):
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary, "--config.file=" + self.config,
            "--state.db=" + self.db, "--state.poll-interval=200ms",
            "--web.listen-address=" + address], name="exporter")
        lib.wait_for_http("http://%s/-/ready" % address, status=200,
                          timeout=60, daemon=daemon)
        return address, daemon

    def fast_rules(self):
        """rules/*.yml with `for: 2m` shortened to 2s."""
        copies = []
        for path in sorted(glob.glob(os.path.join(ARGS.source_dir, "rules",
                                                  "*.yml"))):
            with open(path, encoding="utf-8") as f:
                text = re.sub(r"(?m)^(\s+for:) 2m$", r"\1 2s", f.read())
            copy = os.path.join(self.tmp, os.path.basename(path))
            with open(copy, "w", encoding="utf-8") as f:
                f.write(text)
            copies.append(copy)
        self.assertTrue(copies, "no rules/*.yml")
        return copies

    def start_prometheus(self, exporter):
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files: %s\n" % json.dumps(self.fast_rules()) +
                    "scrape_configs:\n  - job_name: pipeline_exporter\n"
                    "    static_configs: [{targets: [%s]}]\n"
                    % json.dumps(exporter))
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            shutil.which("prometheus"), "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(self.tmp, "prom-data"),
            "--web.listen-address=" + address, "--log.level=warn",
        ], name="prometheus")
        lib.wait_for_http("http://%s/-/ready" % address, status=200,
                          timeout=60, daemon=daemon)
        return address

    def alerts(self, prometheus):
        """[(alertname, run_id, state)] of every pending or firing alert."""
        query = urllib.parse.urlencode({"query": "ALERTS"})
        status, _, body = lib.http_get(
            "http://%s/api/v1/query?%s" % (prometheus, query))
        self.assertEqual(status, 200, body)
        return [(r["metric"]["alertname"], r["metric"].get("run_id"),
                 r["metric"]["alertstate"])
                for r in json.loads(body)["data"]["result"]]

    def test_an_excluded_project_has_no_per_run_series_and_raises_no_alert(self):
        if shutil.which("prometheus") is None:
            self.fail("prometheus is not installed (scripts/setup.sh)")
        exporter, _ = self.start_exporter()
        samples = lib.scrape("http://%s/metrics" % exporter)
        ids = run_ids(samples)
        self.assertIn(FAILED_SELECTED, ids)
        self.assertNotIn(FAILED_EXCLUDED, ids)
        self.assertNotIn(STALLED_EXCLUDED, ids)
        self.assertEqual(lib.sample(samples, "pipeline_exporter_excluded_runs",
                                    project=EXCLUDED), 2)
        self.assertEqual(lib.sample(samples, "pipeline_runs", project=EXCLUDED,
                                    state="failed"), 1,
                         "the aggregates still count the excluded project")
        self.assertEqual(lib.series(samples, DENIED), {})
        self.assertEqual(lib.sample(samples, "pipeline_exporter_family_hidden",
                                    family=DENIED), 1)
        text = lib.scrape_text("http://%s/metrics" % exporter)
        self.assertNotIn("# HELP " + DENIED, text)
        lib.promtool_check_metrics(text)

        # The same failure in the selected project fires, so the rules work
        # here: the excluded run's silence is the selection's doing.
        prometheus = self.start_prometheus(exporter)
        lib.wait_until(
            lambda: ("PipelineRunFailed", FAILED_SELECTED, "firing")
            in self.alerts(prometheus),
            timeout=60, message="PipelineRunFailed for the selected run")
        # Long enough for the stall rule (for: 2s) to have fired as well.
        time.sleep(6)
        raised = self.alerts(prometheus)
        self.assertEqual(
            [a for a in raised
             if a[1] in (FAILED_EXCLUDED, STALLED_EXCLUDED)], [],
            "no per-run alert for an excluded project's run")

    def test_a_reload_brings_an_excluded_project_back(self):
        exporter, daemon = self.start_exporter()
        url = "http://%s/metrics" % exporter
        self.assertNotIn(FAILED_EXCLUDED, run_ids(lib.scrape(url)))
        self.write_config(exclude="")
        daemon.proc.send_signal(signal.SIGHUP)
        lib.wait_until(lambda: FAILED_EXCLUDED in run_ids(lib.scrape(url)),
                       timeout=30, message="the excluded run after a reload")
        samples = lib.scrape(url)
        self.assertIn(STALLED_EXCLUDED, run_ids(samples))
        self.assertEqual(lib.sample(samples, "pipeline_exporter_resyncs_total",
                                    reason="reload"), 1)
        self.assertEqual(lib.series(samples, "pipeline_exporter_excluded_runs"),
                         {})
        self.assertEqual(lib.sample(samples,
                                    "pipeline_exporter_config_reloads_total",
                                    result="success"), 1)

        # The families are fixed for the life of the process: a reload that
        # changes them is refused, the running configuration kept.
        with open(self.config, "a", encoding="utf-8") as f:
            f.write("  family-allow: pipeline_run_info\n")
        daemon.proc.send_signal(signal.SIGHUP)
        lib.wait_until(
            lambda: lib.sample(lib.scrape(url),
                               "pipeline_exporter_config_reloads_total",
                               result="failure") == 1,
            timeout=30, message="the reload changing the families refused")
        self.assertTrue(lib.series(lib.scrape(url), "pipeline_run_status"))

    def test_an_entry_naming_no_family_exits_2_naming_it(self):
        for flags in (["--metrics.family-deny=pipeline_run_info,pipeline_run_inf"],
                      ["--metrics.family-allow=pipeline_jobs_total"]):
            for check in ([], ["--check-config"]):
                result = lib.run([ARGS.binary, "--state.db=" + self.db,
                                  "--web.listen-address=127.0.0.1:0"]
                                 + flags + check, timeout=30)
                self.assertEqual(result.returncode, 2, (flags, check))
                key, value = flags[0][2:].split("=", 1)
                entry = value.split(",")[-1]
                self.assertIn('%s: "%s" matches no metric family' % (key, entry),
                              result.stderr)
        result = lib.run([ARGS.binary, "--state.db=" + self.db,
                          "--metrics.project-exclude=team-(", "--check-config"],
                         timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("metrics.project-exclude:", result.stderr)


if __name__ == "__main__":
    lib.main()
