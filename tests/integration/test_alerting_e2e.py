"""End to end, with every real part: a state database written like the
orchestrator writes it -> pipeline_exporter -> prometheus with the shipped
rules (rules/*.yml) -> prometheus-alertmanager with the shipped routes,
inhibitions and templates (alertmanager/, receivers pointed at local sinks)
-> a Slack webhook stand-in, an SMTP server (aiosmtpd) and the generic
webhook (scripts/notification_sinks.py).

One project has two runs that stall (running, no progress for 40 minutes);
then one of them fails. The test asserts that:
  - the failure reaches Slack and email naming run, project, step and reason;
  - the stall notification names the other run only: the failed run's stall
    alert is inhibited by its failure;
  - when the other run makes progress again, the resolution is sent;
  - the failure resolves once the run leaves the exporter's recent window.
It prints the latency from the database write to the Slack payload.

Fast settings (the only differences from a production setup; see
rules/README.md, "Alert latency"): exporter poll 200ms, scrape and rule
evaluation every 1s, Alertmanager group_wait 8s and group_interval 2s, and
in a copy of the rules the per-run alerts' `for: 2m` and `keep_firing_for:
10m` shortened to 2s and 3s (fast_rules).

Run by ctest as: python3 test_alerting_e2e.py --binary PATH --source-dir DIR
"""

import datetime
import glob
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()
sys.path.insert(0, os.path.join(ARGS.source_dir, "scripts"))
import local_alertmanager as local_am  # noqa: E402
import notification_sinks as sinks  # noqa: E402

PROJECT = "e2e-proj"
PHASE = "phase5_execution"
FAILING = "01E2EFAILINGRUN0000000000A"
STALLED = "01E2ESTALLEDRUN0000000000B"
REASON = "OOMKilled: worker <exceeded> 4Gi & was killed"
GROUP_WAIT_S = 8
RECENT_WINDOW_S = 25
LATENCY_TARGET_S = 45


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def alertmanager_binary():
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class Orchestrator:
    """Writes runs, steps and events the way the orchestrator does."""

    def __init__(self, path):
        self.path = path

    def _connect(self):
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def add_stalled_run(self, run_id, since):
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, project_id, phase_id, state, "
                "created_at, started_at) VALUES (?, ?, ?, 'running', ?, ?)",
                (run_id, PROJECT, PHASE, iso(since - 60), iso(since - 30)))
            conn.execute(
                "INSERT INTO steps (run_id, step_id, name, state, started_at, "
                "ended_at) VALUES (?, 's1', 'checkout', 'completed', ?, ?)",
                (run_id, iso(since - 30), iso(since)))
            conn.execute(
                "INSERT INTO steps (run_id, step_id, name, state, started_at) "
                "VALUES (?, 's2', 'train-model', 'running', ?)",
                (run_id, iso(since)))
            for event_type, t in (("run_created", since - 60),
                                  ("run_started", since - 30),
                                  ("step_started", since)):
                conn.execute(
                    "INSERT INTO events (run_id, event_type, severity, "
                    "timestamp) VALUES (?, ?, 'info', ?)",
                    (run_id, event_type, iso(t)))

    def fail_run(self, run_id, now):
        """The step fails with REASON and the run fails, in one commit."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE steps SET state = 'failed', ended_at = ?, "
                "error_message = ? WHERE run_id = ? AND step_id = 's2'",
                (iso(now), REASON, run_id))
            conn.execute(
                "UPDATE runs SET state = 'failed', ended_at = ? "
                "WHERE run_id = ?", (iso(now), run_id))
            conn.execute(
                "INSERT INTO events (run_id, event_type, severity, timestamp, "
                "data) VALUES (?, 'step_failed', 'error', ?, ?)",
                (run_id, iso(now), json.dumps({"step_id": "s2"})))
            conn.execute(
                "INSERT INTO events (run_id, event_type, severity, timestamp) "
                "VALUES (?, 'run_failed', 'error', ?)", (run_id, iso(now)))

    def progress(self, run_id, now):
        """The running step ends and the next one starts."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE steps SET state = 'completed', ended_at = ? "
                "WHERE run_id = ? AND step_id = 's2'", (iso(now), run_id))
            conn.execute(
                "INSERT INTO steps (run_id, step_id, name, state, started_at) "
                "VALUES (?, 's3', 'evaluate', 'running', ?)",
                (run_id, iso(now)))
            for event_type in ("step_completed", "step_started"):
                conn.execute(
                    "INSERT INTO events (run_id, event_type, severity, "
                    "timestamp) VALUES (?, ?, 'info', ?)",
                    (run_id, event_type, iso(now)))


