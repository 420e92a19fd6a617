#!/usr/bin/env python3
"""A scrape beside clients stalled in their request headers (issue #23).

    python3 bench/stalled_clients.py --binary build/exporter/pipeline_exporter \
        --db STATE_DB [--counts 0,4,8,16,32,64] [-- EXTRA_EXPORTER_FLAGS...]

For each count N, starts the exporter (its defaults, a free 127.0.0.1 port),
waits for /-/ready, opens N connections that send part of a request header
and stall (pe_testlib.StalledClients), waits 0.2 s so that they are accepted,
then times one GET of /-/healthy and then one of /metrics (60 s timeout
each), and how long after the stalled clients connected the server had
closed all of them. Prints a markdown table (docs/benchmarks.md).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import pe_testlib as lib  # noqa: E402


def measure(binary, db, count, extra):
    port = lib.free_port()
    daemon = lib.Daemon([binary, "--state.db=" + db,
                         "--web.listen-address=" + lib.loopback_address(port)]
                        + extra)
    try:
        base = "http://" + lib.loopback_address(port)
        lib.wait_for_http(base + "/-/ready", status=200, timeout=60, daemon=daemon)
        with lib.StalledClients(port, count) as stalled:
            opened = time.monotonic()
            time.sleep(0.2)
            healthy = lib.timed_get(base + "/-/healthy", timeout=60)
            metrics = lib.timed_get(base + "/metrics", timeout=60)
            closed = None
            while time.monotonic() - opened < 120:
                if stalled.closed_by_server() == count:
                    closed = time.monotonic() - opened
                    break
                time.sleep(0.05)
        return healthy, metrics, closed
    finally:
        daemon.stop()
        daemon.cleanup()


def cell(result):
    seconds, status = result
    return "%.2f s" % seconds if status == 200 else "failed after %.1f s" % seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--counts", default="0,4,8,16,32,64")
    parser.add_argument("extra", nargs="*", help="more exporter flags")
    args = parser.parse_args()
    print("| stalled | `/-/healthy` | `/metrics` | all stalled closed after |")
    print("|---|---|---|---|")
    for count in [int(c) for c in args.counts.split(",")]:
        healthy, metrics, closed = measure(args.binary, args.db, count, args.extra)
        print("| %d | %s | %s | %s |" % (
            count, cell(healthy), cell(metrics),
            "-" if count == 0 else
            "%.1f s" % closed if closed is not None else "not within 120 s"),
            flush=True)


if __name__ == "__main__":
    main()
