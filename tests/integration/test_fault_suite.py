"""Fault suite: the real exporter, with its completion worker, against every
fault of issue #5 (docs/reliability.md has the table of cases and outcomes).

The suite is a table (CASES below). Each row names a fault and gives three
steps, run by FaultSuiteTest.run_case:

  prepare(t, ctx)   a state database with finished runs and their worktrees
                    (and whatever the fault needs: a small volume, ...);
                    the exporter is then started and, unless the row says
                    otherwise, finishes the runs' jobs before the fault;
  inject(t, ctx)    applies the fault and asserts that the daemon stays up
                    and reports it (pipeline_exporter_state_condition,
                    pipeline_worker_archive_failures_total{reason}, events);
  heal(t, ctx)      removes the fault (restarting the exporter if the row's
                    fault was a kill -9).

Then, for every row, the orchestrator appends two more finished runs and
assert_nothing_lost checks the invariant: every run in the database is
terminal, has exactly one archival_log row, exactly one report_generated
event, and exactly one run_archived event with a zip holding exactly its
worktree's files (or, for a documented skip, one archival_skipped event and
no zip); no partial archive file remains; and the exporter's metrics equal
the database's counts again (runs per state, known runs, state up, worker
backlog 0).

Run by ctest as: python3 test_fault_suite.py --binary PATH --source-dir DIR
"""

import collections
import datetime
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import zlib

import contract_schema
import pe_testlib as lib
import test_worker_faults as wf

ARGS = lib.parse_args()

MIB = 1 << 20
PARTIAL_MARK = ".zip.partial"
CONDITIONS = ("ok", "missing", "locked", "corrupt", "schema", "error")
TERMINAL = ("succeeded", "partial", "failed", "quarantined", "canceled")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

# The fast settings of the brief: a fault is seen, retried and recovered
# within seconds.
EXPORTER_FLAGS = [
    "--state.poll-interval=200ms",
    "--state.busy-timeout=500ms",
    "--worker.enabled",
    "--worker.interval=200ms",
    # Runs written before the worker first ran are wanted too.
    "--worker.backfill=all",
    "--worker.backfill-rate=0",
    "--worker.lease=1s",
    "--worker.retry-backoff=1s",
    # Per-run series of runs ended "long ago" by a jumped clock stay.
    "--metrics.recent-window=1d",
]



# ---------------------------------------------------------------------------
# The orchestrator's side: contract databases and worktrees.

def iso(seconds_ago):
    """A contract timestamp (Python's utcnow().isoformat() form)."""
    return (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
            - datetime.timedelta(seconds=seconds_ago)).isoformat()


def parse_iso(text):
    return datetime.datetime.fromisoformat(text).replace(
        tzinfo=datetime.timezone.utc).timestamp()


def create_database(path, legacy=False, wal=True):
    """An empty contract database; legacy: an older orchestrator's file,
    whose runs table has no updated_at column (state contract)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        contract_schema.create_tables(conn, legacy=legacy)
    finally:
        conn.close()


def has_column(conn, table, column):
    return any(row[1] == column
               for row in conn.execute("PRAGMA table_info(%s)" % table))


def insert_runs(conn, run_ids, state="succeeded"):
    """Rows of finished runs (or, with state="running", runs whose steps are
    all terminal, left for the worker to mark) and their events, on an open
    connection (inside the caller's transaction if it has one)."""
    updated = has_column(conn, "runs", "updated_at")
    for n, run_id in enumerate(run_ids):
        ended = None if state == "running" else iso(5)
        columns = ["run_id", "project_id", "phase_id", "workstream_id",
                   "state", "created_at", "started_at", "ended_at",
                   "metadata"]
        values = [run_id, "proj-%s" % "ab"[n % 2], "phase5_execution",
                  "ws-%03d" % n, state, iso(60), iso(50), ended,
                  '{"trigger": "fault-suite"}']
        if updated:
            columns.append("updated_at")
            values.append(ended or iso(6))
        conn.execute("INSERT INTO runs (%s) VALUES (%s)" % (
            ", ".join(columns), ", ".join("?" * len(columns))), values)
        events = [("run_created", "info", iso(60)),
                  ("run_started", "info", iso(50))]
        for s in range(3):
            failed = state == "partial" and s == 1
            conn.execute(
                "INSERT INTO steps (run_id, step_id, name, state, started_at, "
                "ended_at, error_message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, "step_%02d" % s, "step %d" % s,
                 "failed" if failed else "completed", iso(40 - s * 10),
                 iso(35 - s * 10), "Boom\n" if failed else None))
            events.append(("step_failed" if failed else "step_completed",
                           "error" if failed else "info", iso(35 - s * 10)))
        if ended:
            events.append(("run_completed", "info", ended))
        for event_type, severity, stamp in events:
            conn.execute("INSERT INTO events (run_id, event_type, severity, "
                         "timestamp, data) VALUES (?, ?, ?, ?, '{}')",
                         (run_id, event_type, severity, stamp))


