#!/usr/bin/env python3
"""How many orchestrators one Prometheus pair, and one centre, hold on this
machine (docs/scale-out.md, issue #23).

    python3 bench/central_capacity.py                       # both setups
    MODES=pair KS="1 2" STEP=60 WARMUP=30 python3 bench/central_capacity.py
    flock /tmp/pe-bench.lock python3 bench/central_capacity.py   # a measurement

One real exporter stands in for K orchestrators: it serves a state database
of the user-like shape (bench/shapes/user-like.flags, ~103k series, 11 MB a
scrape, 3.4 MB gzip) while a live simulator keeps playing on it (runs start,
step, fail, finish: values and series change between scrapes as on a live
orchestrator), and the scrapers get K targets that all point at that one
exporter but carry distinct `instance` labels (a hidden target label
`__orch` relabelled into `instance`), so that the TSDB holds K x ~103k
distinct series and appends K x ~6.9k samples a second at 15 s.

MODES (default "pair centre"), for each K of KS in turn (the scrapers'
configuration reloaded, the series of the smaller K kept: they are still
scraped):

  pair    two Prometheus replicas (deploy/ha/prometheus-a.yml and -b.yml:
          15 s scrape and evaluation, 10 s scrape timeout, external label
          replica, the shipped rules/*.yml), both scraping every target;
  centre  deploy/fleet: two vmagent replicas (vmagent-scrape.yml,
          disable_keepalive, -promscrape.cluster.membersCount=2
          -replicationFactor=2, so each scrapes every target) remote-writing
          into one Prometheus with --web.enable-remote-write-receiver, the
          out-of-order window of central-prometheus.yml and the shipped
          rules; it scrapes nothing.

No Alertmanager: alerts are evaluated (and the ALERTS series written) but
sent nowhere. Every process listens on 127.0.0.1 on a free port; data live
in a mktemp directory removed at the end; every process is stopped on exit.

Per K, after WARMUP seconds (the new targets' first scrapes create their
series), the script samples every 15 s for STEP - WARMUP seconds and prints
a row: CPU (cores, from /proc over the window) and peak RSS of each process,
head series, samples appended per second, scrape duration p50 and max,
scrapes per target per interval and failed scrapes, the slowest rule group's
last evaluation against its interval and missed iterations; for the centre
the vmagents' pending remote-write bytes (start -> end of the window),
dropped packets and timed-out scrapes, and the out-of-order samples the
centre took or refused. A step is "broken" when a scrape fails or times out,
a rule group misses an iteration or takes longer than its interval, the
vmagents' pending bytes grow, samples are refused, a process dies, or
MemAvailable drops below MEM_FLOOR_GIB; the ramp stops after the first
step broken by anything but the rules (STOP_AT_RULES).

Environment:
  KS              K list (default "1 2 3 4 6 8 12")
  STEP            seconds per K, warm-up included (default 105)
  WARMUP          seconds before the window starts (default 45)
  MODES           "pair centre", "pair" or "centre"
  DB              an existing state database (copied into the temp dir;
                  default: generated, user-like shape, seed 42)
  LIVE            1 (default): a live simulator plays on the copy at the
                  rates of the shape (--runs-per-minute 132: the shape's
                  190k runs a day; --step-seconds 570: 8 steps of ~9.5 min,
                  so ~10k runs stay active), for PREPLAY seconds before
                  the first step and throughout; 0: the database stays still
  PREPLAY         seconds of live play before the first step (default 0).
                  The bulk-loaded active runs' last progress lies anywhere
                  in the past hour, so PipelineRunStalled holds ~3k to 5k
                  alerts (pending or firing) per orchestrator, and 8 minutes
                  of play do not change that much: the rule cost measured is
                  that of a shape with thousands of per-run alerts
                  (the row's "alerts" and "slowest_rules" say how many)
  STOP_AT_RULES   0 (default): a rule group slower than its interval or a
                  missed iteration marks the step broken but the ramp goes
                  on, to find where ingestion breaks; 1: stop there too
  PIPELINE_EXPORTER  exporter binary (default build/exporter/pipeline_exporter)
  PROMETHEUS, VMAGENT  binaries (default: from PATH)
  MEM_FLOOR_GIB   stop when MemAvailable falls below this (default 2)
  RESULTS         also append every row as JSON to this file
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KS = [int(k) for k in os.environ.get("KS", "1 2 3 4 6 8 12").split()]
STEP = int(os.environ.get("STEP", "105"))
PREPLAY = int(os.environ.get("PREPLAY", "0"))
STOP_AT_RULES = os.environ.get("STOP_AT_RULES", "0") == "1"
WARMUP = int(os.environ.get("WARMUP", "45"))
MODES = os.environ.get("MODES", "pair centre").split()
LIVE = os.environ.get("LIVE", "1") == "1"
EXPORTER = os.environ.get("PIPELINE_EXPORTER",
                          os.path.join(SRC, "build/exporter/pipeline_exporter"))
PROMETHEUS = os.environ.get("PROMETHEUS") or shutil.which("prometheus")
VMAGENT = os.environ.get("VMAGENT") or shutil.which("vmagent")
MEM_FLOOR = float(os.environ.get("MEM_FLOOR_GIB", "2")) * 2**30
RESULTS = os.environ.get("RESULTS")
# deploy/ha/prometheus-*.yml and deploy/fleet/*.yml (checked below).
SCRAPE_INTERVAL, SCRAPE_TIMEOUT, EVAL_INTERVAL = 15, 10, 15
SAMPLE_EVERY = 15
CLK_TCK = os.sysconf("SC_CLK_TCK")
SHAPE = open(os.path.join(SRC, "bench/shapes/user-like.flags")).read().split()
# The naming flags of the shape, for the runs the live simulator creates.
LIVE_SHAPE = [f for i, f in enumerate(SHAPE) if not f.startswith("--bulk")
              and not (i and SHAPE[i - 1].startswith("--bulk"))]

TMP = tempfile.mkdtemp(prefix="central_capacity.")
PROCS = []  # (name, Popen)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(name, args):
    out = open(os.path.join(TMP, name + ".log"), "wb")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    PROCS.append((name, p))
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def cleanup(*_):
    for _, p in reversed(PROCS):
        stop(p)
    shutil.rmtree(TMP, ignore_errors=True)


def http(url, data=None, timeout=30):
    with urllib.request.urlopen(url, data=data, timeout=timeout) as r:
        return r.read().decode()


def wait_http(url, p, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if p.poll() is not None:
            raise SystemExit("%s exited (%s)" % (p.args[0], p.returncode))
        try:
            http(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit("timed out waiting for " + url)


def metrics(base):
    """{name: [(labels-string, value)]} of a /metrics page (the few we need)."""
    out = {}
    for line in http(base + "/metrics").splitlines():
        if not line or line[0] == "#":
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)', line)
        if m:
            out.setdefault(m.group(1), []).append((m.group(2) or "",
                                                   float(m.group(3))))
    return out


def msum(ms, name, match=""):
    return sum(v for l, v in ms.get(name, []) if match in l)


def mmax(ms, name, match=""):
    vs = [v for l, v in ms.get(name, []) if match in l]
    return max(vs) if vs else 0.0


def proc(p):
    """(cpu seconds, rss bytes) of a process from /proc."""
    with open("/proc/%d/stat" % p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def query(base, expr):
    r = json.loads(http(base + "/api/v1/query?" +
                        urllib.parse.urlencode({"query": expr}), timeout=120))
    res = r["data"]["result"]
    return float(res[0]["value"][1]) if res else float("nan")


def targets(k, addr, keepalive=True):
    job = {"job_name": "pipeline_exporter",
           "static_configs": [{"targets": [addr],
                               "labels": {"__orch": "orchestrator-%03d:9879" % i}}
                              for i in range(k)],
           "relabel_configs": [{"source_labels": ["__orch"],
                                "target_label": "instance"}]}
    if not keepalive:
        job["disable_keepalive"] = True
    return job


def write_json(path, obj):
    # JSON is YAML: Prometheus and vmagent read it as their configuration.
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def rule_files():
    return [os.path.join(SRC, "rules", n)
            for n in ("pipeline_alerts.yml", "pipeline_recording.yml")]


def check_shipped():
    for rel in ("deploy/ha/prometheus-a.yml", "deploy/fleet/vmagent-scrape.yml"):
        text = open(os.path.join(SRC, rel)).read()
        if "scrape_interval: %ds" % SCRAPE_INTERVAL not in text or \
           "scrape_timeout: %ds" % SCRAPE_TIMEOUT not in text:
            log("warning: %s no longer says %ds/%ds" % (rel, SCRAPE_INTERVAL,
                                                       SCRAPE_TIMEOUT))
    text = open(os.path.join(SRC, "deploy/fleet/central-prometheus.yml")).read()
    if "out_of_order_time_window: 5m" not in text:
        log("warning: central-prometheus.yml's out-of-order window changed")


class Prom:
    def __init__(self, name, config, extra=()):
        self.name, self.config = name, config
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.p = start(name, [PROMETHEUS, "--config.file=" + config,
                              "--storage.tsdb.path=" + os.path.join(TMP, name + "-data"),
                              "--web.listen-address=127.0.0.1:%d" % self.port,
                              "--web.enable-lifecycle", "--log.level=warn",
                              *extra])
        wait_http(self.base + "/-/ready", self.p)

    def reload(self):
        http(self.base + "/-/reload", data=b"")


class VMAgent:
    def __init__(self, name, config, write_url, member):
        self.name = name
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.p = start(name, [VMAGENT, "-promscrape.config=" + config,
                              "-remoteWrite.url=" + write_url,
                              "-remoteWrite.tmpDataPath=" + os.path.join(TMP, name + "-buf"),
                              "-promscrape.cluster.membersCount=2",
                              "-promscrape.cluster.memberNum=%d" % member,
                              "-promscrape.cluster.replicationFactor=2",
                              "-httpListenAddr=127.0.0.1:%d" % self.port,
                              "-loggerLevel=WARN"])
        wait_http(self.base + "/metrics", self.p)

    def reload(self):
        self.p.send_signal(signal.SIGHUP)


def prom_config(k, exporter, replica=None, centre=False):
    cfg = {"global": {"scrape_interval": "%ds" % SCRAPE_INTERVAL,
                      "scrape_timeout": "%ds" % SCRAPE_TIMEOUT,
                      "evaluation_interval": "%ds" % EVAL_INTERVAL},
           "rule_files": rule_files()}
    if replica:
        cfg["global"]["external_labels"] = {"replica": replica}
    if centre:
        cfg["storage"] = {"tsdb": {"out_of_order_time_window": "5m"}}
    else:
        cfg["scrape_configs"] = [targets(k, exporter)]
    return cfg


def measure(mode, k, proms, agents, exporter_procs):
    """Sample the window; return the row (dict)."""
    window = STEP - WARMUP
    watched = [(x.name, x.p) for x in proms + agents] + exporter_procs
    time.sleep(WARMUP)
    t0 = time.time()
    cpu0 = {n: proc(p)[0] for n, p in watched}
    rss = {n: 0 for n, _ in watched}
    m0 = {x.name: metrics(x.base) for x in proms + agents}
    ms = dict(m0)
    broken = []
    group_max = 0.0
    groups = {}  # (prometheus, group) -> slowest last duration seen
    min_avail = mem_available()
    while time.time() < t0 + window:
        time.sleep(min(SAMPLE_EVERY, max(0, t0 + window - time.time())))
        for n, p in watched:
            if p.poll() is not None:
                broken.append("%s exited" % n)
                break
            rss[n] = max(rss[n], proc(p)[1])
        if broken:
            break
        for x in proms + agents:
            ms[x.name] = metrics(x.base)
        for x in proms:
            for l, v in ms[x.name].get("prometheus_rule_group_last_duration_seconds", []):
                g = (x.name, re.sub(r'.*;', '', l).rstrip('"}'))
                groups[g] = max(groups.get(g, 0.0), v)
                group_max = max(group_max, v)
        min_avail = min(min_avail, mem_available())
        if min_avail < MEM_FLOOR:
            broken.append("MemAvailable %.1f GiB" % (min_avail / 2**30))
            break
    dt = time.time() - t0
    row = {"mode": mode, "k": k, "window_s": round(dt), "broken": broken,
           "series_per_orchestrator_note": "K x one exporter"}
    for n, p in watched:
        if p.poll() is None:
            row["cpu_" + n] = round((proc(p)[0] - cpu0[n]) / dt, 3)
        row["rss_gib_" + n] = round(rss[n] / 2**30, 2)
    if broken:
        return row
    w = "%ds" % int(dt)
    for x in proms:
        a, b = m0[x.name], ms[x.name]
        tag = x.name
        row["head_series_" + tag] = int(msum(b, "prometheus_tsdb_head_series"))
        row["samples_per_s_" + tag] = round(
            (msum(b, "prometheus_tsdb_head_samples_appended_total")
             - msum(a, "prometheus_tsdb_head_samples_appended_total")) / dt)
        row["rule_group_max_s_" + tag] = round(group_max, 3)
        row["rule_groups_s_" + tag] = {g: round(v, 3) for (n, g), v in
                                       sorted(groups.items()) if n == tag}
        rules = [r for g in json.loads(http(x.base + "/api/v1/rules"))["data"]["groups"]
                 for r in g["rules"]]
        rules.sort(key=lambda r: -r.get("evaluationTime", 0))
        row["slowest_rules_" + tag] = ["%s %.2fs%s" % (
            r["name"], r.get("evaluationTime", 0),
            " (%d alerts)" % len(r["alerts"]) if r["type"] == "alerting" else "")
            for r in rules[:4]]
        row["alerts_" + tag] = int(query(x.base, "count(ALERTS) or vector(0)"))
        missed = (msum(b, "prometheus_rule_group_iterations_missed_total")
                  - msum(a, "prometheus_rule_group_iterations_missed_total"))
        row["rule_missed_" + tag] = int(missed)
        if missed:
            broken.append("%s missed %d rule iterations" % (tag, missed))
        if group_max > EVAL_INTERVAL:
            broken.append("%s rule group %.1fs > %ds" % (tag, group_max, EVAL_INTERVAL))
        sel = 'scrape_duration_seconds{job="pipeline_exporter"}'
        row["scrape_p50_s_" + tag] = round(query(x.base, "quantile(0.5, quantile_over_time(0.5, %s[%s]))" % (sel, w)), 3)
        row["scrape_max_s_" + tag] = round(query(x.base, "max(max_over_time(%s[%s]))" % (sel, w)), 3)
        up = 'up{job="pipeline_exporter"}'
        n_scrapes = query(x.base, "sum(count_over_time(%s[%s]))" % (up, w))
        n_ok = query(x.base, "sum(sum_over_time(%s[%s]))" % (up, w))
        row["scrapes_per_target_interval_" + tag] = round(
            n_scrapes / k / (dt / SCRAPE_INTERVAL), 2)
        row["failed_scrapes_" + tag] = int(n_scrapes - n_ok)
        if n_scrapes - n_ok:
            broken.append("%s: %d failed scrapes" % (tag, n_scrapes - n_ok))
        if row["scrape_max_s_" + tag] >= SCRAPE_TIMEOUT:
            broken.append("%s: a scrape at the timeout" % tag)
        if mode == "pair":
            p99 = mmax(b, "prometheus_target_interval_length_seconds",
                       'quantile="0.99"')
            row["interval_p99_s_" + tag] = round(p99, 2)
        if mode == "centre":
            row["ooo_appended_per_s"] = round(
                (msum(b, "prometheus_tsdb_head_out_of_order_samples_appended_total")
                 - msum(a, "prometheus_tsdb_head_out_of_order_samples_appended_total")) / dt)
            refused = (msum(b, "prometheus_tsdb_out_of_order_samples_total")
                       + msum(b, "prometheus_tsdb_too_old_samples_total")
                       - msum(a, "prometheus_tsdb_out_of_order_samples_total")
                       - msum(a, "prometheus_tsdb_too_old_samples_total"))
            row["refused_samples"] = int(refused)
            if refused:
                broken.append("centre refused %d samples" % refused)
            row["write_requests_per_s"] = round(
                (msum(b, "prometheus_http_requests_total", 'handler="/api/v1/write"')
                 - msum(a, "prometheus_http_requests_total", 'handler="/api/v1/write"')) / dt, 1)
            bad = (msum(b, "prometheus_http_requests_total", 'code="5')
                   - msum(a, "prometheus_http_requests_total", 'code="5'))
            if bad:
                broken.append("centre answered %d 5xx" % bad)
    for x in agents:
        a, b = m0[x.name], ms[x.name]
        p0 = msum(a, "vmagent_remotewrite_pending_data_bytes")
        p1 = msum(b, "vmagent_remotewrite_pending_data_bytes")
        row["pending_mib_" + x.name] = "%.1f->%.1f" % (p0 / 2**20, p1 / 2**20)
        if p1 > p0 + 64 * 2**20:
            broken.append("%s pending grew %.0f MiB" % (x.name, (p1 - p0) / 2**20))
        for metric, label in (("vmagent_remotewrite_packets_dropped_total", "dropped"),
                              ("vm_promscrape_scrapes_timed_out_total", "timed_out"),
                              ("vm_promscrape_scrapes_failed_total", "scrape_failed")):
            d = int(msum(b, metric) - msum(a, metric))
            row[label + "_" + x.name] = d
            if d:
                broken.append("%s %s %d" % (x.name, label, d))
        row["rows_per_s_" + x.name] = round(
            (msum(b, "vmagent_remotewrite_rows_pushed_after_relabel_total")
             - msum(a, "vmagent_remotewrite_rows_pushed_after_relabel_total")) / dt)
    return row


def gib(row, prefix):
    return sum(v for n, v in row.items() if n.startswith(prefix))


def run_mode(mode, exporter_addr, exporter_procs):
    proms, agents = [], []
    if mode == "pair":
        for r in ("a", "b"):
            cfg = os.path.join(TMP, "prometheus-%s.yml" % r)
            write_json(cfg, prom_config(KS[0], exporter_addr, replica=r))
            proms.append(Prom("prometheus-" + r, cfg))
    else:
        cfg = os.path.join(TMP, "central-prometheus.yml")
        write_json(cfg, prom_config(0, None, centre=True))
        centre = Prom("centre", cfg, ["--web.enable-remote-write-receiver"])
        proms.append(centre)
        vcfg = os.path.join(TMP, "vmagent-scrape.yml")
        write_json(vcfg, {"global": {"scrape_interval": "%ds" % SCRAPE_INTERVAL,
                                     "scrape_timeout": "%ds" % SCRAPE_TIMEOUT},
                          "scrape_configs": [targets(KS[0], exporter_addr, keepalive=False)]})
        for m in range(2):
            agents.append(VMAgent("vmagent-%d" % m, vcfg,
                                  centre.base + "/api/v1/write", m))
    rows = []
    for k in KS:
        log("%s: K=%d" % (mode, k))
        if mode == "pair":
            for x in proms:
                write_json(x.config, prom_config(k, exporter_addr, replica=x.name[-1]))
                x.reload()
        else:
            write_json(vcfg, {"global": {"scrape_interval": "%ds" % SCRAPE_INTERVAL,
                                         "scrape_timeout": "%ds" % SCRAPE_TIMEOUT},
                              "scrape_configs": [targets(k, exporter_addr, keepalive=False)]})
            for x in agents:
                x.reload()
        try:
            row = measure(mode, k, proms, agents, exporter_procs)
        except OSError as e:  # a Prometheus too busy to answer its API
            row = {"mode": mode, "k": k,
                   "broken": ["no answer from a scraper's API: %s" % e]}
        row["mem_available_gib_end"] = round(mem_available() / 2**30, 1)
        log(json.dumps(row))
        if RESULTS:
            with open(RESULTS, "a") as f:
                f.write(json.dumps(row) + "\n")
        rows.append(row)
        hard = [b for b in row["broken"] if "rule" not in b]
        if hard or (row["broken"] and STOP_AT_RULES):
            log("%s: broken at K=%d: %s" % (mode, k, "; ".join(row["broken"])))
            break
    for x in agents + proms:
        stop(x.p)
    for x in proms:
        shutil.rmtree(os.path.join(TMP, x.name + "-data"), ignore_errors=True)
    for x in agents:
        shutil.rmtree(os.path.join(TMP, x.name + "-buf"), ignore_errors=True)
    return rows


def table(mode, rows):
    if mode == "pair":
        print("\n| K | series per replica | samples/s per replica | CPU a+b (cores) | RSS a / b (GiB) | scrape p50 / max (s) | scrapes per target per 15 s | failed | slowest rule group (s, of 15) | alerts | exporter CPU | broken |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            a, b = "prometheus-a", "prometheus-b"
            print("| %d | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s |" % (
                r["k"], r.get("head_series_" + a, "-"), r.get("samples_per_s_" + a, "-"),
                round(r.get("cpu_" + a, 0) + r.get("cpu_" + b, 0), 2),
                r.get("rss_gib_" + a), r.get("rss_gib_" + b),
                r.get("scrape_p50_s_" + a, "-"), max(r.get("scrape_max_s_" + a, 0), r.get("scrape_max_s_" + b, 0)),
                r.get("scrapes_per_target_interval_" + a, "-"),
                r.get("failed_scrapes_" + a, 0) + r.get("failed_scrapes_" + b, 0),
                max(r.get("rule_group_max_s_" + a, 0), r.get("rule_group_max_s_" + b, 0)),
                r.get("alerts_" + a, "-"), r.get("cpu_exporter", "-"), "; ".join(r["broken"]) or "no"))
    else:
        print("\n| K | series | samples/s appended (of which out of order) | centre CPU | centre RSS (GiB) | vmagent CPU 0+1 | vmagent RSS 0 / 1 (GiB) | pending MiB 0; 1 | scrape p50 / max (s) | scrapes per target per 15 s | slowest rule group (s, of 15) | alerts | exporter CPU | broken |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            c = "centre"
            print("| %d | %s | %s (%s) | %s | %s | %s | %s / %s | %s; %s | %s / %s | %s | %s | %s | %s | %s |" % (
                r["k"], r.get("head_series_" + c, "-"), r.get("samples_per_s_" + c, "-"),
                r.get("ooo_appended_per_s", "-"), r.get("cpu_" + c, "-"), r.get("rss_gib_" + c),
                round(r.get("cpu_vmagent-0", 0) + r.get("cpu_vmagent-1", 0), 2),
                r.get("rss_gib_vmagent-0"), r.get("rss_gib_vmagent-1"),
                r.get("pending_mib_vmagent-0", "-"), r.get("pending_mib_vmagent-1", "-"),
                r.get("scrape_p50_s_" + c, "-"), r.get("scrape_max_s_" + c, "-"),
                r.get("scrapes_per_target_interval_" + c, "-"),
                r.get("rule_group_max_s_" + c, "-"), r.get("alerts_" + c, "-"),
                r.get("cpu_exporter", "-"),
                "; ".join(r["broken"]) or "no"))
    sys.stdout.flush()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    for b in (EXPORTER, PROMETHEUS) + ((VMAGENT,) if "centre" in MODES else ()):
        if not b or not os.access(b, os.X_OK):
            raise SystemExit("missing binary: %r" % b)
    check_shipped()
    db = os.path.join(TMP, "state.db")
    if os.environ.get("DB"):
        shutil.copy(os.environ["DB"], db)
    else:
        log("generating the user-like database")
        subprocess.run([EXPORTER, "simulate", "--db", db, "--seed", "42", *SHAPE,
                        "--no-artifacts"], check=True, stdout=subprocess.DEVNULL)
    procs = []
    if LIVE:
        sim = start("simulator", [EXPORTER, "simulate", "--db", db, "--live",
                                  "--seed", "43", "--runs-per-minute", "132",
                                  "--step-seconds", "570",
                                  "--no-artifacts", *LIVE_SHAPE])
        procs.append(("simulator", sim))
        log("live play for %d s before the first step" % PREPLAY)
        time.sleep(PREPLAY)
    port = free_port()
    exp = start("exporter", [EXPORTER, "--state.db=" + db,
                             "--web.listen-address=127.0.0.1:%d" % port,
                             "--log.level=warn"])
    procs.append(("exporter", exp))
    wait_http("http://127.0.0.1:%d/-/ready" % port, exp)
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print("central_capacity: %s, commit %s, %s, %s, %d cores; KS=%s STEP=%d WARMUP=%d LIVE=%d PREPLAY=%d" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit,
        "%d series per exporter scrape" % sum(
            1 for l in http("http://127.0.0.1:%d/metrics" % port).splitlines()
            if l and l[0] != "#"),
        subprocess.run([PROMETHEUS, "--version"], capture_output=True,
                       text=True).stdout.split("\n")[0], os.cpu_count(),
        " ".join(map(str, KS)), STEP, WARMUP, LIVE, PREPLAY if LIVE else 0))
    for mode in MODES:
        table(mode, run_mode(mode, "127.0.0.1:%d" % port, procs))


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
