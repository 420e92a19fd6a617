#!/usr/bin/env python3
"""Queries a saved run's Prometheus data (OUT/prometheus-data), to see the
series behind a finding:

    python3 scripts/alert_quality/query.py OUT 'EXPR' ['EXPR@STEP' ...]

Starts a throw-away Prometheus on a copy of the data, evaluates each
expression over the play (step in wall seconds, default 2) and prints each
series' values against simulated minutes since the play began
("48m=0.7597"). Remember that the data is compressed: a range of 6h is
written [90s] at compression 240.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_run(out, expressions, write=print):
    with open(os.path.join(out, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    start, factor = truth["wall_start"], truth["compression"]
    data = tempfile.mkdtemp(prefix="pe-aq-query-")
    try:
        shutil.copytree(os.path.join(out, "prometheus-data"), data, dirs_exist_ok=True)
        config = os.path.join(data, "query.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global: {}\n")
        base = "http://127.0.0.1:%d" % _free_port()
        proc = subprocess.Popen(
            ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data,
             "--web.listen-address=" + base[len("http://"):], "--log.level=error",
             "--storage.tsdb.retention.time=100y"], stdout=subprocess.DEVNULL)
        try:
            _wait_ready(base)
            for item in expressions:
                match = re.match(r"^(.*)@(\d+(?:\.\d+)?)$", item, re.S)
                expr, step = match.groups() if match else (item, "2")
                params = {"query": expr, "start": start - 20, "end": truth["wall_end"] + 30,
                          "step": step}
                with urllib.request.urlopen("%s/api/v1/query_range?%s"
                                            % (base, urllib.parse.urlencode(params))) as r:
                    result = json.load(r)["data"]["result"]
                write("== %s" % expr)
                for series in result:
                    write("  %s" % json.dumps(series["metric"], sort_keys=True))
                    write("    " + " ".join("%.1fm=%.4g" % ((t - start) * factor / 60, float(v))
                                            for t, v in series["values"]))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _wait_ready(base, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the query Prometheus did not become ready")


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    query_run(args[0], args[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
