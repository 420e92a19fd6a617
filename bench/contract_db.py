#!/usr/bin/env python3
"""A state database written from docs/state-contract.md alone.

    python3 bench/contract_db.py --db FILE [--runs 200000] [--active 0.05]
        [--steps 8] [--events 5] [--days 1] [--projects 40] [--phases 20]
        [--workstreams 300] [--error-bytes 2000] [--metadata-bytes 400]
        [--event-data-bytes 150] [--interleave] [--seed 7]

A second generator beside the simulator's bulk loader (`pipeline_exporter
simulate --bulk`), sharing no code with the exporter but the tables, as a
new user would write one (issue #11); the tables come from
tests/integration/contract_schema.py, which reads them from the C++
definition (exporter/state/contract_schema.h). UUID run ids (36 bytes),
project, phase and workstream names of 15 to 25 bytes, Python tracebacks as
error messages, JSON metadata and event data of the given sizes, every
timestamp form the contract lists, terminal runs spread over --days and active
ones (30% pending) created in the last six hours. With --interleave, steps and events are inserted in time
order, as a live orchestrator appends them, so that a run's steps and events
lie scattered over the table instead of next to each other (the simulator
writes run by run). Standard library only; about 90 s for 200k runs.
"""
import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import contract_schema  # noqa: E402  the contract's tables, from the header


WORDS = ("customer analytics billing ingest catalog search ranking fraud "
         "forecast inventory pricing recommend reporting warehouse media "
         "identity payments logistics marketing compliance").split()
STEP_NAMES = ["Checkout sources", "Resolve dependencies", "Build artifacts",
              "Run unit tests", "Run integration tests", "Package release",
              "Publish artifacts", "Notify stakeholders", "Validate schema",
              "Train model", "Evaluate model", "Export results"]
TERMINAL = {"succeeded": 70, "failed": 10, "partial": 8, "quarantined": 2,
            "canceled": 10}
END_EVENT = {"succeeded": "run_completed", "partial": "run_completed",
             "failed": "run_failed", "quarantined": "run_quarantined",
             "canceled": "run_canceled"}


def timestamp(t, rng):
    """Unix seconds as one of the contract's five forms, at random."""
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None)
    form = rng.randrange(5)
    if form == 0:
        return d.isoformat()
    if form == 1:
        return d.strftime("%Y-%m-%dT%H:%M:%S")
    if form == 2:
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == 3:
        return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+00:00" % (
            d.microsecond // 1000)
    return d.strftime("%Y-%m-%d %H:%M:%S")


def traceback(rng, size):
    lines = ["Traceback (most recent call last):"]
    while sum(len(line) + 1 for line in lines) < size:
        lines.append('  File "/opt/orchestrator/pipelines/%s/%s.py", line %d, '
                     "in %s" % (rng.choice(WORDS), rng.choice(WORDS),
                                rng.randrange(1, 900), rng.choice(WORDS)))
        lines.append("    result = self.%s(payload, retries=%d)" %
                     (rng.choice(WORDS), rng.randrange(5)))
    lines.append('RuntimeError: <step> failed: "exit status 1" '
                 "\u2014 donn\u00e9es invalides")
    return "\n".join(lines)


def json_of_size(rng, base, size):
    while len(json.dumps(base)) < size:
        base[rng.choice(WORDS) + str(rng.randrange(100))] = rng.randrange(1 << 30)
    return json.dumps(base)


