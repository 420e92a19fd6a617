#!/usr/bin/env python3
"""The exporter's scaling curve in active runs (docs/benchmarks.md, issue #23).

    python3 bench/scaling_curve.py            # from the repository root
    ROWS="1000 10000" python3 bench/scaling_curve.py
    python3 bench/scaling_curve.py --replot RESULTS.json   # table + SVG again

For each N in ROWS (default "1000 10000 20000 50000 100000") one state
database of TOTAL runs (default 200000) is written by the simulator,

    pipeline_exporter simulate --db X --seed 42 --bulk $((TOTAL-N))
        --bulk-active N --no-artifacts

(8 steps and ~5 events a run, the simulator's defaults), and on it, in one
run per row, with metrics.max-tracked-runs raised to CAP = max(20000, 2*N):

* start-up to /-/ready, STARTS times (default 5), bench/time_to_ready.py,
  worker on, each on a fresh copy of the database: median and max;
* one daemon (worker on, fresh copy): VmRSS once ready and 5 s more, the
  series, identity and gzip bytes of /metrics and
  pipeline_exporter_tracked_runs; the first gzip scrape after ready (it
  compresses the snapshot, as Prometheus' first scrape after each poll
  does), then 20 sequential identity and 20 sequential gzip scrapes by
  curl, one connection each (p50); then wrk -t2 -c8 -dWRK_SECONDS (default 5)
  identity then gzip, and VmHWM after it;
* BENCH_POLL --terminal TOTAL-N --active N --rounds POLL_ROUNDS (default 30)
  --max-tracked-runs CAP on a copy: the poll with nothing changed and the
  poll after 1% of the active runs moved one step on (medians), in-process.

Prints a markdown table, one row per N, a table of the cost per active run
and between rows, writes the plot (SVG, default docs/scaling-curve.svg) and
the raw figures (RESULTS, default scaling-curve.json beside the SVG).

Environment: PIPELINE_EXPORTER (default build/exporter/pipeline_exporter),
BENCH_POLL (default build/bench/bench_poll), ROWS, TOTAL, STARTS,
POLL_ROUNDS, WRK_SECONDS, SVG, RESULTS. Needs wrk and curl (apt-get install wrk curl).
Listens on free ports of 127.0.0.1 only; every process it starts is stopped
and its temporary folder removed when it ends. Take the machine for the
figures you report: flock /tmp/pe-bench.lock python3 bench/scaling_curve.py
"""
import datetime
import gzip
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHILDREN = []  # every Popen still running, stopped on exit


def env(name, default):
    return os.environ.get(name) or default


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def copy_db(src, dst):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)
    os.sync()  # the copy's writeback is not the daemon's start-up


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def daemon_flags(db, folder, port, cap):
    return [
        f"--state.db={db}", "--worker.enabled",
        f"--worker.worktrees-dir={folder}/wt",
        f"--worker.archive-dir={folder}/ar",
        f"--worker.reports-dir={folder}/rep",
        f"--metrics.max-tracked-runs={cap}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"
    ]


def get(port, path="/metrics", gz=False, timeout=60):
    """(status, body bytes as sent, seconds) of one GET on a new connection."""
    headers = {"Accept-Encoding": "gzip"} if gz else {}
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, time.monotonic() - t0
    finally:
        conn.close()


