"""Fault tests of the completion worker in the real binary: SIGKILL at many
points of a large archive, a write that hits the file size limit (EFBIG, as a
full disk), two exporters sharing one database, and another read-write client
opening and closing the database meanwhile. Whatever happens, every
final <run_id>.zip is a complete zip whose MANIFEST.sha256 matches its
entries, no run is archived or recorded twice, and the worktrees are never
changed.

Run by ctest as: python3 test_worker_faults.py --binary PATH --source-dir DIR
"""

import hashlib
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
import unittest
import zipfile

import pe_testlib as lib

ARGS = lib.parse_args()

MIB = 1 << 20
MANIFEST = "MANIFEST.sha256"
PARTIAL_MARK = ".zip.partial"
RUN_ARCHIVED_LOG = re.compile(r'msg="run archived" run_id=(\S+)')
# A backfill (runs that ended before the worker first ran, as the
# simulator's do here) logs its per-run lines at debug level only.
DEBUG_LOG = ["--log.level=debug"]


def query(db_path, sql, params=()):
    """Reads the database without writing to it (not even a checkpoint)."""
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def query_worker_table(db_path, sql, params=()):
    """query() of the exporter's own tables, which a process killed early
    may not have created yet: none is then no rows."""
    try:
        return query(db_path, sql, params)
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_state(root):
    """{relative path: (size, mtime_ns, sha256)} of every file under root,
    and {relative path: None} for every directory."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            state[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            state[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns,
                                                  sha256_file(path))
    return state


def file_hashes(root):
    """{relative path: sha256} of the regular files under root."""
    return {path: value[2] for path, value in tree_state(root).items()
            if value is not None}


def parse_manifest(text):
    """{name: hex} from sha256sum lines "<hex>  <name>" (no escaped names:
    the trees made here have none)."""
    manifest = {}
    for line in text.splitlines():
        hex_digest, sep, name = line.partition("  ")
        if not sep or len(hex_digest) != 64 or name in manifest:
            raise AssertionError("bad manifest line %r" % line)
        manifest[name] = hex_digest
    return manifest


def verified_zip_contents(path, run_id):
    """Checks one final archive; returns {path under <run_id>/: sha256}.

    It must be a zip whose entries all pass their CRC (testzip() is None),
    everything under "<run_id>/", and its MANIFEST.sha256 must list exactly
    the file entries with the SHA-256 of their content.
    """
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise AssertionError("%s: entry %s fails its CRC" % (path, bad))
        names = archive.namelist()
        if MANIFEST not in names:
            raise AssertionError("%s: no %s" % (path, MANIFEST))
        manifest = parse_manifest(archive.read(MANIFEST).decode("utf-8"))
        prefix = run_id + "/"
        contents = {}
        for info in archive.infolist():
            if info.filename == MANIFEST or info.is_dir():
                continue
            if not info.filename.startswith(prefix):
                raise AssertionError("%s: entry %s outside %s"
                                     % (path, info.filename, prefix))
            digest = hashlib.sha256()
            with archive.open(info) as entry:
                for chunk in iter(lambda: entry.read(MIB), b""):
                    digest.update(chunk)
            contents[info.filename] = digest.hexdigest()
        if manifest != contents:
            raise AssertionError(
                "%s: manifest does not match the entries: only in the "
                "manifest %s, only in the zip %s, differing %s" % (
                    path, sorted(set(manifest) - set(contents))[:5],
                    sorted(set(contents) - set(manifest))[:5],
                    sorted(n for n in manifest.keys() & contents.keys()
                           if manifest[n] != contents[n])[:5]))
        return {name[len(prefix):]: hex_digest
                for name, hex_digest in contents.items()}


def write_large_worktree(root, text_files, random_files, random_file_mib):
    """Fills root with text logs (2 MiB each, distinct rotations of a varied
    block so deflate has real work) and random binaries; returns the bytes."""
    rng = random.Random(7)
    words = ("compiled", "linked", "fetched", "cache", "miss", "hit", "retry",
             "ok", "warning", "tensor", "shard", "upload", "evaluated")
    lines, size, i = [], 0, 0
    while size < 2 * MIB:
        line = ('2026-11-23T12:%02d:%02d.%03dZ %s step=s%d worker=%d '
                'msg="%s %s %s" took_ms=%d id=%08x\n' % (
                    i // 60 % 60, i % 60, rng.randrange(1000),
                    rng.choice(("INFO", "DEBUG", "WARN")), rng.randrange(16),
                    rng.randrange(64), rng.choice(words), rng.choice(words),
                    rng.choice(words), rng.randrange(100000),
                    rng.getrandbits(32)))
        lines.append(line)
        size += len(line)
        i += 1
    block = "".join(lines).encode()
    total = 0
    for n in range(text_files):
        folder = os.path.join(root, "logs", "step%d" % (n % 6))
        os.makedirs(folder, exist_ok=True)
        offset = rng.randrange(len(block))
        data = block[offset:] + block[:offset]
        with open(os.path.join(folder, "part%d.log" % n), "wb") as f:
            f.write(data)
        total += len(data)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    for n in range(random_files):
        with open(os.path.join(root, "bin", "blob%d.bin" % n), "wb") as f:
            for _ in range(random_file_mib):
                f.write(os.urandom(MIB))
        total += random_file_mib * MIB
    return total


class WorkerFaultTest(unittest.TestCase):
    """Each test has its own database, worktrees, archive and report dirs."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-worker-faults-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.db = os.path.join(self.tmp, "state.db")
        self.worktrees = os.path.join(self.tmp, "worktrees")
        self.archive = os.path.join(self.tmp, "archive")
        self.reports = os.path.join(self.tmp, "reports")

    # -- set-up helpers -----------------------------------------------------

    def simulate(self, runs, seed):
        """A database of `runs` finished runs, each with a small worktree."""
        result = lib.run([ARGS.binary, "simulate", "--db", self.db,
                          "--worktrees", self.worktrees, "--bulk", runs,
                          "--bulk-artifacts", "--seed", seed], timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        run_ids = sorted(r for (r,) in query(self.db,
                                             "SELECT run_id FROM runs"))
        self.assertEqual(len(run_ids), runs)
        for run_id in run_ids:
            self.assertTrue(
                os.path.isdir(os.path.join(self.worktrees, run_id)),
                "simulator made no worktree for %s" % run_id)
        return run_ids

    def exporter_args(self, port, db=None, archive=None, reports=None,
                      extra=()):
        return [ARGS.binary,
                "--state.db=" + (db or self.db),
                "--state.poll-interval=100ms",
                "--web.listen-address=" + lib.loopback_address(port),
                "--worker.enabled",
                "--worker.interval=200ms",
                # Runs written before the worker first ran are wanted too.
                "--worker.backfill=all",
                "--worker.backfill-rate=0",
                "--worker.lease=1s",
                "--worker.worktrees-dir=" + self.worktrees,
                "--worker.archive-dir=" + (archive or self.archive),
                "--worker.reports-dir=" + (reports or self.reports),
                ] + list(extra)

    def start_exporter(self, extra=(), wait_ready=True, wrapper=(), **kwargs):
        port = lib.free_port()
        base = "http://" + lib.loopback_address(port)
        daemon = lib.start_daemon(
            self, list(wrapper) + self.exporter_args(port, extra=extra,
                                                     **kwargs),
            name="pipeline_exporter")
        if wait_ready:
            lib.wait_for_http(base + "/-/ready", status=200, timeout=60,
                              daemon=daemon)
        return base, daemon

    # -- database and archive folder ----------------------------------------

    def event_counts(self, event_type):
        return dict(query(self.db, "SELECT run_id, COUNT(*) FROM events "
                          "WHERE event_type = ? GROUP BY run_id",
                          (event_type,)))

    def archival_log(self):
        return {row[0]: row[1:] for row in query_worker_table(
            self.db, "SELECT run_id, archive_path, size_bytes, sha256 "
            "FROM archival_log")}

    def jobs_not_done(self):
        return query(self.db, "SELECT run_id, stage, attempts, last_error "
                     "FROM exporter_jobs WHERE stage != 'done'")

    def all_jobs_done(self, run_ids):
        jobs = dict(query(self.db, "SELECT run_id, stage FROM exporter_jobs"))
        return set(jobs) == set(run_ids) and all(
            stage == "done" for stage in jobs.values())

    def archive_names(self):
        return sorted(os.listdir(self.archive)) if os.path.isdir(
            self.archive) else []

    def partial_files(self, run_id=None):
        prefix = "." if run_id is None else "." + run_id + PARTIAL_MARK
        return [n for n in self.archive_names()
                if n.startswith(prefix) and PARTIAL_MARK in n]

    def final_zip(self, run_id):
        return os.path.join(self.archive, run_id + ".zip")

    def assert_archive_folder_consistent(self, run_ids, verified_cache=None):
        """The invariants that hold at any instant, crashed or not.

        Every final zip is complete and self-consistent; no run has more than
        one run_archived or report_generated event; a recorded archive is the
        file on disk (same size and SHA-256 as the record and its event).
        Returns the number of final zips checked.
        """
        cache = {} if verified_cache is None else verified_cache
        finals = [n for n in self.archive_names()
                  if n.endswith(".zip") and not n.startswith(".")]
        for name in finals:
            run_id = name[:-len(".zip")]
            self.assertIn(run_id, run_ids, "unexpected file %s" % name)
            path = os.path.join(self.archive, name)
            st = os.stat(path)
            key = (st.st_ino, st.st_size, st.st_mtime_ns)
            if cache.get(name) != key:
                verified_zip_contents(path, run_id)
                cache[name] = key
        for event_type in ("run_archived", "report_generated"):
            for run_id, count in self.event_counts(event_type).items():
                self.assertLessEqual(count, 1, "%s: %d %s events"
                                     % (run_id, count, event_type))
        rows = query_worker_table(
            self.db, "SELECT run_id, COUNT(*) FROM archival_log "
                     "GROUP BY run_id HAVING COUNT(*) > 1")
        self.assertEqual(rows, [], "runs with several archival_log rows")
        events = dict(query(self.db, "SELECT run_id, data FROM events WHERE "
                            "event_type = 'run_archived'"))
        for run_id, (archive_path, size_bytes, digest) in (
                self.archival_log().items()):
            if archive_path is None:
                continue
            self.assertEqual(os.path.realpath(archive_path),
                             os.path.realpath(self.final_zip(run_id)))
            self.assertTrue(os.path.isfile(archive_path),
                            "%s: recorded archive %s is missing"
                            % (run_id, archive_path))
            self.assertEqual(os.path.getsize(archive_path), size_bytes,
                             "%s: recorded size differs from the file"
                             % run_id)
            self.assertEqual(sha256_file(archive_path), digest,
                             "%s: recorded SHA-256 differs from the file"
                             % run_id)
            self.assertIn(digest, events.get(run_id, ""),
                          "%s: archival_log row without its run_archived "
                          "event" % run_id)
        return len(finals)

    def assert_all_archived_once(self, run_ids, sources):
        """After a clean finish: one event, row and zip per run, the zip
        holding exactly the worktree's files, and nothing else on disk."""
        archived = self.event_counts("run_archived")
        reported = self.event_counts("report_generated")
        reports = {row[0]: row[1:] for row in query(
            self.db, "SELECT run_id, report_json, report_html "
            "FROM archival_log")}
        for run_id in run_ids:
            self.assertEqual(archived.get(run_id), 1,
                             "%s run_archived" % run_id)
            self.assertEqual(reported.get(run_id), 1,
                             "%s report_generated" % run_id)
            self.assertIn(run_id, reports,
                          "%s has no archival_log row" % run_id)
            for path in reports[run_id]:
                self.assertTrue(path and os.path.isfile(path),
                                "%s: report %r missing" % (run_id, path))
            contents = verified_zip_contents(self.final_zip(run_id), run_id)
            self.assertEqual(contents, sources[run_id],
                             "%s: archive content differs from the worktree"
                             % run_id)
        self.assertEqual(self.archive_names(),
                         sorted(r + ".zip" for r in run_ids),
                         "partial or foreign files left in the archive folder")
        self.assert_archive_folder_consistent(run_ids)

    # -- 1. SIGKILL during a large archive -----------------------------------

    def test_sigkill_anywhere_leaves_only_complete_zips_and_one_record(self):
        run_ids = self.simulate(6, seed=11)
        large = run_ids[len(run_ids) // 2]
        large_bytes = write_large_worktree(
            os.path.join(self.worktrees, large), text_files=16,
            random_files=4, random_file_mib=12)
        before = tree_state(self.worktrees)
        sources = {r: file_hashes(os.path.join(self.worktrees, r))
                   for r in run_ids}
        print("\n  large worktree: %.1f MiB in %d files" % (
            large_bytes / MIB, len(sources[large])), file=sys.stderr)

        # Kill points. The archive's phases show in the archive folder:
        # libzip writes ".<id>.zip.partial.XXXXXX" (progress in
        # pipeline_worker_archive_progress_ratio), renames it to
        # ".<id>.zip.partial" (then fsync and verify), which is renamed to
        # "<id>.zip" (then the record and the reports). Three kills are at
        # fixed delays after the start (start-up, small runs, reports), the
        # others when a phase or a progress ratio is reached, some plus a
        # delay; the large archive is only finished by the last ones
        # ("final" kills as soon as the zip is renamed: before or while
        # recording).
        plan = ([("start", 0.0), ("start", 0.3), ("writing", 0.0)]
                + [("ratio", r) for r in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85,
                                          0.95)]
                + [("writing", 0.5), ("written", 0.0), ("final", 0.0),
                   ("start", 0.6)])
        partial = "." + large + PARTIAL_MARK
        cache = {}
        outcomes = []
        for where, value in plan:
            # Partial files of an earlier crash are not this attempt's (the
            # exporter removes them at start; libzip's names are random).
            stale = set(self.partial_files(large))

            def writing():
                return [n for n in self.partial_files(large)
                        if n not in stale and n != partial]

            def written():
                return (partial in self.partial_files(large)
                        and partial not in stale)

            def finished():
                return os.path.exists(self.final_zip(large))
            base, daemon = self.start_exporter(
                wait_ready=False, extra=["--worker.deflate-level=6"])
            ratio = [None]

            def ratio_reached():
                if finished() or written():
                    return True
                if not writing():
                    return False
                ratio[0] = lib.sample(
                    lib.scrape(base + "/metrics", timeout=1),
                    "pipeline_worker_archive_progress_ratio")
                return ratio[0] is not None and ratio[0] >= value
            condition = {"start": lambda: True, "writing": writing,
                         "ratio": ratio_reached,
                         "written": lambda: written() or finished(),
                         "final": finished}[where]
            lib.wait_until(lambda: condition() or finished(), timeout=120,
                           interval=0.003 if where != "ratio" else 0.02,
                           message="%s %s of the large archive"
                           % (where, value), daemon=daemon)
            if where != "ratio":
                time.sleep(value)
            self.assertTrue(daemon.alive(), "exited before being killed\n%s"
                            % daemon.describe())
            phase = ("writing" if writing() else "verifying" if written()
                     else "after" if finished() else "before")
            daemon.signal(signal.SIGKILL)
            self.assertEqual(daemon.wait(10), -signal.SIGKILL,
                             daemon.describe())
            stage = dict(query_worker_table(
                self.db, "SELECT run_id, stage FROM exporter_jobs")).get(
                    large, "not queued")
            outcomes.append((where, value, phase, stage))
            finals = self.assert_archive_folder_consistent(run_ids, cache)
            print("  kill %2d at %-7s %-4s: large archive %-9s (ratio seen "
                  "%s), job stage %s, final zips %d, partial files %d" % (
                      len(outcomes), where, value, phase,
                      "-" if ratio[0] is None else "%.2f" % ratio[0], stage,
                      finals, len(self.partial_files())), file=sys.stderr)

        landed = sum(1 for o in outcomes if o[2] in ("writing", "verifying"))
        print("  %d kill points, %d landed mid-archive (%d writing, %d "
              "verifying), %d before it, %d after the rename" % (
                  len(outcomes), landed,
                  sum(1 for o in outcomes if o[2] == "writing"),
                  sum(1 for o in outcomes if o[2] == "verifying"),
                  sum(1 for o in outcomes if o[2] == "before"),
                  sum(1 for o in outcomes if o[2] == "after")),
              file=sys.stderr)
        self.assertGreaterEqual(len(outcomes), 10)
        self.assertGreaterEqual(landed, 6, "too few kills landed mid-archive "
                                "to test anything: %r" % (outcomes,))

        base, daemon = self.start_exporter(extra=["--worker.deflate-level=6"])
        lib.wait_until(lambda: self.all_jobs_done(run_ids), timeout=180,
                       interval=0.2, message="every job done", daemon=daemon)
        self.assertEqual(self.jobs_not_done(), [])
        self.assert_all_archived_once(run_ids, sources)
        self.assertEqual(tree_state(self.worktrees), before,
                         "the worktrees were changed")
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())

    # -- 2. File size limit (disk full) ---------------------------------------

    def test_file_size_limit_fails_archive_as_no_space_then_restart_retries(
            self):
        run_ids = self.simulate(3, seed=12)
        large = run_ids[0]
        write_large_worktree(os.path.join(self.worktrees, large),
                             text_files=0, random_files=3, random_file_mib=10)
        before = tree_state(self.worktrees)
        sources = {r: file_hashes(os.path.join(self.worktrees, r))
                   for r in run_ids}
        limit = 8 * MIB
        db_bytes = sum(os.path.getsize(self.db + s) for s in ("", "-wal")
                       if os.path.exists(self.db + s))
        self.assertLess(db_bytes, limit // 4,
                        "database too large for the limit")

        # A wrapper sets the limit and execs the exporter (same pid). Python
        # ignores SIGXFSZ and exec keeps ignored signals, so the wrapper
        # restores the default: the exporter must ignore SIGXFSZ itself.
        wrapper = [sys.executable, "-c",
                   "import os, resource, signal, sys\n"
                   "resource.setrlimit(resource.RLIMIT_FSIZE, (%d, %d))\n"
                   "signal.signal(signal.SIGXFSZ, signal.SIG_DFL)\n"
                   "os.execv(sys.argv[1], sys.argv[1:])\n" % (limit, limit)]
        # The first retry is a backoff (5s) away, so the archive folder can
        # be checked between attempts; the restart waits for it.
        base, daemon = self.start_exporter(
            wrapper=wrapper, extra=["--worker.retry-backoff=5s"])

        def no_space_failures():
            return [data for (data,) in query(
                self.db, "SELECT data FROM events WHERE run_id = ? AND "
                "event_type = 'archival_failed'", (large,))]
        failures = lib.wait_until(no_space_failures, timeout=120,
                                  interval=0.05,
                                  message="an archival_failed event",
                                  daemon=daemon)
        self.assertIn("no_space", failures[0])
        # The failed run's own: the other runs may be archiving right now.
        left = self.partial_files(large)
        self.assertEqual(len(no_space_failures()), 1,
                         "retried before the check (machine too slow?)")
        self.assertEqual(left, [], "partial files left by the failed attempt")
        samples = lib.wait_until(
            lambda: (lib.sample(lib.scrape(base + "/metrics"),
                                "pipeline_worker_archive_failures_total",
                                reason="no_space") or 0) >= 1
            and lib.scrape(base + "/metrics"), timeout=30, interval=0.1,
            message='archive_failures_total{reason="no_space"} >= 1',
            daemon=daemon)
        print("\n  no_space failures: %d event(s), metric %g" % (
            len(no_space_failures()),
            lib.sample(samples, "pipeline_worker_archive_failures_total",
                       reason="no_space")), file=sys.stderr)
        self.assertTrue(daemon.alive(), daemon.describe())
        self.assertEqual(lib.http_get(base + "/-/ready")[0], 200)
        self.assertFalse(os.path.exists(self.final_zip(large)),
                         "a zip was published despite the failed write")
        self.assertEqual(self.event_counts("run_archived").get(large), None)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())
        self.assertEqual(self.partial_files(), [], "partial files left")
        self.assertFalse(os.path.exists(self.final_zip(large)))
        for data in no_space_failures():
            self.assertIn("no_space", data)
        self.assertEqual(tree_state(self.worktrees), before,
                         "the worktrees were changed")

        base, daemon = self.start_exporter(extra=["--worker.retry-backoff=1s"])
        lib.wait_until(lambda: self.all_jobs_done(run_ids), timeout=120,
                       interval=0.2, message="every job done", daemon=daemon)
        self.assert_all_archived_once(run_ids, sources)
        self.assertEqual(tree_state(self.worktrees), before)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())

    # -- 3. Two exporters on one database -------------------------------------

    def test_two_exporters_on_one_database_archive_each_run_once(self):
        run_ids = self.simulate(30, seed=13)
        before = tree_state(self.worktrees)
        sources = {r: file_hashes(os.path.join(self.worktrees, r))
                   for r in run_ids}
        # The runs ended before the worker first ran: a backfill, whose
        # per-run "run archived" lines are at debug level.
        first = self.start_exporter(wait_ready=False, extra=DEBUG_LOG)
        second = self.start_exporter(wait_ready=False, extra=DEBUG_LOG)
        daemons = [first[1], second[1]]
        for base, daemon in (first, second):
            lib.wait_for_http(base + "/-/ready", status=200, timeout=60,
                              daemon=daemon)
        lib.wait_until(lambda: self.all_jobs_done(run_ids), timeout=120,
                       interval=0.2, message="every job done",
                       daemon=daemons[0])
        for daemon in daemons:
            self.assertTrue(daemon.alive(), daemon.describe())
        self.assert_all_archived_once(run_ids, sources)
        self.assertEqual(tree_state(self.worktrees), before)

        logged = [set(RUN_ARCHIVED_LOG.findall(d.stderr())) for d in daemons]
        print("\n  runs archived: first exporter %d, second %d, by both %d "
              "(of %d)" % (len(logged[0]), len(logged[1]),
                           len(logged[0] & logged[1]), len(run_ids)),
              file=sys.stderr)
        self.assertEqual(logged[0] | logged[1], set(run_ids))
        for daemon in daemons:
            daemon.signal(signal.SIGTERM)
        for daemon in daemons:
            self.assertEqual(daemon.wait(30), 0, daemon.describe())

    # -- 4. Another client of the database ------------------------------------

    def test_worker_writes_survive_another_client_closing_the_database(self):
        """A read-write client (the orchestrator, a sqlite3 shell) opening and
        closing the database while the worker runs must not lose the
        worker's commits: SQLite's locks tell it the exporter is connected,
        so it neither checkpoints-and-deletes the WAL nor takes it over."""
        run_ids = self.simulate(30, seed=14)
        for run_id in run_ids:  # about 2 s of archiving in all
            write_large_worktree(os.path.join(self.worktrees, run_id),
                                 text_files=1, random_files=0,
                                 random_file_mib=0)
        _, daemon = self.start_exporter(
            extra=["--worker.deflate-level=9"] + DEBUG_LOG)
        deadline = time.monotonic() + 60
        client_closes = 0
        while time.monotonic() < deadline:
            # As the orchestrator does now and then: a checkpoint, then the
            # connection is closed.
            conn = sqlite3.connect(self.db, timeout=10)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.close()
            client_closes += 1
            if len(set(RUN_ARCHIVED_LOG.findall(daemon.stderr()))) == len(
                    run_ids):
                break
            time.sleep(0.02)
        logged = set(RUN_ARCHIVED_LOG.findall(daemon.stderr()))
        self.assertEqual(logged, set(run_ids), daemon.describe())
        try:
            lib.wait_until(lambda: self.all_jobs_done(run_ids), timeout=10,
                           interval=0.2, message="every job done",
                           daemon=daemon)
        finally:
            print("\n  %d opens/closes by another client; the exporter logged "
                  "%d runs archived; the database shows %d run_archived "
                  "events and %d jobs done" % (
                      client_closes, len(logged),
                      len(self.event_counts("run_archived")),
                      len(query_worker_table(
                          self.db, "SELECT 1 FROM exporter_jobs WHERE "
                          "stage = 'done'"))), file=sys.stderr)
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(30), 0, daemon.describe())
        self.assertTrue(self.all_jobs_done(run_ids),
                        "the worker's commits were lost at shutdown")
        self.assert_all_archived_once(
            run_ids, {r: file_hashes(os.path.join(self.worktrees, r))
                      for r in run_ids})


if __name__ == "__main__":
    lib.main()
