"""The real pipeline_exporter binary on a database written by the real
simulator: what /metrics shows must agree with the database, stay valid for
promtool, follow live changes, and be served gzipped on request; and its
first scrape has every counter with known label values at 0.

Run by ctest as: python3 test_exporter.py --binary PATH --source-dir DIR
"""

import collections
import os
import re
import signal
import sqlite3
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

RUN_STATES = ["pending", "running", "succeeded", "partial", "failed",
              "quarantined", "canceled"]


def db_counts(db_path):
    """{(project, state): count} straight from the database."""
    with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as conn:
        rows = conn.execute(
            "SELECT project_id, state, COUNT(*) FROM runs GROUP BY 1, 2").fetchall()
    return {(p, s): n for p, s, n in rows}


def db_active_runs(db_path):
    """{run_id: state} of pending and running runs."""
    with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as conn:
        rows = conn.execute(
            "SELECT run_id, state FROM runs WHERE state IN ('pending', 'running')"
        ).fetchall()
    return dict(rows)


def exported_counts(samples):
    counts = collections.Counter()
    for labels, value in lib.series(samples, "pipeline_runs").items():
        labels = dict(labels)
        counts[(labels["project"], labels["state"])] = int(value)
    return counts


class ExporterOnSimulatedDatabaseTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-exporter-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state", "orchestration.db")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db, "--seed", "7",
                          "--bulk", "300", "--bulk-active", "25", "--no-artifacts"],
                         timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.base = "http://" + lib.loopback_address(lib.free_port())
        self.daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + self.db,
            "--state.poll-interval=200ms",
            "--web.listen-address=" + self.base[len("http://"):],
        ])
        lib.wait_for_http(self.base + "/-/ready", status=200, timeout=60,
                          daemon=self.daemon)

    def scrape(self):
        return lib.scrape(self.base + "/metrics")

    def wait_in_sync(self):
        """Waits until pipeline_runs equals the database's counts."""
        def in_sync():
            want = {k: v for k, v in db_counts(self.db).items()}
            got = exported_counts(self.scrape())
            return all(got[k] == v for k, v in want.items()) and all(
                v == want.get(k, 0) for k, v in got.items())
        lib.wait_until(in_sync, timeout=30, message="pipeline_runs == database",
                       daemon=self.daemon)

    def test_run_counts_and_active_runs_match_the_database(self):
        self.wait_in_sync()
        samples = self.scrape()
        projects = {p for p, _ in db_counts(self.db)}
        for project in projects:
            for state in RUN_STATES:
                with self.subTest(project=project, state=state):
                    self.assertIsNotNone(
                        lib.sample(samples, "pipeline_runs", project=project,
                                   state=state),
                        "every contract state is present for every project")
        status = {}
        for labels, value in lib.series(samples, "pipeline_run_status").items():
            labels = dict(labels)
            self.assertEqual(value, 1.0)
            self.assertNotIn(labels["run_id"], status, "one status series per run")
            status[labels["run_id"]] = labels["state"]
        for run_id, state in db_active_runs(self.db).items():
            with self.subTest(run_id=run_id):
                self.assertEqual(status.get(run_id), state)
        self.assertEqual(lib.sample(samples, "pipeline_exporter_state_up"), 1.0)
        self.assertEqual(
            lib.sample(samples, "pipeline_exporter_tracked_runs"), float(len(status)))

    def test_promtool_accepts_the_exposition(self):
        text = lib.scrape_text(self.base + "/metrics")
        result = lib.promtool_check_metrics(text)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.strip() + result.stderr.strip(), "",
                         "promtool lint findings")

    def test_serves_the_same_metrics_gzipped(self):
        plain = lib.scrape_text(self.base + "/metrics")
        status, headers, _ = lib.http_get(self.base + "/metrics",
                                          headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("content-encoding"), "gzip")
        zipped = lib.scrape_text(self.base + "/metrics", accept_gzip=True)
        strip = lambda t: [l for l in t.splitlines() if "poll" not in l]
        self.assertEqual(len(strip(zipped)), len(strip(plain)))

    def test_follows_live_runs_and_counts_each_finished_run_once(self):
        self.wait_in_sync()
        before = self.scrape()
        self.assertEqual(lib.series(before, "pipeline_runs_finished_total"), {},
                         "no burst of historical runs at start-up")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db, "--seed", "8",
                          "--no-artifacts", "--live", "--duration", "8s",
                          "--tick", "200ms", "--runs-per-minute", "600",
                          "--step-seconds", "0.3", "--fail-rate", "0.3"],
                         timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.wait_in_sync()
        after = self.scrape()
        finished = sum(lib.series(after, "pipeline_runs_finished_total").values())
        self.assertGreater(finished, 0)
        # Each finished run counted once: no more than the runs that are now
        # terminal and were not terminal before the simulator ran.
        terminal_before = sum(v for (p, s), v in exported_counts(before).items()
                              if s not in ("pending", "running"))
        terminal_after = sum(v for (p, s), v in db_counts(self.db).items()
                             if s not in ("pending", "running"))
        self.assertLessEqual(finished, terminal_after - terminal_before)
        self.assertGreater(sum(lib.series(after, "pipeline_events_total").values()), 0)
        failures = lib.series(after, "pipeline_run_failure_info")
        self.assertTrue(failures, "failed runs name their step and reason")
        for labels in failures:
            labels = dict(labels)
            self.assertIn(labels["state"], ("failed", "partial", "quarantined"))
            self.assertNotIn("\n", labels["reason"])
            self.assertLessEqual(len(labels["reason"].encode()), 120)

    def test_a_pruned_run_loses_every_series(self):
        self.wait_in_sync()
        victim = sorted(db_active_runs(self.db))[0]
        self.assertIn(victim, lib.scrape_text(self.base + "/metrics"))
        with sqlite3.connect(self.db) as conn:
            for table in ("events", "steps", "runs"):
                conn.execute("DELETE FROM %s WHERE run_id = ?" % table, (victim,))
        lib.wait_until(
            lambda: victim not in lib.scrape_text(self.base + "/metrics"),
            timeout=15, message="series of the pruned run gone", daemon=self.daemon)
        self.wait_in_sync()

    def test_stops_cleanly_on_sigterm(self):
        self.daemon.signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0, self.daemon.describe())


