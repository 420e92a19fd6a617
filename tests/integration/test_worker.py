"""The completion worker in the real binary on a database written live by the
real simulator (runs left `running` with all steps terminal): every terminal
run is marked, archived (a zip that `unzip -t` accepts), recorded and reported
exactly once, SIGTERM stops the exporter cleanly, and a restart on the same
files repeats nothing.

Run by ctest as: python3 test_worker.py --binary PATH --source-dir DIR
"""

import os
import signal
import sqlite3
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

TERMINAL = ("succeeded", "partial", "failed", "quarantined", "canceled")


def query(db_path, sql, params=()):
    with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as conn:
        return conn.execute(sql, params).fetchall()


class CompletionWorkerBinaryTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-worker-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state.db")
        self.worktrees = os.path.join(self.tmp, "worktrees")
        self.archive = os.path.join(self.tmp, "archive")
        self.reports = os.path.join(self.tmp, "reports")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db,
                          "--worktrees", self.worktrees, "--bulk", "0",
                          "--live", "--duration", "6s", "--tick", "200ms",
                          "--runs-per-minute", "300", "--step-seconds", "0.2",
                          "--no-complete-runs"], timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)

    def start_exporter(self, db=None, extra=(), ready=True):
        base = "http://" + lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + (db or self.db),
            "--state.poll-interval=200ms",
            "--web.listen-address=" + base[len("http://"):],
            "--worker.enabled",
            "--worker.interval=500ms",
            # The simulator's runs ended before the worker first ran: all of
            # them are wanted here (the default, none, is
            # test_worker_backfill.py's).
            "--worker.backfill=all",
            "--worker.backfill-rate=0",
            "--worker.worktrees-dir=" + self.worktrees,
            "--worker.archive-dir=" + self.archive,
            "--worker.reports-dir=" + self.reports,
        ] + list(extra))
        if ready:
            lib.wait_for_http(base + "/-/ready", status=200, timeout=60,
                              daemon=daemon)
        return base, daemon

    def wait_for_log(self, daemon, message):
        return lib.wait_until(lambda: message in daemon.stderr(), timeout=30,
                              message="log line " + message, daemon=daemon)

    def unfinished_runs(self):
        """Terminal runs whose archive, record or reports are missing."""
        rows = query(self.db,
                     "SELECT r.run_id, a.archive_path, a.report_json, "
                     "a.report_html FROM runs r LEFT JOIN archival_log a "
                     "USING (run_id) WHERE r.state IN (%s)"
                     % ",".join("?" * len(TERMINAL)), TERMINAL)
        missing = []
        for run_id, archive_path, report_json, report_html in rows:
            has_tree = os.path.isdir(os.path.join(self.worktrees, run_id))
            ok = (report_json and os.path.isfile(report_json)
                  and report_html and os.path.isfile(report_html))
            if has_tree:
                ok = ok and archive_path and os.path.isfile(archive_path)
            if not ok:
                missing.append(run_id)
        return missing

    def worker_events(self):
        return query(self.db,
                     "SELECT run_id, event_type, COUNT(*) FROM events WHERE "
                     "event_type IN ('run_archived', 'report_generated', "
                     "'archival_skipped', 'run_completed') GROUP BY 1, 2")

    def archives(self):
        return {name: os.stat(os.path.join(self.archive, name)).st_mtime_ns
                for name in os.listdir(self.archive)}

    def test_every_terminal_run_is_archived_and_reported_exactly_once(self):
        running_done = query(
            self.db,
            "SELECT COUNT(*) FROM runs r WHERE state = 'running' AND NOT "
            "EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.run_id AND "
            "s.state NOT IN ('completed', 'failed', 'skipped')) AND EXISTS "
            "(SELECT 1 FROM steps s WHERE s.run_id = r.run_id)")[0][0]
        self.assertGreater(running_done, 0,
                           "the simulator left no run for the worker to mark")

        base, daemon = self.start_exporter()

        def drained():
            samples = lib.scrape(base + "/metrics")
            backlog = lib.sample(samples, "pipeline_worker_backlog_runs")
            heartbeat = lib.sample(samples,
                                   "pipeline_worker_heartbeat_timestamp_seconds")
            return (heartbeat and backlog == 0 and not self.unfinished_runs()
                    and samples)
        samples = lib.wait_until(drained, timeout=120, interval=0.5,
                                 message="backlog 0 and every run archived",
                                 daemon=daemon)

        terminal = query(self.db, "SELECT COUNT(*) FROM runs WHERE state IN "
                         "(%s)" % ",".join("?" * len(TERMINAL)), TERMINAL)[0][0]
        self.assertGreaterEqual(terminal, running_done)
        self.assertGreaterEqual(
            lib.sample(samples, "pipeline_worker_archives_created_total"), 1)
        marked = sum(lib.series(
            samples, "pipeline_worker_runs_marked_complete_total").values())
        self.assertGreaterEqual(marked, running_done)

        for run_id, event_type, count in self.worker_events():
            self.assertEqual(count, 1, "%s: %s written %d times"
                             % (run_id, event_type, count))

        zips = sorted(os.listdir(self.archive))
        self.assertTrue(zips)
        self.assertFalse([z for z in zips if not z.endswith(".zip")],
                         "partial files left in the archive folder")
        for name in zips[:5]:
            result = lib.run(["unzip", "-tq", os.path.join(self.archive, name)])
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())

        # A restart on the same files finds nothing left to do.
        events_before = self.worker_events()
        archives_before = self.archives()
        log_before = query(self.db, "SELECT COUNT(*) FROM archival_log")
        base, daemon = self.start_exporter()

        def iterated_twice():
            beats = set()

            def beat():
                samples = lib.scrape(base + "/metrics")
                value = lib.sample(
                    samples, "pipeline_worker_heartbeat_timestamp_seconds")
                if value:
                    beats.add(value)
                return len(beats) >= 3
            return lib.wait_until(beat, timeout=30, interval=0.2,
                                  message="three worker iterations",
                                  daemon=daemon)
        iterated_twice()
        self.assertEqual(self.worker_events(), events_before)
        self.assertEqual(self.archives(), archives_before)
        self.assertEqual(query(self.db, "SELECT COUNT(*) FROM archival_log"),
                         log_before)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())

    def test_worker_starts_once_the_first_read_has_ended(self):
        # The read that makes the exporter ready has both cores to itself;
        # the worker's first pass comes after it.
        _, daemon = self.start_exporter(extra=["--log.level=debug"])
        self.wait_for_log(daemon, 'msg="completion worker started"')
        log = daemon.stderr()
        self.assertIn('msg="read the whole runs table"', log)
        self.assertLess(log.index('msg="read the whole runs table"'),
                        log.index('msg="completion worker started"'), log)

    def test_worker_starts_after_a_failed_first_read_too(self):
        missing = os.path.join(self.tmp, "not-yet", "state.db")
        _, daemon = self.start_exporter(db=missing, ready=False)
        self.wait_for_log(daemon, 'msg="completion worker started"')
        log = daemon.stderr()
        self.assertIn('msg="waiting for the state database"', log)
        self.assertLess(log.index('msg="waiting for the state database"'),
                        log.index('msg="completion worker started"'), log)
        self.assertTrue(daemon.alive(), daemon.describe())


if __name__ == "__main__":
    lib.main()