def one_run(a, rng, now, i, names):
    """The run's row, and its steps and events each keyed by insert time."""
    projects, phases, workstreams = names
    run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    active = i >= a.runs - int(a.runs * a.active)
    if active:
        created = now - rng.uniform(0, 6 * 3600)
        state = "pending" if rng.random() < 0.3 else "running"
    else:
        created = now - a.days * 86400 * (1 - i / a.runs) - 600
        state = rng.choices(list(TERMINAL), list(TERMINAL.values()))[0]
    started = None if state == "pending" else created + rng.uniform(1, 120)
    ended = None
    if not active:
        ended = min(now - 1, started + rng.uniform(60, 3600))
    last = ended or started or created
    metadata = json_of_size(rng, {
        "triggered_by": rng.choice(WORDS) + "@example.com",
        "git_sha": "%040x" % rng.getrandbits(160)}, a.metadata_bytes)
    run = (run_id, rng.choice(projects), rng.choice(phases),
           rng.choice(workstreams) if rng.random() < 0.8 else None, state,
           timestamp(created, rng),
           timestamp(started, rng) if started else None,
           timestamp(ended, rng) if ended else None, timestamp(last, rng),
           metadata)

    steps = []
    t = started or created
    failed = rng.randrange(a.steps) if state in (
        "failed", "partial", "quarantined") else -1
    done = a.steps if ended else (0 if state == "pending" else
                                  rng.randrange(a.steps))
    for s in range(a.steps):
        name = STEP_NAMES[s % len(STEP_NAMES)]
        if s < done:
            begin, t = t, t + rng.uniform(5, 300)
            step_state = "failed" if s == failed else "completed"
            steps.append((begin, (run_id, "step-%02d" % s, name, step_state, 1,
                                  timestamp(begin, rng), timestamp(t, rng),
                                  traceback(rng, a.error_bytes)
                                  if step_state == "failed" else None)))
        elif s == done and state == "running":
            steps.append((t, (run_id, "step-%02d" % s, name, "running", 1,
                              timestamp(t, rng), None, None)))
        else:
            steps.append((created, (run_id, "step-%02d" % s, name, "pending",
                                    1, None, None, None)))

    kinds = ["run_created"] + (["run_started"] if started else [])
    kinds += ["step_completed"] * max(0, a.events - len(kinds) - bool(ended))
    if ended:
        kinds.append(END_EVENT[state])
    events = []
    for k, kind in enumerate(kinds[:a.events]):
        when = created + k * (last - created) / max(1, a.events - 1)
        data = json_of_size(rng, {"run_id": run_id, "kind": kind,
                                  "host": "worker-%02d" % rng.randrange(32)},
                            a.event_data_bytes)
        events.append((when, (run_id, kind,
                              "error" if kind == "run_failed" else "info",
                              timestamp(when, rng), data)))
    return run, steps, events


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True)
    p.add_argument("--runs", type=int, default=200000)
    p.add_argument("--active", type=float, default=0.05,
                   help="share of runs pending or running")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--events", type=int, default=5)
    p.add_argument("--days", type=float, default=1,
                   help="history the terminal runs are spread over")
    p.add_argument("--projects", type=int, default=40)
    p.add_argument("--phases", type=int, default=20)
    p.add_argument("--workstreams", type=int, default=300)
    p.add_argument("--error-bytes", type=int, default=2000)
    p.add_argument("--metadata-bytes", type=int, default=400)
    p.add_argument("--event-data-bytes", type=int, default=150)
    p.add_argument("--interleave", action="store_true",
                   help="insert steps and events in time order")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()

    rng = random.Random(a.seed)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    names = (
        ["%s-%s-%d" % (rng.choice(WORDS), rng.choice(WORDS), i)
         for i in range(a.projects)],
        ["phase%d_%s" % (i, rng.choice(WORDS)) for i in range(a.phases)],
        ["ws-%s-%s-%04d" % (rng.choice(WORDS), rng.choice(WORDS), i)
         for i in range(a.workstreams)])
    db = sqlite3.connect(a.db)
    db.execute("PRAGMA journal_mode=WAL")
    contract_schema.create_tables(db)
    runs, steps, events = [], [], []

    def flush():
        db.executemany("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", runs)
        if a.interleave:
            steps.sort(key=lambda row: row[0])
            events.sort(key=lambda row: row[0])
        db.executemany("INSERT INTO steps VALUES (?,?,?,?,?,?,?,?)",
                       (row for _, row in steps))
        db.executemany("INSERT INTO events (run_id, event_type, severity, "
                       "timestamp, data) VALUES (?,?,?,?,?)",
                       (row for _, row in events))
        runs.clear()
        steps.clear()
        events.clear()

    for i in range(a.runs):
        run, run_steps, run_events = one_run(a, rng, now, i, names)
        runs.append(run)
        steps.extend(run_steps)
        events.extend(run_events)
        if len(runs) >= 20000 and not a.interleave:
            flush()
    flush()
    db.commit()
    db.close()


if __name__ == "__main__":
    main()
