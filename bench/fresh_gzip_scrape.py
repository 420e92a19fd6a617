#!/usr/bin/env python3
"""The first gzip scrape of each new snapshot, for two pipeline_exporter
binaries in one run (issue 22: compression that costs what changed).

    python3 bench/fresh_gzip_scrape.py BASE_BIN BASE_LABEL NEW_BIN NEW_LABEL DB [ROUNDS]

Each binary serves its own copy of the state database DB (the worker off,
a 100 ms poll). A round, for each binary in turn: 1% of the running runs get
an event (the orchestrator's progress, with the current time), then, once
the exporter has published a snapshot with it (150 ms later), one GET
/metrics with `Accept-Encoding: gzip` is timed from the request to the last
byte: what Prometheus pays on every
scrape, since every poll publishes a new snapshot. An identity GET is timed
too (no compression at all). Prints p50 and p99 (milliseconds) per binary.
"""

import gzip
import http.client
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, gz):
    """(seconds to the last byte, body bytes) of one GET /metrics."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "gzip"} if gz else {}
    started = time.perf_counter()
    connection.request("GET", "/metrics", headers=headers)
    response = connection.getresponse()
    body = response.read()
    took = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError("GET /metrics: %d" % response.status)
    if gz and response.getheader("Content-Encoding") != "gzip":
        raise RuntimeError("no gzip body")
    return took, body


class Daemon:
    def __init__(self, binary, db, work):
        self.db = os.path.join(work, "state.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                shutil.copy(db + suffix, self.db + suffix)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--state.db=" + self.db, "--no-worker.enabled",
             "--state.poll-interval=100ms", "--log.level=warn",
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/-/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("%s not ready" % binary)
        self.conn = sqlite3.connect(self.db, timeout=10)
        self.running = [r[0] for r in self.conn.execute(
            "SELECT run_id FROM runs WHERE state = 'running'")]
        self.samples = {"fresh gzip": [], "identity": []}

    def churn(self, rng):
        """An event for 1% of the running runs, now."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%06dZ" % (
            int(time.time() * 1e6) % 1000000)
        chosen = rng.sample(self.running, max(1, len(self.running) // 100))
        with self.conn:
            self.conn.executemany(
                "INSERT INTO events (run_id, event_type, severity, timestamp, data) "
                "VALUES (?, 'step_started', 'info', ?, '{}')", [(r, now) for r in chosen])
            self.conn.executemany(
                "UPDATE runs SET updated_at = ? WHERE run_id = ?", [(now, r) for r in chosen])

    def round(self, rng):
        self.churn(rng)
        time.sleep(0.15)  # a poll (100 ms) has read it and published
        took, gz = get(self.port, True)
        self.samples["fresh gzip"].append(took)
        self.size_gz = len(gz)
        took, body = get(self.port, False)
        self.samples["identity"].append(took)
        self.size = len(body)
        # gzip checks the CRC and the length; the per-run series must be the
        # identity body's (a poll may land between two GETs: then try a
        # pair again).
        for _ in range(5):
            if run_lines(gzip.decompress(gz)) == run_lines(body):
                break
            gz, body = get(self.port, True)[1], get(self.port, False)[1]
        else:
            raise RuntimeError("the gzip body does not inflate to the identity one")

    def rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return float("nan")

    def stop(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def run_lines(body):
    return [l for l in body.split(b"\n") if l.startswith(b"pipeline_run_")]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def main(argv):
    if len(argv) < 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    base_bin, base_label, new_bin, new_label, db = argv[:5]
    rounds = int(argv[5]) if len(argv) > 5 else 30
    work = tempfile.mkdtemp(prefix="pe-fresh-gzip-")
    daemons = []
    try:
        for label, binary in ((base_label, base_bin), (new_label, new_bin)):
            directory = os.path.join(work, label)
            os.makedirs(directory)
            daemons.append((label, Daemon(binary, db, directory)))
        rng = random.Random(42)
        # A warm-up round, not counted: the first gzip scrape after start-up
        # compresses every part, in both.
        for _, daemon in daemons:
            daemon.round(rng)
            daemon.samples = {k: [] for k in daemon.samples}
        for _ in range(rounds):
            for _, daemon in daemons:
                daemon.round(rng)
        print("| %d rounds, 1%% of %d running runs changed each | body | gzip body "
              "| fresh gzip p50 | p99 | identity p50 | p99 | RSS after |"
              % (rounds, len(daemons[0][1].running)))
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, d in daemons:
            ms = {k: [v * 1000 for v in vs] for k, vs in d.samples.items()}
            print("| %s | %.1f MB | %.2f MB | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f MiB |" % (
                label, d.size / 1e6, d.size_gz / 1e6, statistics.median(ms["fresh gzip"]),
                percentile(ms["fresh gzip"], 99), statistics.median(ms["identity"]),
                percentile(ms["identity"], 99), d.rss_mib()))
    finally:
        for _, d in daemons:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
