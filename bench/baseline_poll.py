#!/usr/bin/env python3
"""The baseline the exporter is measured against: the straightforward design
that re-queries every active run (and its steps) on every poll, as the
orchestrator's own Python monitoring does.

    python3 bench/baseline_poll.py --db /tmp/pe-bench/orchestration.db --rounds 5

Prints the median and max time of one poll in milliseconds.
"""

import argparse
import collections
import sqlite3
import statistics
import time
from datetime import datetime, timezone


def parse_ts(text):
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def poll(conn):
    """One poll: every active run, its steps, and the totals per state."""
    runs = conn.execute(
        "SELECT run_id, project_id, phase_id, state, created_at, started_at "
        "FROM runs WHERE state IN ('pending', 'running')").fetchall()
    report = []
    for run_id, project, phase, state, created, started in runs:
        steps = conn.execute(
            "SELECT state, started_at, ended_at, error_message FROM steps "
            "WHERE run_id = ?", (run_id,)).fetchall()
        counts = collections.Counter(s[0] for s in steps)
        times = [parse_ts(t) for s in steps for t in (s[1], s[2])]
        times = [t for t in times + [parse_ts(created), parse_ts(started)] if t]
        report.append((run_id, project, phase, state, dict(counts),
                       max(times) if times else None))
    totals = conn.execute(
        "SELECT project_id, state, COUNT(*) FROM runs GROUP BY 1, 2").fetchall()
    return report, totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    conn = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        report, _ = poll(conn)
        times.append((time.perf_counter() - start) * 1000)
    print("python baseline: %d active runs per poll, median %.1f ms, max %.1f ms"
          % (len(report), statistics.median(times), max(times)))


if __name__ == "__main__":
    main()
