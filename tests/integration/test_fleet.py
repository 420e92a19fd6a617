"""deploy/fleet/: three orchestrators, three exporters, two vmagent replicas
(target sharding with replication factor 2) shipping every sample by remote
write to a central Prometheus that evaluates the shipped rules unchanged and
sends to a three-peer Alertmanager cluster built from the shipped routes.

Orchestrator A fails a run, orchestrator B's database goes away while one of
its runs is stalled, orchestrator C stays healthy. It must show: A's failure
is notified once, with A's instance; B's outage is notified and inhibits B's
stalled run, and only B's (A's failure still goes out); C sends nothing;
every dashboard query runs at the centre for each instance and the health
panels return data for each one alone; with one scraper replica stopped, a
new failure is still notified and no alert resolves.

The same fleet with the inhibition made global (equal: [job, instance]
removed) or with the centre's rules broken must fail those checks: the
negative tests run the fleet again with one of them and assert which check
fails.

Run by ctest as: python3 test_fleet.py --binary PATH --source-dir DIR
"""

import datetime
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
import urllib.parse

import pe_testlib as lib

ARGS = lib.parse_args()
sys.path.insert(0, os.path.join(ARGS.source_dir, "scripts"))
import local_alertmanager as local_am  # noqa: E402
import notification_sinks as sinks  # noqa: E402
import test_grafana as grafana  # noqa: E402  (its dashboard query helpers)

try:
    import yaml
except ImportError:  # python3-yaml is installed by scripts/setup.sh
    yaml = None

FLEET_DIR = os.path.join(ARGS.source_dir, "deploy", "fleet")
RULES_DIR = os.path.join(ARGS.source_dir, "rules")
PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
VMAGENT = shutil.which("vmagent")

ORCHESTRATORS = ("a", "b", "c")
SCRAPERS = 2
PEERS = 3
PEER_TIMEOUT_S = 2
FAILED_A = "01FLEETFAILEDA000000000001"
FAILED_A_LATER = "01FLEETFAILEDA000000000002"
STALLED_B = "01FLEETSTALLEDB00000000001"
# The stall alert's `for` in the test (2m shipped) outlasts the outage's
# (5m shipped, 2s here), so that B's stall fires while its outage is known.
STALL_FOR = "15s"


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()


def get_json(url):
    status, _, body = lib.http_get(url)
    if status != 200:
        raise AssertionError("GET %s: %s %s" % (url, status, body[:300]))
    return json.loads(body)


class Orchestrator:
    """One orchestrator's state database, written as the orchestrator does."""

    def __init__(self, path):
        self.path = path

    def add_running(self, run_id, project, since):
        with sqlite3.connect(self.path, timeout=10) as db:
            db.execute("INSERT INTO runs (run_id, project_id, phase_id, state, "
                       "created_at, started_at, updated_at) VALUES (?, ?, "
                       "'phase5_execution', 'running', ?, ?, ?)",
                       (run_id, project, iso(since - 30), iso(since - 20),
                        iso(since)))
            db.execute("INSERT INTO steps (run_id, step_id, name, state, "
                       "started_at) VALUES (?, 'step_01', 'compile', "
                       "'running', ?)", (run_id, iso(since - 20)))
        db.close()

    def fail(self, run_id):
        now = time.time()
        with sqlite3.connect(self.path, timeout=10) as db:
            db.execute("UPDATE steps SET state = 'failed', ended_at = ?, "
                       "error_message = 'exit code 3' WHERE run_id = ?",
                       (iso(now), run_id))
            db.execute("UPDATE runs SET state = 'failed', ended_at = ?, "
                       "updated_at = ? WHERE run_id = ?",
                       (iso(now), iso(now), run_id))
            db.execute("INSERT INTO events (run_id, event_type, severity, "
                       "timestamp) VALUES (?, 'run_failed', 'error', ?)",
                       (run_id, iso(now)))
        db.close()


def fast_rules(text):
    """The per-run hold times shortened for the test (2m to STALL_FOR) and
    the outage's (5m to 2s); everything else as shipped."""
    text = re.sub(r"(?m)^(\s+for:) 2m$", r"\1 " + STALL_FOR, text)
    return re.sub(r"(?m)^(\s+for:) 5m$", r"\1 2s", text)