def write_small_worktree(root, seed):
    """A few files, a nested folder and an empty one."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(root, "logs"))
    os.makedirs(os.path.join(root, "empty dir"))
    with open(os.path.join(root, "logs", "run.log"), "w") as f:
        for i in range(200):
            f.write("line %d value=%d\n" % (i, rng.randrange(10 ** 6)))
    with open(os.path.join(root, "result.bin"), "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(4096)))


def query_rw(db, sql, params=()):
    """One statement on a read-write connection (a writer, like the
    orchestrator), committed at once."""
    conn = sqlite3.connect(db, timeout=10, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def checkpoint(db):
    """Moves every WAL frame into the main file, so the file alone is a
    complete copy (readers are never held between polls)."""
    rows = query_rw(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    if rows and rows[0][0] != 0:
        raise AssertionError("checkpoint blocked: %r" % (rows,))


def fill_volume(path):
    """Writes zeros to path until the volume is full (ENOSPC)."""
    block = b"\0" * (64 * 1024)
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# One case's world: files, the exporter, and what it reports.

class Ctx:
    """The files of one case, the exporter running on them, and the runs the
    case expects (run id -> file hashes of its worktree; skipped ones)."""

    def __init__(self, test, tmp):
        self.t = test
        self.tmp = tmp
        self.db = os.path.join(tmp, "state", "orchestration.db")
        os.makedirs(os.path.dirname(self.db))
        self.worktrees = os.path.join(tmp, "worktrees")
        self.archive = os.path.join(tmp, "archive")
        self.reports = os.path.join(tmp, "reports")
        os.makedirs(self.worktrees)
        self.sources = {}     # run id -> {relative path: sha256}
        self.skipped = set()  # run ids expected to end archival_skipped
        self.flags = []
        self.env = None
        self.wrapper = []
        self.notes = []       # what happened, printed per case
        self.daemon = None
        self.base = None
        self._serial = 0

    # -- runs ---------------------------------------------------------------

    def new_ids(self, count):
        ids = []
        for _ in range(count):
            self._serial += 1
            ids.append("01FAULT%s%015d" % (
                self.t.case_tag, self._serial))
        return ids

    def add_runs(self, count, state="succeeded", conn=None, db=None,
                 worktrees=True):
        """Appends finished runs (and worktrees) as the orchestrator does;
        on conn when given (the caller's transaction), else committed."""
        ids = self.new_ids(count)
        for run_id in ids:
            if worktrees:
                root = os.path.join(self.worktrees, run_id)
                write_small_worktree(root, seed=zlib.crc32(run_id.encode()))
                self.sources[run_id] = wf.file_hashes(root)
        if conn is not None:
            insert_runs(conn, ids, state)
        else:
            own = sqlite3.connect(db or self.db, timeout=10)
            try:
                with own:
                    insert_runs(own, ids, state)
            finally:
                own.close()
        return ids

    def add_large_run(self, text_files=0, random_files=0, random_file_mib=1):
        run_id = self.new_ids(1)[0]
        root = os.path.join(self.worktrees, run_id)
        wf.write_large_worktree(root, text_files=text_files,
                                random_files=random_files,
                                random_file_mib=random_file_mib)
        self.sources[run_id] = wf.file_hashes(root)
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            with conn:
                insert_runs(conn, [run_id])
        finally:
            conn.close()
        return run_id

    # -- the exporter -------------------------------------------------------

    def start(self, wait_ready=True, wrapper=None):
        port = lib.free_port()
        self.base = "http://" + lib.loopback_address(port)
        args = (list(self.wrapper if wrapper is None else wrapper) + [
            ARGS.binary, "--state.db=" + self.db,
            "--web.listen-address=" + lib.loopback_address(port),
            "--worker.worktrees-dir=" + self.worktrees,
            "--worker.archive-dir=" + self.archive,
            "--worker.reports-dir=" + self.reports] + EXPORTER_FLAGS
            + self.flags)
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        self.daemon = lib.start_daemon(self.t, args, env=env,
                                       name="pipeline_exporter")
        if wait_ready:
            lib.wait_for_http(self.base + "/-/ready", status=200, timeout=30,
                              daemon=self.daemon)

    def restart(self, wrapper=None):
        """SIGTERM (clean exit asserted), then a new process."""
        self.stop_cleanly()
        self.start(wrapper=wrapper)

    def stop_cleanly(self):
        self.daemon.signal(signal.SIGTERM)
        self.t.assertEqual(self.daemon.wait(30), 0, self.daemon.describe())

    def kill9(self):
        self.daemon.signal(signal.SIGKILL)
        self.t.assertEqual(self.daemon.wait(10), -signal.SIGKILL,
                           self.daemon.describe())

    def metrics(self):
        return lib.scrape(self.base + "/metrics")

    def metric(self, name, **labels):
        return lib.sample(self.metrics(), name, **labels)

    def wait(self, predicate, message, timeout=30.0, interval=0.1):
        return lib.wait_until(predicate, timeout=timeout, interval=interval,
                              message=message, daemon=self.daemon)

    def condition(self, samples=None):
        samples = samples or self.metrics()
        on = [c for c in CONDITIONS if lib.sample(
            samples, "pipeline_exporter_state_condition", condition=c) == 1]
        return on[0] if len(on) == 1 else "several: %r" % (on,)

    def failures(self, samples=None):
        """{reason: count} of pipeline_worker_archive_failures_total."""
        samples = samples or self.metrics()
        return {dict(labels)["reason"]: value for labels, value in lib.series(
            samples, "pipeline_worker_archive_failures_total").items()
            if value > 0}

    # -- assertions shared by the cases -------------------------------------

    def assert_serving(self):
        """Alive, healthy, ready, and scrapes answer."""
        self.t.assertTrue(self.daemon.alive(), self.daemon.describe())
        self.t.assertEqual(lib.http_get(self.base + "/-/healthy")[0], 200)
        self.t.assertEqual(lib.http_get(self.base + "/-/ready")[0], 200)
        return self.metrics()

    def wait_degraded(self, condition, known_runs):
        """The poller reports `condition`, state down, and keeps serving the
        last good data (known runs unchanged)."""
        def degraded():
            samples = self.metrics()
            return (self.condition(samples) == condition
                    and lib.sample(samples, "pipeline_exporter_state_up") == 0
                    and samples)
        samples = self.wait(degraded, "condition %s" % condition, timeout=15)
        self.t.assertEqual(
            lib.sample(samples, "pipeline_exporter_known_runs"), known_runs,
            "the last good data is no longer served")
        self.t.assertGreater(
            lib.sample(samples, "pipeline_exporter_poll_errors_total",
                       condition=condition) or 0, 0)
        self.assert_serving()
        self.notes.append("condition=%s" % condition)

    def wait_failure(self, reasons, event_types, run_id=None):
        """An archival failure with one of `reasons` in the metric and an
        event of one of `event_types` in the database. Returns the reason."""
        def failed():
            seen = set(self.failures()) & set(reasons)
            if not seen:
                return None
            sql = ("SELECT event_type, data FROM events WHERE event_type IN "
                   "(%s)" % ",".join("?" * len(event_types)))
            params = list(event_types)
            if run_id:
                sql += " AND run_id = ?"
                params.append(run_id)
            rows = wf.query(self.db, sql, params)
            return rows and (sorted(seen), rows)
        seen, rows = self.wait(failed, "failure %r with event %r" % (
            reasons, event_types), timeout=30)
        self.notes.append("failures=%s events=%s" % (
            ",".join(seen), ",".join(sorted({r[0] for r in rows}))))
        self.assert_serving()
        return seen

    def jobs(self):
        return dict(wf.query_worker_table(
            self.db, "SELECT run_id, stage FROM exporter_jobs"))

    def wait_all_done(self, timeout=60.0):
        def done():
            runs = dict(wf.query(self.db, "SELECT run_id, state FROM runs"))
            jobs = self.jobs()
            # A job ends "done" (archived and reported) or "skipped".
            return (runs and all(s in TERMINAL for s in runs.values())
                    and all(jobs.get(r) in ("done", "skipped") for r in runs))
        self.wait(done, "every run's job done", timeout=timeout, interval=0.2)

    def partial_files(self):
        names = os.listdir(self.archive) if os.path.isdir(self.archive) else []
        return sorted(n for n in names if PARTIAL_MARK in n)

    def assert_nothing_lost(self, timeout=30.0):
        """The invariant every case ends with (module docstring)."""
        self.wait_all_done(timeout)
        db_runs = dict(wf.query(self.db, "SELECT run_id, state FROM runs"))
        by_state = collections.Counter(db_runs.values())

        def metrics_match():
            samples = self.metrics()
            exported = collections.Counter()
            for labels, value in lib.series(samples, "pipeline_runs").items():
                exported[dict(labels)["state"]] += int(value)
            return (lib.sample(samples, "pipeline_exporter_state_up") == 1
                    and self.condition(samples) == "ok"
                    and lib.sample(samples, "pipeline_exporter_known_runs")
                    == len(db_runs)
                    and +exported == by_state
                    and lib.sample(samples, "pipeline_worker_backlog_runs")
                    == 0)
        self.wait(metrics_match, "metrics equal to the database's counts "
                  "(%d runs %r)" % (len(db_runs), dict(by_state)), timeout=15)

        def counts(table_sql):
            return dict(wf.query(self.db, table_sql))
        log_rows = counts("SELECT run_id, COUNT(*) FROM archival_log "
                          "GROUP BY run_id")
        events = {}
        for event_type in ("run_archived", "archival_skipped",
                           "report_generated"):
            events[event_type] = counts(
                "SELECT run_id, COUNT(*) FROM events WHERE event_type = '%s' "
                "GROUP BY run_id" % event_type)
        records = {row[0]: row[1:] for row in wf.query(
            self.db, "SELECT run_id, archive_path, sha256 FROM archival_log")}
        for run_id in db_runs:
            with self.t.subTest(run_id=run_id):
                self.t.assertEqual(log_rows.get(run_id), 1,
                                   "archival_log rows")
                self.t.assertEqual(events["report_generated"].get(run_id), 1,
                                   "report_generated events")
                zip_path = os.path.join(self.archive, run_id + ".zip")
                if run_id in self.skipped:
                    self.t.assertEqual(events["archival_skipped"].get(run_id),
                                       1, "archival_skipped events")
                    self.t.assertIsNone(events["run_archived"].get(run_id))
                    self.t.assertFalse(os.path.exists(zip_path))
                    continue
                self.t.assertEqual(events["run_archived"].get(run_id), 1,
                                   "run_archived events")
                self.t.assertIsNone(events["archival_skipped"].get(run_id))
                archive_path, digest = records[run_id]
                self.t.assertEqual(os.path.realpath(archive_path),
                                   os.path.realpath(zip_path))
                self.t.assertEqual(wf.sha256_file(zip_path), digest,
                                   "recorded SHA-256 differs from the file")
                if run_id in self.sources:
                    self.t.assertEqual(
                        wf.verified_zip_contents(zip_path, run_id),
                        self.sources[run_id],
                        "archive content differs from the worktree")
        self.t.assertEqual(self.partial_files(), [], "partial archive files")
        self.notes.append("%d runs, %d archived, %d skipped" % (
            len(db_runs), len(events["run_archived"]), len(self.skipped)))


# ---------------------------------------------------------------------------
# The cases. Each function takes (t, ctx); t is the TestCase.

def prepare_default(t, ctx):
    create_database(ctx.db)
    ctx.add_runs(3)
    ctx.add_runs(1, state="partial")


# (1) Database deleted, then recreated with other runs.

def inject_deleted(t, ctx):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(ctx.db + suffix):
            os.remove(ctx.db + suffix)
    ctx.wait_degraded("missing", known_runs=4)
    time.sleep(1.0)  # a few worker iterations against a missing file
    ctx.assert_serving()


def heal_recreated(t, ctx):
    staging = os.path.join(ctx.tmp, "new.db")
    create_database(staging)
    ctx.sources.clear()  # the old runs are gone with the old file
    ctx.add_runs(3, db=staging)
    # Every connection closed: the WAL was checkpointed and removed, the
    # file alone is the database (still in WAL mode).
    t.assertFalse(os.path.exists(staging + "-wal"))
    os.rename(staging, ctx.db)
    ctx.wait(lambda: ctx.condition() == "ok"
             and ctx.metric("pipeline_exporter_known_runs") == 3,
             "the poller reading the new file")
    # The worker must follow the path to the new file too: its tables
    # appear there and the new runs are queued.
    ctx.wait(lambda: len(ctx.jobs()) == 3,
             "the worker to queue the 3 runs of the recreated database "
             "(exporter_jobs in the new file)", timeout=20)


# (2) Locked longer than the busy timeout by a writer in a long transaction.

def make_lock_case(wal):
    def prepare(t, ctx):
        create_database(ctx.db, wal=wal)
        ctx.add_runs(3)

    def inject(t, ctx):
        # The orchestrator (another process than the exporter) holds an
        # exclusive transaction for 3 s (6 busy timeouts) and appends runs.
        conn = sqlite3.connect(ctx.db, timeout=10, isolation_level=None)
        t.addCleanup(conn.close)
        conn.execute("BEGIN EXCLUSIVE")
        held = ctx.add_runs(2, conn=conn)
        since = time.monotonic()
        if wal:
            # WAL readers are never blocked: the poller stays up, the
            # worker's writes wait; nothing of the transaction is seen.
            time.sleep(1.5)
            samples = ctx.assert_serving()
            t.assertEqual(ctx.condition(samples), "ok")
            t.assertEqual(lib.sample(samples, "pipeline_exporter_known_runs"),
                          3)
            ctx.notes.append("condition stays ok (WAL readers not blocked)")
        else:
            ctx.wait_degraded("locked", known_runs=3)
        time.sleep(max(0.0, 3.0 - (time.monotonic() - since)))
        ctx.assert_serving()
        t.assertFalse(any(os.path.exists(os.path.join(ctx.archive, r + ".zip"))
                          for r in held), "archived a run not yet committed")
        conn.execute("COMMIT")
        ctx.notes.append("held %.1fs" % (time.monotonic() - since))

    return prepare, inject, None


# (3), (4) The file damaged behind SQLite's back, then restored.

def make_damage_case(damage, condition):
    backup = {}

    def inject(t, ctx):
        checkpoint(ctx.db)
        with open(ctx.db, "rb") as f:
            backup["bytes"] = f.read()
        size = len(backup["bytes"])
        with open(ctx.db, "r+b") as f:
            if damage == "zero":
                f.truncate(0)
            elif damage == "half":
                f.truncate(size // 2)
            else:  # garbage of the same size, no SQLite header
                f.write(random.Random(5).randbytes(size))
        ctx.wait_degraded(condition, known_runs=4)
        time.sleep(1.0)
        ctx.assert_serving()

    def heal(t, ctx):
        with open(ctx.db, "r+b") as f:  # restored in place from the copy
            f.write(backup["bytes"])
            f.truncate(len(backup["bytes"]))

    return inject, heal


# (5) A file from an older orchestrator: runs without updated_at.

def prepare_legacy(t, ctx):
    create_database(ctx.db, legacy=True)
    ctx.add_runs(2)
    # All steps terminal: the worker marks them (run_completed).
    ctx.left_running = ctx.add_runs(2, state="running")


def inject_legacy(t, ctx):
    samples = ctx.assert_serving()
    t.assertEqual(ctx.condition(samples), "ok")
    for run_id in ctx.left_running:
        state = wf.query(ctx.db, "SELECT state FROM runs WHERE run_id = ?",
                         (run_id,))
        completed = wf.query(ctx.db, "SELECT COUNT(*) FROM events WHERE "
                             "run_id = ? AND event_type = 'run_completed'",
                             (run_id,))
        t.assertEqual(state, [("succeeded",)], run_id)
        t.assertEqual(completed, [(1,)], run_id)
    conn = sqlite3.connect("file:%s?mode=ro" % ctx.db, uri=True)
    try:
        t.assertFalse(has_column(conn, "runs", "updated_at"),
                      "the exporter changed the orchestrator's schema")
    finally:
        conn.close()
    # Per-run timestamps are the database's, once the poller has read the
    # runs the worker just marked.
    def end_times():
        return {dict(labels)["run_id"]: v for labels, v in lib.series(
            ctx.metrics(), "pipeline_run_end_timestamp_seconds").items()}
    rows = wf.query(ctx.db, "SELECT run_id, ended_at FROM runs")
    ctx.wait(lambda: set(end_times()) >= {run_id for run_id, _ in rows},
             "every run's end time exported")
    exported = end_times()
    for run_id, ended in rows:
        t.assertAlmostEqual(exported[run_id], parse_iso(ended), places=3)
    ctx.notes.append("2 runs marked, schema untouched")


# (6) The archive volume full.

def mount_tmpfs(t, ctx, size_mib):
    """A tmpfs of size_mib at ctx.archive's parent; False if not allowed."""
    volume = os.path.join(ctx.tmp, "volume")
    os.makedirs(volume)
    if shutil.which("mount") is None:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o",
                             "size=%dm" % size_mib, "tmpfs", volume],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return False
    t.addCleanup(subprocess.run, ["umount", "-l", volume],
                 capture_output=True)
    ctx.archive = os.path.join(volume, "archive")
    ctx.filler = os.path.join(volume, "filler")
    return True


def prepare_volume_full(t, ctx):
    create_database(ctx.db)
    ctx.add_runs(2)
    ctx.large = ctx.add_large_run(random_files=3, random_file_mib=4)
    if mount_tmpfs(t, ctx, 32):
        ctx.method = "tmpfs"
        fill_volume(ctx.filler)
        ctx.notes.append("32 MiB tmpfs filled up")
    else:
        # No mount here (not root): a file size limit makes writes fail
        # with EFBIG, which the archiver counts as no_space.
        ctx.method = "rlimit"
        limit = 4 * MIB
        ctx.wrapper = [sys.executable, "-c",
                       "import os, resource, signal, sys\n"
                       "resource.setrlimit(resource.RLIMIT_FSIZE, (%d, %d))\n"
                       "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
                       "os.execv(sys.argv[1], sys.argv[1:])\n"
                       % (limit, limit)]
        ctx.notes.append("no tmpfs: RLIMIT_FSIZE 4 MiB")


def inject_volume_full(t, ctx):
    if ctx.method == "tmpfs":
        ctx.wait_failure(["preflight"], ["archival_preflight_failed"])
    else:
        ctx.wait_failure(["no_space"], ["archival_failed"], run_id=ctx.large)
    t.assertFalse(os.path.exists(os.path.join(ctx.archive,
                                              ctx.large + ".zip")))
    t.assertEqual(ctx.partial_files(), [])


def heal_volume_full(t, ctx):
    if ctx.method == "tmpfs":
        os.remove(ctx.filler)
    else:
        ctx.restart(wrapper=[])


def prepare_volume_fills_mid_write(t, ctx):
    create_database(ctx.db)
    ctx.add_runs(2)
    if not mount_tmpfs(t, ctx, 64):
        t.skipTest("needs a tmpfs mount (root); test_worker_faults.py covers "
                   "a write failing mid-archive with EFBIG")
    ctx.flags.append("--worker.deflate-level=9")
    ctx.large = ctx.add_large_run(text_files=10, random_files=1,
                                  random_file_mib=12)


def inject_volume_fills_mid_write(t, ctx):
    mid_archive(t, ctx, lambda: fill_volume(ctx.filler))
    ctx.wait_failure(["no_space"], ["archival_failed"], run_id=ctx.large)
    t.assertFalse(os.path.exists(os.path.join(ctx.archive,
                                              ctx.large + ".zip")))
    t.assertEqual(ctx.partial_files(), [], "the failed write left its file")


def heal_volume_fills_mid_write(t, ctx):
    os.remove(ctx.filler)


def mid_archive(t, ctx, action, low=0.1, high=0.9):
    """Runs action() once the large archive's progress is in [low, high]."""
    seen = []

    def in_range():
        ratio = ctx.metric("pipeline_worker_archive_progress_ratio") or 0
        if os.path.exists(os.path.join(ctx.archive, ctx.large + ".zip")):
            raise AssertionError("the archive finished before the fault")
        seen.append(ratio)
        return low <= ratio <= high
    ctx.wait(in_range, "archive progress in [%g, %g]" % (low, high),
             timeout=60, interval=0.02)
    action()
    ctx.notes.append("fault at progress %.2f, %s" % (
        seen[-1], datetime.datetime.now(datetime.timezone.utc).strftime(
            "%H:%M:%S.%f")[:-3]))


# (7) The archive directory unwritable.

def inject_unwritable(t, ctx):
    os.makedirs(ctx.archive, exist_ok=True)
    if os.geteuid() != 0:
        os.chmod(ctx.archive, 0o555)
        t.addCleanup(os.chmod, ctx.archive, 0o755)
        ctx.method = "chmod 0555"
    elif shutil.which("chattr") and subprocess.run(
            ["chattr", "+i", ctx.archive],
            capture_output=True).returncode == 0:
        # root ignores the mode bits; the immutable flag stops even root.
        t.addCleanup(subprocess.run, ["chattr", "-i", ctx.archive],
                     capture_output=True)
        ctx.method = "chattr +i"
    else:
        os.rmdir(ctx.archive)  # a file where the directory should be
        with open(ctx.archive, "w") as f:
            f.write("not a directory\n")
        ctx.method = "a file in its place"
    ctx.notes.append(ctx.method)
    ctx.add_runs(2)
    ctx.wait_failure(["io", "io_error", "preflight"],
                     ["archival_failed", "archival_preflight_failed"])


def heal_unwritable(t, ctx):
    if ctx.method == "chmod 0555":
        os.chmod(ctx.archive, 0o755)
    elif ctx.method == "chattr +i":
        subprocess.run(["chattr", "-i", ctx.archive], check=True)
    else:
        os.remove(ctx.archive)


# (8) The worktree deleted while it is being archived.

def prepare_worktree_vanishes(t, ctx):
    create_database(ctx.db)
    ctx.add_runs(2)
    ctx.flags.append("--worker.deflate-level=9")
    ctx.large = ctx.add_large_run(text_files=20)


def inject_worktree_vanishes(t, ctx):
    mid_archive(t, ctx, lambda: shutil.rmtree(
        os.path.join(ctx.worktrees, ctx.large)))
    del ctx.sources[ctx.large]
    ctx.skipped.add(ctx.large)  # retried, then skipped as no_worktree
    ctx.wait(lambda: wf.query(
        ctx.db, "SELECT 1 FROM events WHERE run_id = ? AND event_type = "
        "'archival_skipped'", (ctx.large,)), "archival_skipped", timeout=30)
    failed = wf.query(ctx.db, "SELECT data FROM events WHERE run_id = ? AND "
                      "event_type = 'archival_failed'", (ctx.large,))
    ctx.notes.append("%d archival_failed, then skipped (%s)" % (
        len(failed), ",".join(sorted(ctx.failures())) or "no failure metric"))
    t.assertEqual(ctx.partial_files(), [])


# (9) kill -9 while the worker waits to record a written archive: once
# with the archive written but not checked (its `archived` stage waiting),
# once with it checked and renamed into place (its `verified` stage
# waiting).

def prepare_kill_during_record(t, ctx):
    create_database(ctx.db)
    ctx.add_runs(2)
    ctx.flags.append("--worker.deflate-level=9")
    ctx.large = ctx.add_large_run(text_files=8)


def run_archived_events(ctx):
    return wf.query(ctx.db, "SELECT 1 FROM events WHERE run_id = ? AND "
                    "event_type = 'run_archived'", (ctx.large,))


def lock_and_kill(t, ctx, conn, written, what):
    """Waits until written() (the lock held), lets the record wait, kills."""
    ctx.wait(written, what, timeout=60, interval=0.005)
    time.sleep(0.2)  # the record transaction is waiting for the lock
    ctx.kill9()
    conn.execute("ROLLBACK")
    t.assertEqual(run_archived_events(ctx), [],
                  "recorded although the lock was held")


def inject_kill_during_record(t, ctx):
    partial = os.path.join(ctx.archive, "." + ctx.large + ".zip.partial")
    final = os.path.join(ctx.archive, ctx.large + ".zip")
    conn = sqlite3.connect(ctx.db, timeout=10, isolation_level=None)
    t.addCleanup(conn.close)
    # Take the write lock while the archive is written: its `archived`
    # record (and the lease renewals) must wait; the file is complete.
    mid_archive(t, ctx, lambda: conn.execute("BEGIN IMMEDIATE"), high=0.95)
    lock_and_kill(t, ctx, conn, lambda: os.path.exists(partial),
                  "the archive written")
    stage = ctx.jobs().get(ctx.large)
    t.assertEqual(stage, "queued")
    t.assertFalse(os.path.exists(final), "an unchecked archive in place")
    ctx.notes.append("killed with the archive written, job stage %s" % stage)


def heal_kill_during_record(t, ctx):
    ctx.start()
    final = os.path.join(ctx.archive, ctx.large + ".zip")
    ctx.wait(lambda: run_archived_events(ctx) and os.path.exists(final),
             "the archive written again and recorded", timeout=60)
    t.assertEqual(len(run_archived_events(ctx)), 1)


def inject_kill_during_verified_record(t, ctx):
    final = os.path.join(ctx.archive, ctx.large + ".zip")
    conn = sqlite3.connect(ctx.db, timeout=10, isolation_level=None)
    t.addCleanup(conn.close)
    # Once `archived` is recorded, take the write lock while the archive is
    # checked: it is renamed into place, its `verified` record must wait.
    ctx.wait(lambda: ctx.jobs().get(ctx.large) == "archived",
             "the archive written and recorded", timeout=60, interval=0.005)
    conn.execute("BEGIN IMMEDIATE")
    t.assertEqual(ctx.jobs().get(ctx.large), "archived",
                  "checked before the lock was taken")
    lock_and_kill(t, ctx, conn, lambda: os.path.exists(final),
                  "the archive renamed into place")
    ctx.inode = os.stat(final).st_ino
    stage = ctx.jobs().get(ctx.large)
    t.assertEqual(stage, "archived")
    ctx.notes.append("killed with the zip in place, job stage %s" % stage)


def heal_kill_during_verified_record(t, ctx):
    ctx.start()
    # The archive in place passes its check: recorded, not written again.
    ctx.wait(lambda: run_archived_events(ctx), "the archive recorded",
             timeout=60)
    t.assertEqual(len(run_archived_events(ctx)), 1)
    t.assertEqual(
        os.stat(os.path.join(ctx.archive, ctx.large + ".zip")).st_ino,
        ctx.inode, "written again")


# (10) The wall clock jumps forward an hour and back (libfaketime).

def prepare_clock(t, ctx):
    if not os.path.exists(FAKETIME_LIB):
        t.skipTest("libfaketime is not installed (Debian package faketime)")
    prepare_default(t, ctx)
    ctx.clock_file = os.path.join(ctx.tmp, "faketime")
    set_clock(ctx, "+0")
    ctx.env = {"LD_PRELOAD": FAKETIME_LIB,
               "FAKETIME_TIMESTAMP_FILE": ctx.clock_file,
               "FAKETIME_CACHE_DURATION": "1",
               # An NTP step moves the wall clock only.
               "FAKETIME_DONT_FAKE_MONOTONIC": "1",
               "DONT_FAKE_MONOTONIC": "1"}


def set_clock(ctx, offset):
    with open(ctx.clock_file, "w") as f:
        f.write(offset + "\n")


def wait_clock(ctx, offset_seconds):
    """Until the exporter's heartbeat shows the offset."""
    def shifted():
        beat = ctx.metric("pipeline_worker_heartbeat_timestamp_seconds") or 0
        return abs(beat - time.time() - offset_seconds) < 30
    ctx.wait(shifted, "the exporter's clock at %+ds" % offset_seconds,
             timeout=15)


def assert_run_times_are_the_databases(t, ctx):
    samples = ctx.metrics()
    rows = wf.query(
        ctx.db, "SELECT run_id, created_at, started_at, ended_at FROM runs")
    for run_id, created, started, ended in rows:
        # Creation is exposed while a run is active, its end once it ended.
        if ended:
            times = [("pipeline_run_end_timestamp_seconds", ended)]
        else:
            times = [("pipeline_run_created_timestamp_seconds", created)]
        if started:
            times.append(("pipeline_run_start_timestamp_seconds", started))
        for name, text in times:
            values = [v for labels, v in lib.series(samples, name).items()
                      if dict(labels)["run_id"] == run_id]
            t.assertEqual(len(values), 1, "%s %s" % (name, run_id))
            t.assertAlmostEqual(values[0], parse_iso(text), places=3)


def inject_clock(t, ctx):
    # Forward an hour: new runs are archived; a failure (archive directory
    # replaced by a file) is scheduled for retry on the jumped clock.
    set_clock(ctx, "+1h")
    wait_clock(ctx, 3600)
    ctx.add_runs(2)
    ctx.wait_all_done()
    archived_at = [parse_iso(a) for (a,) in wf.query(
        ctx.db, "SELECT archived_at FROM archival_log")]
    ctx.notes.append("archived_at up to %+.0fs from real time" % (
        max(archived_at) - time.time()))
    # The archives made so far are set aside (not lost) while a file takes
    # the directory's place.
    os.rename(ctx.archive, ctx.archive + ".aside")
    with open(ctx.archive, "w") as f:
        f.write("not a directory\n")
    ctx.retried = ctx.add_runs(1)[0]
    ctx.wait_failure(["io"], ["archival_failed"])
    # Back an hour, and the directory repaired: the retry due "in 1-2 s"
    # on the jumped clock is now an hour away on the real one.
    set_clock(ctx, "+0")
    wait_clock(ctx, 0)
    assert_run_times_are_the_databases(t, ctx)
    ctx.assert_serving()


def heal_clock(t, ctx):
    os.remove(ctx.archive)
    os.rename(ctx.archive + ".aside", ctx.archive)
    # Its backoff was 1-2 s (retry-backoff 1s, doubling); nothing else is
    # wrong any more.
    ctx.wait(lambda: wf.query(
        ctx.db, "SELECT 1 FROM events WHERE run_id = ? AND event_type = "
        "'run_archived'", (ctx.retried,)),
        "the retry scheduled before the clock went back an hour (backoff "
        "1-2 s) to happen", timeout=20)


# (11) The configuration file broken, then reloaded.

def prepare_reload(t, ctx):
    help_text = lib.run([ARGS.binary, "--help"]).stdout
    if "reload" not in help_text.lower():
        t.skipTest("the binary's --help does not mention reload (SIGHUP / "
                   "POST /-/reload not built yet)")
    ctx.post_reload = "/-/reload" in help_text
    prepare_default(t, ctx)
    ctx.config = os.path.join(ctx.tmp, "exporter.yml")
    with open(ctx.config, "w") as f:
        f.write("log:\n  level: info\n")
    ctx.flags.append("--config.file=" + ctx.config)


def reloads(ctx, result):
    return ctx.metric("pipeline_exporter_config_reloads_total",
                      result=result) or 0


def reload(ctx):
    if ctx.post_reload:
        request = urllib.request.Request(ctx.base + "/-/reload",
                                             method="POST", data=b"")
        try:
            urllib.request.urlopen(request, timeout=5).read()
        except urllib.error.HTTPError:
            pass  # a failed reload may answer 4xx/5xx: the metric decides
    else:
        ctx.daemon.signal(signal.SIGHUP)


def inject_reload(t, ctx):
    with open(ctx.config, "w") as f:
        f.write("log:\n  level: [unterminated\nstate: {poll-interval: ten\n")
    before = reloads(ctx, "failure")
    reload(ctx)
    ctx.wait(lambda: reloads(ctx, "failure") > before,
             'config_reloads_total{result="failure"} counted', timeout=15)
    time.sleep(0.5)
    samples = ctx.assert_serving()
    t.assertEqual(ctx.condition(samples), "ok", "the old config was not kept")
    ctx.add_runs(1)  # the worker still works on the old configuration
    ctx.wait_all_done()


def heal_reload(t, ctx):
    with open(ctx.config, "w") as f:
        f.write("log:\n  level: debug\n")
    before = reloads(ctx, "success")
    reload(ctx)
    ctx.wait(lambda: reloads(ctx, "success") > before,
             'config_reloads_total{result="success"} counted', timeout=15)


# ---------------------------------------------------------------------------
# The table.

Case = collections.namedtuple(
    "Case", "name tag fault prepare settle inject heal")
# settle: the runs' jobs are all done before the fault is injected.

_LOCK_WAL = make_lock_case(wal=True)
_LOCK_JOURNAL = make_lock_case(wal=False)
_ZERO = make_damage_case("zero", "schema")
_HALF = make_damage_case("half", "corrupt")
_GARBAGE = make_damage_case("garbage", "corrupt")

CASES = [
    Case("database_deleted_and_recreated", "A",
         "the file deleted (missing), then another file with other runs "
         "renamed into place", prepare_default, True, inject_deleted,
         heal_recreated),
    Case("database_locked_wal", "B",
         "a writer holds BEGIN EXCLUSIVE for 6 busy timeouts (WAL file)",
         _LOCK_WAL[0], True, _LOCK_WAL[1], None),
    Case("database_locked_rollback_journal", "C",
         "a writer holds BEGIN EXCLUSIVE for 6 busy timeouts (rollback "
         "journal: readers are locked out too)",
         _LOCK_JOURNAL[0], True, _LOCK_JOURNAL[1], None),
    Case("database_truncated_to_zero", "D",
         "truncated to 0 bytes in place, then restored",
         prepare_default, True, _ZERO[0], _ZERO[1]),
    Case("database_truncated_to_half", "E",
         "truncated to half its size in place, then restored",
         prepare_default, True, _HALF[0], _HALF[1]),
    Case("database_replaced_by_garbage", "F",
         "overwritten with random bytes in place, then restored",
         prepare_default, True, _GARBAGE[0], _GARBAGE[1]),
    Case("database_from_an_older_orchestrator", "G",
         "runs has no updated_at column", prepare_legacy, True, inject_legacy,
         None),
    Case("archive_volume_full", "H",
         "the archive volume full before the archive starts",
         prepare_volume_full, False, inject_volume_full, heal_volume_full),
    Case("archive_volume_fills_mid_write", "J",
         "the archive volume fills up while an archive is written",
         prepare_volume_fills_mid_write, False, inject_volume_fills_mid_write,
         heal_volume_fills_mid_write),
    Case("archive_directory_unwritable", "K",
         "the archive directory unwritable (chmod 0555, or chattr +i as root)",
         prepare_default, True, inject_unwritable, heal_unwritable),
    Case("worktree_vanishes_mid_archive", "M",
         "the worktree deleted while its archive is at 10-90%",
         prepare_worktree_vanishes, False, inject_worktree_vanishes, None),
    Case("kill9_during_database_write_back", "N",
         "kill -9 while the written archive's record waits for the write lock",
         prepare_kill_during_record, False, inject_kill_during_record,
         heal_kill_during_record),
    Case("kill9_after_the_rename_before_its_record", "O",
         "kill -9 while the checked archive's record waits for the write lock",
         prepare_kill_during_record, False, inject_kill_during_verified_record,
         heal_kill_during_verified_record),
    Case("clock_jumps_forward_and_back", "P",
         "the wall clock jumps +1h, a retry is scheduled, then it jumps back",
         prepare_clock, True, inject_clock, heal_clock),
    Case("config_file_broken_on_reload", "Q",
         "the configuration file broken, then reloaded",
         prepare_reload, True, inject_reload, heal_reload),
]


class FaultSuiteTest(unittest.TestCase):
    """One test per row of CASES (test_<name>)."""

    case_tag = "X"

    def run_case(self, case):
        self.case_tag = case.tag
        tmp = tempfile.mkdtemp(prefix="pe-fault-%s-" % case.name)
        # Registered first, so it runs after every other cleanup (unmount,
        # chattr -i, the exporter stopped).
        if not os.environ.get("PE_FAULT_KEEP"):  # set it to debug a case
            self.addCleanup(shutil.rmtree, tmp, True)
        ctx = Ctx(self, tmp)
        started = time.monotonic()
        try:
            case.prepare(self, ctx)
            ctx.start()
            if case.settle:
                ctx.wait_all_done()
            case.inject(self, ctx)
            if case.heal is not None:
                case.heal(self, ctx)
            ctx.add_runs(2)  # the orchestrator goes on
            ctx.assert_nothing_lost()
            ctx.stop_cleanly()
        finally:
            print("\n  %-36s %5.1fs  %s" % (case.name,
                                            time.monotonic() - started,
                                            "; ".join(ctx.notes)),
                  file=sys.stderr)


def _make_test(case):
    def test(self):
        self.run_case(case)
    test.__doc__ = case.fault
    return test


for _case in CASES:
    setattr(FaultSuiteTest, "test_" + _case.name, _make_test(_case))


if __name__ == "__main__":
    lib.main()