def curl_ms(port, gz):
    """Milliseconds of one GET /metrics by curl (its time_total: a new
    connection, the whole body read and dropped). Python's http.client took
    190 ms to read the 65 MB identity body of 100k active runs that curl
    reads in 25 to 33 ms (docs/benchmarks.md, "Scaling curve")."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}"]
    if gz:
        cmd += ["-H", "Accept-Encoding: gzip"]
    rc, out, _ = run(cmd + [f"http://127.0.0.1:{port}/metrics"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                     text=True)
    if rc != 0:
        raise RuntimeError(f"curl exited {rc}")
    return float(out) * 1e3


def proc_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key} for {pid}")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def run(cmd, **kw):
    proc = subprocess.Popen(cmd, **kw)
    CHILDREN.append(proc)
    try:
        out, err = proc.communicate()
    finally:
        stop(proc)
    return proc.returncode, out, err


def wrk(port, seconds, gz):
    cmd = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    if gz:
        cmd += ["-H", "Accept-Encoding: gzip"]
    rc, out, _ = run(cmd + [f"http://127.0.0.1:{port}/metrics"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                     text=True)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)",
                       out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
        "rps": float(rps.group(1)) if rps else None,
        "errors": errors.group(0) if errors else None,
        "rc": rc,
    }


def measure_row(n, total, work, binary, bench_poll, starts, poll_rounds,
                wrk_seconds):
    row = {"active": n, "terminal": total - n, "cap": max(20000, 2 * n)}
    cap = row["cap"]
    folder = os.path.join(work, f"n{n}")
    os.makedirs(folder)
    base = os.path.join(folder, "base.db")

    log(f"N={n}: writing the database")
    t0 = time.monotonic()
    rc, _, err = run([
        binary, "simulate", "--db", base, "--seed", "42", "--bulk",
        str(total - n), "--bulk-active", str(n), "--no-artifacts"
    ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if rc != 0:
        raise RuntimeError(f"simulate exited {rc}: {err.strip()}")
    row["simulate_s"] = time.monotonic() - t0
    row["db_mib"] = os.path.getsize(base) / 1048576

    # Start-up to /-/ready, worker on, a fresh copy each time.
    times = []
    for i in range(starts):
        d = os.path.join(folder, f"start{i}")
        os.makedirs(d)
        db = os.path.join(d, "state.db")
        copy_db(base, db)
        port = free_port()
        rc, out, err = run([
            sys.executable,
            os.path.join(ROOT, "bench", "time_to_ready.py"),
            str(port), binary
        ] + daemon_flags(db, d, port, cap),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if rc != 0:
            raise RuntimeError(f"start-up {i}: {err.strip()}")
        times.append(float(out.strip()))
        shutil.rmtree(d)
    row["startup_s"] = times
    log(f"N={n}: start-up {times}")

    # One daemon: memory, scrapes.
    d = os.path.join(folder, "daemon")
    os.makedirs(d)
    db = os.path.join(d, "state.db")
    copy_db(base, db)
    port = free_port()
    daemon_log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([binary] + daemon_flags(db, d, port, cap),
                            stdout=daemon_log, stderr=subprocess.STDOUT)
    CHILDREN.append(proc)
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"daemon exited {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("daemon not ready in 300 s")
            try:
                if get(port, "/-/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        time.sleep(5)
        row["rss_ready_kib"] = proc_kib(proc.pid, "VmRSS")
        status, first_gz, first_gz_s = get(port, gz=True)
        status_i, body, _ = get(port)
        if status != 200 or status_i != 200:
            raise RuntimeError(f"/metrics answered {status}, {status_i}")
        text = body.decode()
        row["series"] = sum(1 for line in text.splitlines()
                            if line and not line.startswith("#"))
        row["identity_bytes"] = len(body)
        row["gzip_bytes"] = len(first_gz)
        row["gzip_first_ms"] = first_gz_s * 1e3
        if gzip.decompress(first_gz) != body:
            row["note_body"] = "gzip body differs from identity body"
        m = re.search(r"^pipeline_exporter_tracked_runs(?:\{[^}]*\})? (\S+)$",
                      text, re.M)
        row["tracked_runs"] = int(float(m.group(1))) if m else None
        m = re.search(r"^pipeline_exporter_tracked_runs_dropped_total(?:\{[^}]*\})? "
                      r"(\S+)$", text, re.M)
        row["dropped_runs"] = int(float(m.group(1))) if m else None
        ident = [curl_ms(port, gz=False) for _ in range(20)]
        gzs = [curl_ms(port, gz=True) for _ in range(20)]
        row["identity_seq_ms"] = ident
        row["gzip_seq_ms"] = gzs
        row["wrk_identity"] = wrk(port, wrk_seconds, gz=False)
        row["wrk_gzip"] = wrk(port, wrk_seconds, gz=True)
        row["rss_hwm_kib"] = proc_kib(proc.pid, "VmHWM")
        row["rss_after_kib"] = proc_kib(proc.pid, "VmRSS")
    finally:
        stop(proc)
        daemon_log.close()
    row["daemon_exit"] = proc.returncode
    shutil.rmtree(d)
    log(f"N={n}: {row['series']} series, ready "
        f"{row['rss_ready_kib'] / 1024:.1f} MiB, peak "
        f"{row['rss_hwm_kib'] / 1024:.1f} MiB")

    # Polls, in-process.
    db = os.path.join(folder, "poll.db")
    copy_db(base, db)
    rc, out, err = run([
        bench_poll, "--db", db, "--terminal",
        str(total - n), "--active",
        str(n), "--rounds",
        str(poll_rounds), "--max-tracked-runs",
        str(cap)
    ], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if rc != 0:
        raise RuntimeError(f"bench_poll exited {rc}: {err.strip()}")
    row["bench_poll_output"] = out

    def cell(label):
        m = re.search(r"^\| " + label + r"[^|]* \| ([\d.]+) \|", out, re.M)
        return float(m.group(1)) if m else None

    row["poll_startup_ms"] = cell(r"start-up \(full read\)")
    row["poll_unchanged_ms"] = cell("poll, nothing changed")
    row["poll_churn_ms"] = cell(r"poll, \d+ active runs changed")
    m = re.search(r"poll, (\d+) active runs changed", out)
    row["poll_churn_runs"] = int(m.group(1)) if m else None
    m = re.search(r"\((\d+) tracked runs", out)
    row["poll_tracked_runs"] = int(m.group(1)) if m else None
    m = re.search(r"heap in use after start-up: ([\d.]+) MiB", out)
    row["poll_heap_mib"] = float(m.group(1)) if m else None
    shutil.rmtree(folder)
    log(f"N={n}: poll unchanged {row['poll_unchanged_ms']} ms, 1% "
        f"{row['poll_churn_ms']} ms")
    return row


# ---------------------------------------------------------------- output


def fmt_int(v):
    return f"{v:,}" if v is not None else "-"


def mib(kib):
    return kib / 1024


def derived(row):
    """The figures of the plot and the tables, by name."""
    st = row["startup_s"]
    return {
        "startup_s": statistics.median(st),
        "startup_max_s": max(st),
        "rss_ready_mib": mib(row["rss_ready_kib"]),
        "rss_hwm_mib": mib(row["rss_hwm_kib"]),
        "identity_mb": row["identity_bytes"] / 1e6,
        "gzip_mb": row["gzip_bytes"] / 1e6,
        "identity_p50_ms": statistics.median(row["identity_seq_ms"]),
        "gzip_p50_ms": statistics.median(row["gzip_seq_ms"]),
        "gzip_first_ms": row["gzip_first_ms"],
        "poll_unchanged_ms": row["poll_unchanged_ms"],
        "poll_churn_ms": row["poll_churn_ms"],
        "series": row["series"],
    }


def tables(rows):
    out = []
    out.append(
        "| active runs (cap) | tracked | series | start-up median / max "
        "| VmRSS ready / VmHWM after wrk | identity / gzip per scrape "
        "| scrape p50 identity / gzip (first gzip) | wrk -c8 p50 identity / "
        "gzip | poll unchanged / 1% churn (runs) |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        d = derived(r)
        wi, wg = r["wrk_identity"]["p50_ms"], r["wrk_gzip"]["p50_ms"]
        out.append(
            f"| {fmt_int(r['active'])} ({fmt_int(r['cap'])}) "
            f"| {fmt_int(r['tracked_runs'])} | {fmt_int(r['series'])} "
            f"| {d['startup_s']:.3f} / {d['startup_max_s']:.3f} s "
            f"| {d['rss_ready_mib']:.1f} / {d['rss_hwm_mib']:.1f} MiB "
            f"| {d['identity_mb']:.1f} / {d['gzip_mb']:.2f} MB "
            f"| {d['identity_p50_ms']:.1f} / {d['gzip_p50_ms']:.1f} "
            f"({d['gzip_first_ms']:.0f}) ms "
            f"| {wi:.1f} / {wg:.1f} ms "
            f"| {d['poll_unchanged_ms']:.2f} / {d['poll_churn_ms']:.1f} ms "
            f"({fmt_int(r['poll_churn_runs'])}) |")
    out.append("")
    out.append(
        "| active runs | start-up µs / run | RSS ready KiB / run | peak KiB "
        "/ run | identity B / run | gzip B / run | series / run | gzip p50 "
        "µs / run | 1% poll µs / changed run |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def per_run(r, d):
        n = r["active"]
        return [
            d["startup_s"] * 1e6 / n, r["rss_ready_kib"] / n,
            r["rss_hwm_kib"] / n, r["identity_bytes"] / n,
            r["gzip_bytes"] / n, r["series"] / n, d["gzip_p50_ms"] * 1e3 / n,
            d["poll_churn_ms"] * 1e3 / r["poll_churn_runs"]
        ]

    for r in rows:
        v = per_run(r, derived(r))
        out.append(f"| {fmt_int(r['active'])} | {v[0]:.1f} | {v[1]:.2f} "
                   f"| {v[2]:.2f} | {v[3]:.0f} | {v[4]:.0f} | {v[5]:.2f} "
                   f"| {v[6]:.3f} | {v[7]:.1f} |")
    if len(rows) > 1:
        out.append("")
        out.append(
            "Between rows (the cost of each further active run, "
            "(cost(N) - cost(previous N)) / (N - previous N)):")
        out.append("")
        out.append(
            "| active runs | start-up µs / run | RSS ready KiB / run | peak "
            "KiB / run | identity B / run | gzip B / run | series / run "
            "| gzip p50 µs / run | 1% poll µs / run |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for a, b in zip(rows, rows[1:]):
            da, db = derived(a), derived(b)
            dn = b["active"] - a["active"]
            out.append(
                f"| {fmt_int(a['active'])} → {fmt_int(b['active'])} "
                f"| {(db['startup_s'] - da['startup_s']) * 1e6 / dn:.1f} "
                f"| {(b['rss_ready_kib'] - a['rss_ready_kib']) / dn:.2f} "
                f"| {(b['rss_hwm_kib'] - a['rss_hwm_kib']) / dn:.2f} "
                f"| {(b['identity_bytes'] - a['identity_bytes']) / dn:.0f} "
                f"| {(b['gzip_bytes'] - a['gzip_bytes']) / dn:.0f} "
                f"| {(b['series'] - a['series']) / dn:.2f} "
                f"| {(db['gzip_p50_ms'] - da['gzip_p50_ms']) * 1e3 / dn:.3f} "
                f"| {(db['poll_churn_ms'] - da['poll_churn_ms']) * 1e3 / dn:.2f}"
                " |")
    return "\n".join(out)


PANELS = [
    ("start-up to /-/ready (median of {starts})", "s", [("startup_s",
                                                          "median")]),
    ("memory", "MiB", [("rss_ready_mib", "VmRSS ready"),
                       ("rss_hwm_mib", "VmHWM after wrk")]),
    ("bytes per scrape", "MB", [("identity_mb", "identity"),
                                ("gzip_mb", "gzip")]),
    ("scrape, one client (p50 of 20)", "ms", [("identity_p50_ms", "identity"),
                                              ("gzip_p50_ms", "gzip")]),
    ("poll (bench_poll, median)", "ms", [("poll_churn_ms", "1% moved"),
                                         ("poll_unchanged_ms", "unchanged")]),
    ("series exposed", "series", [("series", "series")]),
]
COLORS = ["#1f77b4", "#d62728", "#2ca02c"]


def nice_ticks(lo, hi):
    """Powers of ten with 2 and 5 between them covering [lo, hi] (log)."""
    ticks = []
    e = 10**math.floor(math.log10(lo))
    while e <= hi * 10:
        for m in (1, 2, 5):
            if lo <= m * e <= hi:
                ticks.append(m * e)
        e *= 10
    return ticks


def tick_label(t):
    if t >= 1e6:
        return f"{t / 1e6:g}M"
    if t >= 1e4:
        return f"{t / 1e3:g}k"
    return f"{t:g}"


def svg(rows, meta):
    xs = [r["active"] for r in rows]
    data = [derived(r) for r in rows]
    pw, ph, ml, mr, mt, mb = 300, 210, 58, 14, 34, 40
    cols = 3
    nrows = (len(PANELS) + cols - 1) // cols
    width, height = cols * (pw + ml + mr), nrows * (ph + mt + mb) + 56
    o = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">'
        f'pipeline_exporter against active runs ({meta["total"]:,} runs in '
        f'all, log-log; dotted: linear from the 10k point)</text>',
        f'<text x="{width / 2}" y="34" text-anchor="middle" fill="#555">'
        f'{meta["revision"]}, {meta["date"]}, one run per point</text>'
    ]
    ref_i = xs.index(10000) if 10000 in xs else 0
    x_lo, x_hi = min(xs) / 1.5, max(xs) * 1.5
    for p, (title, unit, series) in enumerate(PANELS):
        ox = (p % cols) * (pw + ml + mr) + ml
        oy = (p // cols) * (ph + mt + mb) + mt + 40
        vals = [d[k] for k, _ in series for d in data
                if d[k] is not None and d[k] > 0]
        refs = [data[ref_i][k] * x / xs[ref_i] for k, _ in series
                for x in (min(xs), max(xs)) if data[ref_i][k]]
        y_lo = min(vals + refs) / 1.5
        y_hi = max(vals + refs) * 1.5

        def px(x):
            return ox + pw * (math.log(x / x_lo) / math.log(x_hi / x_lo))

        def py(y):
            return oy + ph - ph * (math.log(y / y_lo) / math.log(y_hi / y_lo))

        title = title.format(starts=meta["starts"])
        o.append(f'<text x="{ox + pw / 2}" y="{oy - 8}" text-anchor="middle"'
                 f' font-size="12">{title}</text>')
        o.append(f'<rect x="{ox}" y="{oy}" width="{pw}" height="{ph}" '
                 'fill="none" stroke="#888"/>')
        for t in nice_ticks(x_lo, x_hi):
            o.append(f'<line x1="{px(t):.1f}" y1="{oy}" x2="{px(t):.1f}" '
                     f'y2="{oy + ph}" stroke="#eee"/>')
            o.append(f'<text x="{px(t):.1f}" y="{oy + ph + 14}" '
                     f'text-anchor="middle">{t / 1000:g}k</text>')
        for t in nice_ticks(y_lo, y_hi):
            o.append(f'<line x1="{ox}" y1="{py(t):.1f}" x2="{ox + pw}" '
                     f'y2="{py(t):.1f}" stroke="#eee"/>')
            o.append(f'<text x="{ox - 4}" y="{py(t) + 4:.1f}" '
                     f'text-anchor="end">{tick_label(t)}</text>')
        o.append(f'<text x="{ox + pw / 2}" y="{oy + ph + 30}" '
                 'text-anchor="middle" fill="#555">active runs</text>')
        o.append(f'<text x="{ox - 44}" y="{oy + ph / 2}" text-anchor="middle"'
                 f' fill="#555" transform="rotate(-90 {ox - 44} '
                 f'{oy + ph / 2})">{unit}</text>')
        for s, (key, label) in enumerate(series):
            color = COLORS[s]
            y0 = data[ref_i][key]
            if y0:
                a, b = min(xs), max(xs)
                o.append(f'<line x1="{px(a):.1f}" y1="{py(y0 * a / xs[ref_i]):.1f}"'
                         f' x2="{px(b):.1f}" y2="{py(y0 * b / xs[ref_i]):.1f}" '
                         f'stroke="{color}" stroke-dasharray="2,3" '
                         'stroke-width="1.2"/>')
            pts = [(px(x), py(d[key])) for x, d in zip(xs, data)
                   if d[key] is not None and d[key] > 0]
            o.append('<polyline fill="none" stroke-width="1.8" stroke="'
                     f'{color}" points="' +
                     " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
            for x, y in pts:
                o.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" '
                         f'fill="{color}"/>')
            if len(series) > 1:
                o.append(f'<text x="{ox + 8}" y="{oy + 16 + 14 * s}" '
                         f'fill="{color}">{label}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def report(results, svg_path):
    rows = results["rows"]
    print(f"exporter revision {results['revision']}, checkout "
          f"{results.get('checkout', '?')}, {results['date']}, "
          f"{results['total']:,} runs in all")
    print()
    print(tables(rows))
    if svg_path:
        with open(svg_path, "w") as f:
            f.write(svg(rows, results))
        print(f"\nplot: {svg_path}", file=sys.stderr)


def main():
    svg_path = env("SVG", os.path.join(ROOT, "docs", "scaling-curve.svg"))
    if len(sys.argv) == 3 and sys.argv[1] == "--replot":
        with open(sys.argv[2]) as f:
            report(json.load(f), svg_path)
        return
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    binary = os.path.abspath(env("PIPELINE_EXPORTER",
                                 os.path.join(ROOT, "build", "exporter",
                                              "pipeline_exporter")))
    bench_poll = os.path.abspath(env("BENCH_POLL",
                                     os.path.join(ROOT, "build", "bench",
                                                  "bench_poll")))
    ns = [int(x) for x in env("ROWS", "1000 10000 20000 50000 100000").split()]
    total = int(env("TOTAL", "200000"))
    starts = int(env("STARTS", "5"))
    poll_rounds = int(env("POLL_ROUNDS", "30"))
    wrk_seconds = int(env("WRK_SECONDS", "5"))
    results_path = env("RESULTS",
                       os.path.splitext(svg_path)[0] + ".json")
    for tool in ("wrk", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"scaling_curve: {tool} is missing (apt-get install "
                     f"{tool})")
    version = subprocess.run([binary, "--version"], capture_output=True,
                             text=True).stdout.strip()
    m = re.search(r"revision: (\w+)", version)
    results = {
        "revision": m.group(1)[:7] if m else version,
        "version": version,
        "checkout": subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True).stdout.strip(),
        "binary": binary,
        "bench_poll": bench_poll,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"),
        "total": total,
        "starts": starts,
        "poll_rounds": poll_rounds,
        "wrk_seconds": wrk_seconds,
        "rows": [],
        "failed": [],
    }
    work = tempfile.mkdtemp(prefix="scaling-curve.")
    try:
        for n in ns:
            try:
                results["rows"].append(
                    measure_row(n, total, work, binary, bench_poll, starts,
                                poll_rounds, wrk_seconds))
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                log(f"N={n}: FAILED: {e}")
                results["failed"].append({"active": n, "error": str(e)})
            with open(results_path, "w") as f:
                json.dump(results, f, indent=1)
        report(results, svg_path)
        for fail in results["failed"]:
            print(f"\nrow {fail['active']:,} failed: {fail['error']}")
    finally:
        for proc in list(CHILDREN):
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    if results["failed"]:
        sys.exit(1)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
main()
