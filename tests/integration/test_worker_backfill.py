"""Onboarding an orchestrator with a history (issue #23): the real binary's
completion worker enabled for the first time on a database whose runs mostly
ended long before.

- default (worker.backfill=none): no run that ended before the worker first
  ran is archived, reported or given an event or job; the fresh ones are,
  the history shows as skipped in /metrics and the backlog stays 0;
- worker.backfill=24h: exactly the old runs that ended within 24h of the
  first start are archived and reported, after the fresh ones (event ids),
  paced by worker.backfill-rate while a run completed during the backfill
  goes ahead of it, with the progress in /metrics
  (pipeline_worker_backfill_runs, pipeline_worker_backfill_taken_total) and
  a progress line in the log instead of one info line per run.

Run by ctest as: python3 test_worker_backfill.py --binary PATH --source-dir DIR
"""

import datetime
import os
import signal
import sqlite3
import tempfile
import time
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

ANCIENT = ["ancient-%03d" % i for i in range(150)]  # ended 10 days ago
RECENT = ["recent-%02d" % i for i in range(12)]     # ended 1 to 12 h ago
FRESH = ["fresh-%d" % i for i in range(3)]  # all steps ended, still running
LATE = "late-0"  # ends while the backfill goes on


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def query(db_path, sql, params=()):
    with sqlite3.connect("file:%s?mode=ro" % db_path, uri=True) as conn:
        return conn.execute(sql, params).fetchall()


class WorkerBackfillTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-backfill-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state.db")
        self.worktrees = os.path.join(self.tmp, "worktrees")
        self.archive = os.path.join(self.tmp, "archive")
        self.reports = os.path.join(self.tmp, "reports")
        # The contract's tables, empty (the simulator's schema).
        result = lib.run([ARGS.binary, "simulate", "--db", self.db],
                         timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        now = datetime.datetime.now(datetime.timezone.utc)
        with sqlite3.connect(self.db) as conn:
            for i, run_id in enumerate(ANCIENT):
                self.add_run(conn, run_id, "succeeded",
                             now - datetime.timedelta(days=10, minutes=i))
            for i, run_id in enumerate(RECENT):
                self.add_run(conn, run_id, "failed" if i % 3 else "succeeded",
                             now - datetime.timedelta(hours=1 + i))
            for run_id in FRESH:
                self.add_run(conn, run_id, "running", None)
        for run_id in ANCIENT + RECENT + FRESH + [LATE]:
            tree = os.path.join(self.worktrees, run_id)
            os.makedirs(tree)
            with open(os.path.join(tree, "output.txt"), "w") as f:
                f.write("result of %s\n" % run_id * 50)

    @staticmethod
    def add_run(conn, run_id, state, ended):
        start = (ended or datetime.datetime.now(datetime.timezone.utc)) \
            - datetime.timedelta(minutes=5)
        conn.execute(
            "INSERT INTO runs (run_id, project_id, phase_id, state, "
            "created_at, started_at, ended_at, updated_at) "
            "VALUES (?, 'proj', 'phase5_execution', ?, ?, ?, ?, ?)",
            (run_id, state, iso(start), iso(start),
             iso(ended) if ended else None, iso(ended or start)))
        conn.execute(
            "INSERT INTO steps (run_id, step_id, name, state, attempt, "
            "started_at, ended_at) VALUES (?, 'build', 'build', 'completed', "
            "1, ?, ?)", (run_id, iso(start), iso(ended or start)))
        conn.execute(
            "INSERT INTO events (run_id, event_type, severity, timestamp) "
            "VALUES (?, 'run_created', 'info', ?)", (run_id, iso(start)))

    def start_exporter(self, *extra):
        base = "http://" + lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + self.db,
            "--state.poll-interval=200ms",
            "--web.listen-address=" + base[len("http://"):],
            "--worker.enabled",
            "--worker.interval=200ms",
            "--worker.worktrees-dir=" + self.worktrees,
            "--worker.archive-dir=" + self.archive,
            "--worker.reports-dir=" + self.reports,
        ] + list(extra))
        lib.wait_for_http(base + "/-/ready", status=200, timeout=60,
                          daemon=daemon)
        return base, daemon

    def done_runs(self):
        return {row[0] for row in query(
            self.db, "SELECT run_id FROM exporter_jobs WHERE stage = 'done'")}

    def archived_event_ids(self):
        return dict(query(self.db,
                          "SELECT run_id, MIN(id) FROM events WHERE "
                          "event_type = 'run_archived' GROUP BY run_id"))

    def touched_runs(self):
        """Runs the worker wrote anything for: a job, a record, an event."""
        return {row[0] for row in query(
            self.db,
            "SELECT run_id FROM exporter_jobs UNION SELECT run_id FROM "
            "archival_log UNION SELECT run_id FROM events WHERE event_type "
            "IN ('run_completed', 'run_archived', 'archival_skipped', "
            "'archival_failed', 'report_generated')")}

    def files(self, folder):
        return set(os.listdir(folder)) if os.path.isdir(folder) else set()

    def end_late_run(self):
        """A run that ends now, as the orchestrator would write it."""
        now = datetime.datetime.now(datetime.timezone.utc)
        with sqlite3.connect(self.db, timeout=10) as conn:
            self.add_run(conn, LATE, "succeeded", now)
            conn.execute(
                "INSERT INTO events (run_id, event_type, severity, timestamp) "
                "VALUES (?, 'run_completed', 'info', ?)", (LATE, iso(now)))

    def test_by_default_no_old_run_is_archived_or_reported(self):
        base, daemon = self.start_exporter()
        lib.wait_until(lambda: set(FRESH) <= self.done_runs(), timeout=30,
                       interval=0.2, message="the fresh runs archived",
                       daemon=daemon)
        self.end_late_run()
        lib.wait_until(lambda: LATE in self.done_runs(), timeout=30,
                       interval=0.2, message="the late run archived",
                       daemon=daemon)
        time.sleep(1.5)  # several more passes: still nothing of the history
        samples = lib.scrape(base + "/metrics")

        fresh = set(FRESH + [LATE])
        self.assertEqual(self.touched_runs(), fresh)
        self.assertEqual(self.files(self.archive),
                         {r + ".zip" for r in fresh})
        self.assertEqual(self.files(self.reports),
                         {r + s for r in fresh
                          for s in ("_summary.json", "_summary.html")})
        old = ANCIENT + RECENT
        states = dict(query(self.db, "SELECT run_id, state FROM runs"))
        self.assertFalse([r for r in old if states[r] not in
                          ("succeeded", "failed")])
        self.assertEqual(lib.sample(samples, "pipeline_worker_backlog_runs"),
                         0)
        self.assertEqual(lib.sample(samples, "pipeline_worker_backfill_runs",
                                    state="skipped"), len(old))
        self.assertEqual(lib.sample(samples, "pipeline_worker_backfill_runs",
                                    state="pending"), 0)
        self.assertEqual(
            lib.sample(samples, "pipeline_worker_backfill_taken_total"), 0)
        first = lib.sample(samples,
                           "pipeline_worker_first_start_timestamp_seconds")
        self.assertAlmostEqual(first, time.time(), delta=120)

        # A restart does not make the runs of the meantime history, nor take
        # the skipped ones.
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())
        base, daemon = self.start_exporter()
        time.sleep(1.5)
        samples = lib.scrape(base + "/metrics")
        self.assertEqual(self.touched_runs(), fresh)
        self.assertEqual(
            lib.sample(samples, "pipeline_worker_first_start_timestamp_seconds"),
            first)
        self.assertEqual(lib.sample(samples, "pipeline_worker_backfill_runs",
                                    state="skipped"), len(old))

    def test_a_window_takes_exactly_the_runs_within_it_after_fresh_ones(self):
        base, daemon = self.start_exporter("--worker.backfill=24h",
                                           "--worker.backfill-rate=3",
                                           "--log.level=info")
        pending_seen = []

        def watch():
            samples = lib.scrape(base + "/metrics")
            pending = lib.sample(samples, "pipeline_worker_backfill_runs",
                                 state="pending")
            if pending is not None:
                pending_seen.append(pending)
            return samples

        def under_way():
            watch()
            return len(RECENT) // 2 <= pending_seen[-1] < len(RECENT)

        # The backfill has started (some history queued, at least half of it
        # left): a run ending now goes ahead of what is left.
        lib.wait_until(under_way, timeout=30, interval=0.1,
                       message="the backfill under way", daemon=daemon)
        self.end_late_run()
        lib.wait_until(
            lambda: set(FRESH + RECENT + [LATE]) <= self.done_runs(),
            timeout=40, interval=0.2, message="the window's runs archived",
            daemon=daemon)
        def settled():
            samples = watch()
            idle = (pending_seen[-1] == 0 and
                    lib.sample(samples, "pipeline_worker_backlog_runs") == 0)
            return samples if idle else None

        samples = lib.wait_until(settled, timeout=10, interval=0.2,
                                 message="pending 0 in /metrics",
                                 daemon=daemon)

        wanted = set(FRESH + RECENT + [LATE])
        self.assertEqual(self.touched_runs(), wanted)
        self.assertEqual(self.files(self.archive), {r + ".zip" for r in wanted})
        self.assertEqual(len(self.files(self.reports)), 2 * len(wanted))

        # Fresh work first: every run fresh at the start before any old one,
        # and the late run before the old ones left when it ended.
        ids = self.archived_event_ids()
        self.assertLess(max(ids[r] for r in FRESH),
                        min(ids[r] for r in RECENT))
        self.assertLess(ids[LATE], max(ids[r] for r in RECENT))
        # Old runs newest first.
        self.assertEqual(sorted(RECENT, key=ids.get), RECENT)

        # Progress in /metrics: counted, then going down to 0.
        self.assertEqual(max(pending_seen), len(RECENT))
        self.assertTrue([p for p in pending_seen if 0 < p < len(RECENT)],
                        pending_seen)
        self.assertEqual(lib.sample(samples, "pipeline_worker_backfill_runs",
                                    state="skipped"), len(ANCIENT))
        self.assertEqual(
            lib.sample(samples, "pipeline_worker_backfill_taken_total"),
            len(RECENT))

        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())
        log = daemon.stderr()
        # A progress line, not one info line per old run.
        self.assertIn("backfill done", log)
        per_run = [line for line in log.splitlines()
                   if "run archived" in line and "recent-" in line]
        self.assertEqual(per_run, [])
        self.assertTrue([line for line in log.splitlines()
                         if "run archived" in line and "fresh-" in line])


if __name__ == "__main__":
    lib.main()