def broken_rules(text):
    """The centre's rules broken as a typo would: PipelineRunFailed selects
    a family no exporter has."""
    return lib_substitute(text, r"pipeline_run_failure_info\{state=~",
                          "pipeline_run_failures_info{state=~")


def lib_substitute(text, pattern, replacement):
    new, n = re.subn(pattern, replacement, text)
    if n == 0:
        raise AssertionError("%r not found" % pattern)
    return new


def global_inhibition(text):
    """The outage inhibition without its `equal`: one exporter's outage
    would hold back every exporter's per-run alerts."""
    return local_am.substitute(
        text, r"(?m)^(    target_matchers: \['scope=\"run\"'\]\n)"
        r"    equal: \[job, instance\]\n", r"\1", 1)


class Fleet:
    """The processes of one fleet, started by the test case (which stops
    them at cleanup)."""

    def __init__(self, test, tmp, edit_rules=None, edit_routes=None):
        self.test = test
        self.tmp = tmp
        self.edit_rules = edit_rules
        self.edit_routes = edit_routes
        self.http_sink = sinks.HttpSink()
        test.addCleanup(self.http_sink.close)
        self.smtp_sink = sinks.SmtpSink()
        test.addCleanup(self.smtp_sink.close)
        self.orchestrators = {}
        self.exporters = {}
        self.scrapers = []

    # -- the pieces ---------------------------------------------------------

    def start_exporters(self):
        for name in ORCHESTRATORS:
            db = os.path.join(self.tmp, "orchestrator-%s.db" % name)
            result = lib.run([ARGS.binary, "simulate", "--db", db,
                              "--no-artifacts", "--bulk", "30",
                              "--bulk-span", "30d", "--seed", str(ord(name))],
                             timeout=60)
            self.test.assertEqual(result.returncode, 0, result.stderr)
            self.orchestrators[name] = Orchestrator(db)
        now = time.time()
        self.orchestrators["a"].add_running(FAILED_A, "proj-a", now)
        self.orchestrators["a"].add_running(FAILED_A_LATER, "proj-a", now)
        # An hour without progress: stalled from the start.
        self.orchestrators["b"].add_running(STALLED_B, "proj-b", now - 3600)
        for name in ORCHESTRATORS:
            address = lib.loopback_address(lib.free_port())
            daemon = lib.start_daemon(self.test, [
                ARGS.binary, "--state.db=" + self.orchestrators[name].path,
                "--state.poll-interval=200ms",
                "--web.listen-address=" + address], name="exporter-" + name)
            lib.wait_for_http("http://%s/-/ready" % address, status=200,
                              timeout=60, daemon=daemon)
            self.exporters[name] = address

    def start_alertmanagers(self):
        def fast(text):
            text = local_am.substitute(text, r"(?m)^(\s*group_wait:) 30s$",
                                       r"\1 1s", 1)
            text = local_am.substitute(text, r"(?m)^(\s*group_interval:) \S+$",
                                       r"\1 2s")
            return self.edit_routes(text) if self.edit_routes else text
        cluster = [lib.loopback_address(lib.free_port()) for _ in range(PEERS)]
        self.alertmanagers = []
        for i, own in enumerate(cluster):
            directory = os.path.join(self.tmp, "alertmanager-%d" % (i + 1))
            config = local_am.write_local_config(
                directory, self.http_sink.url(), self.smtp_sink.address, fast)
            address = lib.loopback_address(lib.free_port())
            args = [ALERTMANAGER, "--config.file=" + config,
                    "--storage.path=" + os.path.join(directory, "data"),
                    "--web.listen-address=" + address,
                    "--cluster.listen-address=" + own,
                    "--cluster.advertise-address=" + own,
                    "--cluster.peer-timeout=%ds" % PEER_TIMEOUT_S,
                    "--cluster.gossip-interval=50ms",
                    "--cluster.pushpull-interval=1s",
                    "--cluster.reconnect-interval=1s",
                    "--cluster.settle-timeout=15s", "--log.level=warn"]
            args += ["--cluster.peer=" + p for p in cluster if p != own]
            daemon = lib.start_daemon(self.test, args, cwd=directory,
                                      name="alertmanager-%d" % (i + 1))
            self.alertmanagers.append(("http://" + address, daemon))
        for base, daemon in self.alertmanagers:
            lib.wait_until(
                lambda base=base: get_json(base + "/api/v2/status")
                ["cluster"]["status"] == "ready",
                timeout=60, interval=0.2, daemon=daemon,
                message="a ready Alertmanager cluster")

    def start_centre(self):
        """deploy/fleet/central-prometheus.yml in <tmp>/deploy/fleet/ beside
        <tmp>/rules/ (the rule_files stay as shipped), with loopback
        Alertmanagers and a 1s evaluation."""
        rules = os.path.join(self.tmp, "rules")
        os.makedirs(rules)
        for name in ("pipeline_alerts.yml", "pipeline_recording.yml"):
            with open(os.path.join(RULES_DIR, name), encoding="utf-8") as f:
                text = fast_rules(f.read())
            if self.edit_rules and name == "pipeline_alerts.yml":
                text = self.edit_rules(text)
            with open(os.path.join(rules, name), "w", encoding="utf-8") as f:
                f.write(text)
        with open(os.path.join(FLEET_DIR, "central-prometheus.yml"),
                  encoding="utf-8") as f:
            config = yaml.safe_load(f)
        config["global"]["evaluation_interval"] = "1s"
        [manager] = config["alerting"]["alertmanagers"]
        [static] = manager["static_configs"]
        static["targets"] = [b[len("http://"):] for b, _ in self.alertmanagers]
        self.test.assertNotIn("scrape_configs", config,
                              "the centre scrapes nothing itself")
        directory = os.path.join(self.tmp, "deploy", "fleet")
        os.makedirs(directory)
        path = os.path.join(directory, "central-prometheus.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(config, f, sort_keys=False)
        check = lib.run_promtool("check", "config", path)
        self.test.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self.test, [
            PROMETHEUS, "--config.file=" + path,
            "--web.enable-remote-write-receiver",
            "--storage.tsdb.path=" + os.path.join(self.tmp, "centre-data"),
            "--web.listen-address=" + address, "--log.level=warn"],
            name="centre")
        self.centre = "http://%s/api/v1/" % address
        lib.wait_for_http(self.centre + "status/buildinfo", status=200,
                          timeout=60, daemon=daemon)
        # Alerts sent before the notifier knows the Alertmanagers are
        # dropped (and resent only a minute later).
        lib.wait_until(
            lambda: len(get_json(self.centre + "alertmanagers")["data"]
                        ["activeAlertmanagers"]) == PEERS,
            timeout=60, interval=0.2, daemon=daemon,
            message="the centre to know %d Alertmanagers" % PEERS)

    def start_scrapers(self):
        """SCRAPERS vmagent replicas, deploy/fleet/vmagent-scrape.yml with
        the three exporters and a 1s interval, each scraping every target
        (replication factor 2 of 2)."""
        with open(os.path.join(FLEET_DIR, "vmagent-scrape.yml"),
                  encoding="utf-8") as f:
            config = yaml.safe_load(f)
        config["global"].update(scrape_interval="1s", scrape_timeout="1s")
        [job] = config["scrape_configs"]
        self.test.assertEqual(job["job_name"], "pipeline_exporter")
        [static] = job["static_configs"]
        static["targets"] = [self.exporters[n] for n in ORCHESTRATORS]
        path = os.path.join(self.tmp, "vmagent-scrape.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(config, f, sort_keys=False)
        write_url = self.centre[:-len("api/v1/")] + "api/v1/write"
        for member in range(SCRAPERS):
            address = lib.loopback_address(lib.free_port())
            daemon = lib.start_daemon(self.test, [
                VMAGENT, "-promscrape.config=" + path,
                "-remoteWrite.url=" + write_url,
                "-remoteWrite.tmpDataPath=" + os.path.join(
                    self.tmp, "vmagent-%d" % member),
                "-remoteWrite.flushInterval=200ms",
                "-promscrape.cluster.membersCount=%d" % SCRAPERS,
                "-promscrape.cluster.memberNum=%d" % member,
                "-promscrape.cluster.replicationFactor=2",
                "-httpListenAddr=" + address, "-loggerLevel=WARN"],
                name="vmagent-%d" % member)
            self.scrapers.append(daemon)
        lib.wait_until(
            lambda: len(self.query('up{job="pipeline_exporter"} == 1'))
            == len(ORCHESTRATORS),
            timeout=60, message="every exporter's up at the centre")

    def start(self):
        self.start_exporters()
        self.start_alertmanagers()
        self.start_centre()
        self.start_scrapers()

    # -- what the centre and the sinks hold ---------------------------------

    def query(self, expr):
        data = get_json(self.centre + "query?" + urllib.parse.urlencode(
            {"query": expr}))["data"]["result"]
        return data

    def firing(self, alertname, **labels):
        return [a for a in get_json(self.centre + "alerts")["data"]["alerts"]
                if a["labels"]["alertname"] == alertname
                and a["state"] == "firing"
                and all(a["labels"].get(k) == v for k, v in labels.items())]

    def notified(self):
        """(alertname, status, labels) of every alert in every webhook post
        (the webhook route groups by every label: one group per alert)."""
        out = []
        for _, body in self.http_sink.posts(local_am.WEBHOOK_PATH):
            for alert in body["alerts"]:
                out.append((alert["labels"]["alertname"], alert["status"],
                            alert["labels"]))
        return out

    def slack_titles(self):
        return [body["attachments"][0]["title"]
                for path, _, body, _ in self.http_sink.requests
                if path == local_am.SLACK_PATH]

    def inhibited_in_alertmanager(self, alertname, run_id):
        base, _ = self.alertmanagers[0]
        query = urllib.parse.urlencode({"filter": 'run_id="%s"' % run_id,
                                        "inhibited": "true"})
        return [a for a in get_json(base + "/api/v2/alerts?" + query)
                if a["labels"]["alertname"] == alertname
                and a["status"]["inhibitedBy"]]


class FleetTest(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            self.fail("python3-yaml is not installed (scripts/setup.sh installs it)")
        for name, path in (("prometheus", PROMETHEUS), ("vmagent", VMAGENT),
                           ("prometheus-alertmanager", ALERTMANAGER)):
            if path is None:
                self.fail("%s is not installed (scripts/setup.sh installs it)"
                          % name)
        self.tmp = tempfile.mkdtemp(prefix="pe-fleet-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def play(self, fleet):
        """B's database goes away, then A fails a run: returns once B's
        stall has fired at the centre after its outage and the cluster has
        had time to notify."""
        fleet.start()
        instance = {n: fleet.exporters[n] for n in ORCHESTRATORS}
        # B's database goes away: its exporter keeps serving the last good
        # data (the stalled run) and reports the outage.
        os.rename(fleet.orchestrators["b"].path,
                  fleet.orchestrators["b"].path + ".away")
        lib.wait_until(
            lambda: fleet.firing("PipelineStateDatabaseUnreadable",
                                 instance=instance["b"]),
            timeout=60, message="B's outage firing at the centre")
        # A's failure comes while B's outage is known everywhere: an
        # inhibition that crossed instances would hold it back.
        time.sleep(2)
        fleet.orchestrators["a"].fail(FAILED_A)
        lib.wait_until(
            lambda: fleet.firing("PipelineRunStalled", run_id=STALLED_B),
            timeout=60, message="B's stall firing at the centre")
        lib.wait_until(lambda: fleet.firing("PipelineRunFailed",
                                            run_id=FAILED_A),
                       timeout=30, message="A's failure firing at the centre")
        # Alertmanager's group wait and the peers' turns, then some slack.
        time.sleep(1 + PEERS * PEER_TIMEOUT_S + 3)
        return instance

    def check_notifications(self, fleet, instance):
        """The promises for the notifications so far, as a list of what is
        broken (empty: all kept)."""
        notified = fleet.notified()
        broken = []
        failed_a = [n for n in notified if n[0] == "PipelineRunFailed"
                    and n[2].get("run_id") == FAILED_A and n[1] == "firing"]
        if len(failed_a) != 1:
            broken.append("A's failure notified %d times" % len(failed_a))
        elif failed_a[0][2]["instance"] != instance["a"]:
            broken.append("A's failure notified with instance %s"
                          % failed_a[0][2]["instance"])
        outage_b = [n for n in notified
                    if n[0] == "PipelineStateDatabaseUnreadable"
                    and n[2]["instance"] == instance["b"]]
        if not outage_b:
            broken.append("B's outage not notified")
        if [n for n in notified if n[0] == "PipelineRunStalled"]:
            broken.append("B's stall notified through its outage")
        from_c = [n for n in notified if n[2].get("instance") == instance["c"]]
        if from_c:
            broken.append("the healthy C notified %r" % from_c)
        return broken

    def test_each_instance_is_notified_for_its_own_and_only_its_own(self):
        fleet = Fleet(self, self.tmp)
        instance = self.play(fleet)
        self.assertEqual(self.check_notifications(fleet, instance), [],
                         "notified: %r" % [(n[0], n[1], n[2].get("instance"),
                                            n[2].get("run_id"))
                                           for n in fleet.notified()])
        self.assertTrue(fleet.inhibited_in_alertmanager("PipelineRunStalled",
                                                        STALLED_B),
                        "B's stall held by Alertmanager, inhibited")
        self.assertEqual(
            len([t for t in fleet.slack_titles()
                 if "PipelineRunFailed" in t and "proj-a" in t]), 1,
            fleet.slack_titles())

        # Every dashboard query runs at the centre for each instance, and the
        # health panels return data for each instance alone, labelled with it.
        health = ("Exporter up", "State database",
                  "Time since last successful poll", "Instances")
        for uid in grafana.DASHBOARD_FILES:
            dashboard = grafana.load_dashboard(uid)
            for name in ORCHESTRATORS:
                values = grafana.base_values(
                    run_id=FAILED_A,
                    instance=grafana.grafana_regex([instance[name]]))
                for where, expr, title in grafana.expressions(dashboard):
                    promql = grafana.substitute(expr, values)
                    with self.subTest(uid=uid, instance=name, where=where):
                        ok, data = grafana.prometheus_query(
                            fleet.centre[:-len("/api/v1/")], promql)
                        self.assertTrue(ok, data)
                        # (The worker is off here: its figures have no data.)
                        if title in health and "pipeline_worker_" not in expr:
                            self.assertGreater(grafana.result_count(data), 0,
                                               "no data: " + promql)
                            for row in data.get("result", []):
                                if "instance" in row.get("metric", {}):
                                    self.assertEqual(row["metric"]["instance"],
                                                     instance[name])

        # One scraper replica stopped: the other scrapes every target, so no
        # alert resolves and a new failure is notified.
        fleet.scrapers[0].stop()
        fleet.orchestrators["a"].fail(FAILED_A_LATER)
        lib.wait_until(
            lambda: [n for n in fleet.notified()
                     if n[0] == "PipelineRunFailed"
                     and n[2].get("run_id") == FAILED_A_LATER],
            timeout=60, message="the failure after the replica stopped")
        time.sleep(3)
        self.assertEqual([n for n in fleet.notified() if n[1] == "resolved"],
                         [], "nothing resolves with one replica stopped")
        self.assertTrue(fleet.firing("PipelineRunFailed", run_id=FAILED_A))
        self.assertTrue(fleet.firing("PipelineStateDatabaseUnreadable",
                                     instance=instance["b"]))
        self.assertEqual(self.check_notifications(fleet, instance), [])

    def test_negative_a_global_inhibition_is_caught(self):
        fleet = Fleet(self, self.tmp, edit_routes=global_inhibition)
        instance = self.play(fleet)
        self.assertIn("A's failure notified 0 times",
                      self.check_notifications(fleet, instance))

    def test_negative_broken_rules_at_the_centre_are_caught(self):
        fleet = Fleet(self, self.tmp, edit_rules=broken_rules)
        fleet.start()
        fleet.orchestrators["a"].fail(FAILED_A)
        time.sleep(8)
        self.assertIn("A's failure notified 0 times",
                      self.check_notifications(fleet, {
                          n: fleet.exporters[n] for n in ORCHESTRATORS}))


if __name__ == "__main__":
    lib.main()