# Counter series whose label values are known before anything happened:
# present at 0 from the first scrape, so that dashboards show 0 rather than
# no data and increase() sees the first error. {family: [labels, ...]}
ZERO_AT_FIRST_SCRAPE = {
    "pipeline_exporter_poll_errors_total": [
        {"condition": c} for c in ("missing", "locked", "corrupt", "schema", "error")],
    "pipeline_exporter_parse_errors_total": [
        {"field": f} for f in ("runs.created_at", "runs.started_at", "runs.ended_at",
                               "steps.started_at", "steps.ended_at",
                               "events.timestamp")],
    "pipeline_exporter_polls_total": [{"result": "error"}],
    "pipeline_exporter_resyncs_total": [
        {"reason": r} for r in ("interval", "mismatch", "reopen")],
    "pipeline_exporter_tracked_runs_dropped_total": [{}],
    "pipeline_exporter_config_reloads_total": [
        {"result": r} for r in ("success", "failure")],
    "pipeline_worker_runs_marked_complete_total": [
        {"state": s} for s in ("succeeded", "partial")],
    "pipeline_worker_archive_failures_total": [
        {"reason": r} for r in ("preflight", "io", "no_space", "io_error", "bad_input",
                                "verify_failed", "internal")],
    "pipeline_worker_archives_skipped_total": [
        {"reason": r} for r in ("no_worktree", "invalid_run_id")],
    "pipeline_worker_integrity_checks_total": [
        {"check": "archive", "result": "ok"}, {"check": "archive", "result": "failed"},
        {"check": "scrub", "result": "ok"}, {"check": "scrub", "result": "failed"},
        {"check": "scrub", "result": "missing"}],
    "pipeline_worker_retention_removed_total": [
        {"reason": r} for r in ("age", "count", "bytes")],
}
# Labels whose values only the database can tell (projects, event types):
# their counters have no series until one is seen.
LABELS_LEARNED_FROM_THE_DATABASE = {"project", "event_type"}


def documented_counters(source_dir):
    """{name: [label, ...]} of every counter in the README's metrics reference."""
    with open(os.path.join(source_dir, "README.md"), encoding="utf-8") as f:
        rows = re.findall(r"(?m)^\| `(\w+)` \| counter \| ([^|]*) \|", f.read())
    return {name: re.findall(r"`(\w+)`", labels) for name, labels in rows}


class FirstScrapeTest(unittest.TestCase):
    """An exporter (with its completion worker) on an empty contract database,
    scraped as soon as it is ready: nothing has happened yet."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-exporter-")
        self.addCleanup(tmp.cleanup)
        db = os.path.join(tmp.name, "state", "orchestration.db")
        result = lib.run([ARGS.binary, "simulate", "--db", db], timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        base = "http://" + lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + db,
            "--web.listen-address=" + base[len("http://"):],
            "--worker.enabled",
            "--worker.worktrees-dir=" + os.path.join(tmp.name, "worktrees"),
            "--worker.archive-dir=" + os.path.join(tmp.name, "archive"),
            "--worker.reports-dir=" + os.path.join(tmp.name, "reports"),
        ])
        lib.wait_for_http(base + "/-/ready", status=200, timeout=60, daemon=daemon)
        self.samples = lib.scrape(base + "/metrics")

    def test_counters_with_known_label_values_are_0(self):
        for name, label_sets in ZERO_AT_FIRST_SCRAPE.items():
            for labels in label_sets:
                with self.subTest(name=name, **labels):
                    self.assertEqual(lib.sample(self.samples, name, **labels), 0.0)

    def test_every_other_documented_counter_has_its_series(self):
        counters = documented_counters(ARGS.source_dir)
        self.assertIn("pipeline_exporter_poll_errors_total", counters)
        for name, labels in counters.items():
            if LABELS_LEARNED_FROM_THE_DATABASE & set(labels):
                continue
            with self.subTest(name=name):
                self.assertTrue(lib.series(self.samples, name),
                                "no series of %s at the first scrape" % name)
                if not labels:
                    self.assertEqual(lib.sample(self.samples, name), 0.0)


if __name__ == "__main__":
    lib.main()