def webhook_alerts(http_sink, alertname, status=None):
    """(payload status, alert) of every alert of alertname the webhook got."""
    found = []
    for _, body in http_sink.posts(local_am.WEBHOOK_PATH):
        if status and body.get("status") != status:
            continue
        for alert in body.get("alerts", []):
            if alert["labels"].get("alertname") == alertname:
                found.append((body["status"], alert))
    return found


def slack_posts(requests, alertname):
    """(time, text of the message) of each Slack post about alertname."""
    posts = []
    for path, _, body, t in requests:
        if path != local_am.SLACK_PATH or not isinstance(body, dict):
            continue
        text = json.dumps(body)
        if alertname in text:
            posts.append((t, text))
    return posts


class AlertingEndToEndTest(unittest.TestCase):
    def setUp(self):
        for tool in ("prometheus",):
            if shutil.which(tool) is None:
                self.fail("%s is not installed (scripts/setup.sh)" % tool)
        if alertmanager_binary() is None:
            self.fail("prometheus-alertmanager is not installed (scripts/setup.sh)")
        tmp = tempfile.TemporaryDirectory(prefix="pe-e2e-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state.db")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db,
                          "--bulk", "0", "--no-artifacts"], timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.orchestrator = Orchestrator(self.db)

        self.http_sink = sinks.HttpSink()
        self.addCleanup(self.http_sink.close)
        self.smtp_sink = sinks.SmtpSink()
        self.addCleanup(self.smtp_sink.close)

    def start_exporter(self):
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary, "--state.db=" + self.db,
            "--state.poll-interval=200ms",
            "--metrics.recent-window=%ds" % RECENT_WINDOW_S,
            "--web.listen-address=" + address], name="exporter")
        lib.wait_for_http("http://%s/-/ready" % address, status=200,
                          timeout=60, daemon=daemon)
        return address

    def start_alertmanager(self):
        def fast(text):
            text = local_am.substitute(text, r"(?m)^(\s*group_wait:) 30s$",
                                       r"\1 %ds" % GROUP_WAIT_S, 1)
            return local_am.substitute(text, r"(?m)^(\s*group_interval:) \S+$",
                                       r"\1 2s")
        config_dir = os.path.join(self.tmp, "alertmanager")
        config = local_am.write_local_config(
            config_dir, self.http_sink.url(), self.smtp_sink.address, fast)
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            alertmanager_binary(), "--config.file=" + config,
            "--storage.path=" + os.path.join(self.tmp, "am-data"),
            "--web.listen-address=" + address, "--cluster.listen-address=",
        ], cwd=config_dir, name="alertmanager")
        lib.wait_for_http("http://%s/-/ready" % address, status=200,
                          timeout=60, daemon=daemon)
        return address

    def fast_rules(self):
        """rules/*.yml with the per-run alerts' hold times shortened: `for:
        2m` to 2s, `keep_firing_for` to 3s (every other value shipped)."""
        shipped = sorted(glob.glob(os.path.join(ARGS.source_dir, "rules", "*.yml")))
        self.assertTrue(shipped, "no rules/*.yml")
        copies = []
        for path in shipped:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"(?m)^(\s+for:) 2m$", r"\1 2s", text)
            text = re.sub(r"(?m)^(\s+keep_firing_for:) \S+$", r"\1 3s", text)
            copy = os.path.join(self.tmp, os.path.basename(path))
            with open(copy, "w", encoding="utf-8") as f:
                f.write(text)
            copies.append(copy)
        return copies

    def start_prometheus(self, exporter, alertmanager):
        rules = self.fast_rules()
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files: %s\n" % json.dumps(rules) +
                    "alerting:\n  alertmanagers:\n"
                    "    - static_configs: [{targets: [%s]}]\n" % json.dumps(alertmanager) +
                    "scrape_configs:\n  - job_name: pipeline_exporter\n"
                    "    static_configs: [{targets: [%s]}]\n" % json.dumps(exporter))
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            shutil.which("prometheus"), "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(self.tmp, "prom-data"),
            "--web.listen-address=" + address, "--log.level=warn",
        ], name="prometheus")
        lib.wait_for_http("http://%s/-/ready" % address, status=200,
                          timeout=60, daemon=daemon)
        return address

    def am_alerts(self, alertmanager, alertname):
        status, _, body = lib.http_get(
            "http://%s/api/v2/alerts?filter=alertname%%3D%%22%s%%22"
            % (alertmanager, alertname))
        return json.loads(body) if status == 200 else []

    def test_failure_and_stall_reach_slack_and_email_inhibited_and_resolved(self):
        now = time.time()
        self.orchestrator.add_stalled_run(FAILING, now - 40 * 60)
        self.orchestrator.add_stalled_run(STALLED, now - 40 * 60)
        exporter = self.start_exporter()
        alertmanager = self.start_alertmanager()
        self.start_prometheus(exporter, alertmanager)

        # Both runs stall; their alerts reach Alertmanager, which holds them
        # for group_wait.
        lib.wait_until(
            lambda: {a["labels"].get("run_id") for a in
                     self.am_alerts(alertmanager, "PipelineRunStalled")}
            >= {FAILING, STALLED},
            timeout=30, message="both stall alerts in Alertmanager")
        self.assertEqual(slack_posts(self.http_sink.requests, "PipelineRunStalled"), [],
                         "a stall was notified before group_wait")

        # One of them fails.
        failed_at = time.time()
        self.orchestrator.fail_run(FAILING, failed_at)

        def failure_posted(requests):
            return any(FAILING in text for _, text in
                       slack_posts(requests, "PipelineRunFailed"))
        requests = self.http_sink.wait_for(failure_posted, timeout=60,
                                           what="the failure on Slack")
        posted_at = min(t for t, text in slack_posts(requests, "PipelineRunFailed")
                        if FAILING in text)
        latency = posted_at - failed_at
        print("\nalert latency, database write -> Slack payload: %.1f s "
              "(target <= %d s; exporter poll 200ms, scrape/eval 1s, "
              "group_wait %ds)" % (latency, LATENCY_TARGET_S, GROUP_WAIT_S),
              file=sys.stderr)
        self.assertLessEqual(latency, LATENCY_TARGET_S)

        _, failure_text = [p for p in slack_posts(requests, "PipelineRunFailed")
                           if FAILING in p[1]][0]
        for expected in (PROJECT, PHASE, "train-model", "OOMKilled", "docs/runbook.md"):
            self.assertIn(expected, failure_text)

        # Critical: the same failure by email, with run, project and reason.
        messages = self.smtp_sink.wait_for(
            lambda items: any(FAILING in sinks.message_text(m) for _, m, _ in items),
            timeout=30, what="the failure email")
        mail = [m for _, m, _ in messages if FAILING in sinks.message_text(m)][0]
        self.assertIn("PipelineRunFailed", mail["Subject"])
        body = sinks.message_text(mail)
        for expected in (PROJECT, "train-model", "OOMKilled"):
            self.assertIn(expected, body)
        self.assertNotIn("<exceeded>", body.split("<html")[-1].replace(
            "&lt;exceeded&gt;", ""), "reason not escaped in the HTML part")

        # The stall group is notified with the other run only: the failed
        # run's stall alert is inhibited by its failure.
        self.http_sink.wait_for(
            lambda r: webhook_alerts(self.http_sink, "PipelineRunStalled"),
            timeout=30, what="the stall notification")
        stalled_runs = {a["labels"]["run_id"] for _, a in
                        webhook_alerts(self.http_sink, "PipelineRunStalled")}
        self.assertEqual(stalled_runs, {STALLED})
        for _, text in slack_posts(self.http_sink.requests, "PipelineRunStalled"):
            self.assertIn(STALLED, text)
            self.assertNotIn(FAILING, text)

        # The stalled run makes progress: its resolution is sent.
        self.orchestrator.progress(STALLED, time.time())
        self.http_sink.wait_for(
            lambda r: any(s == "resolved" and a["labels"]["run_id"] == STALLED
                          for s, a in webhook_alerts(self.http_sink,
                                                     "PipelineRunStalled")),
            timeout=60, what="the stall's resolution")
        self.http_sink.wait_for(
            lambda r: any("RESOLVED" in text for _, text in
                          slack_posts(r, "PipelineRunStalled")),
            timeout=30, what="the stall's resolution on Slack")

        # The failed run leaves the exporter's recent window: resolved too,
        # on Slack and by email.
        self.http_sink.wait_for(
            lambda r: any("RESOLVED" in text and FAILING in text for _, text in
                          slack_posts(r, "PipelineRunFailed")),
            timeout=RECENT_WINDOW_S + 60, what="the failure's resolution")
        self.smtp_sink.wait_for(
            lambda items: any(m["Subject"].startswith("[RESOLVED]") and
                              "PipelineRunFailed" in m["Subject"]
                              for _, m, _ in items),
            timeout=30, what="the failure's resolution by email")

        # Nothing about the failed run's stall was ever sent.
        for status, alert in webhook_alerts(self.http_sink, "PipelineRunStalled"):
            self.assertNotEqual(alert["labels"]["run_id"], FAILING, status)


if __name__ == "__main__":
    lib.main()
