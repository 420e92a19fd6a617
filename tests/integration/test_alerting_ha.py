"""deploy/ha/: two Prometheus replicas and a three-peer Alertmanager cluster.

Structure: promtool accepts both replicas' configurations with the shipped
rules (paths relative to the configuration files), the replicas differ only
in external_labels.replica, drop that label from their alerts, send to all
three Alertmanagers and scrape the job the rules expect; the peers'
command lines in deploy/ha/README.md each name the other two.

End to end, on loopback: the simulator's database, one exporter, two
Prometheus replicas built from deploy/ha/prometheus-{a,b}.yml, and three
clustered Alertmanagers built with scripts/local_alertmanager.py (receivers
are one shared set of local sinks). One run fails: both replicas fire the
alert, every peer holds it, and exactly one Slack message, one email and one
webhook post arrive for its group, also after the last peer's turn to send
has long passed.

Run by ctest as: python3 test_alerting_ha.py --binary PATH --source-dir DIR
"""

import datetime
import glob
import json
import os
import re
import shlex
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
import local_alertmanager as local_am  # noqa: E402  (scripts/, shared with the demo)
import notification_sinks as sinks  # noqa: E402

try:
    import yaml
except ImportError:  # python3-yaml is installed by scripts/setup.sh
    yaml = None

HA_DIR = os.path.join(ARGS.source_dir, "deploy", "ha")
RULES_DIR = os.path.join(ARGS.source_dir, "rules")
REPLICAS = ("a", "b")
PEERS = 3

PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

# Test timings (the shipped ones are in the files). PEER_TIMEOUT is the wait
# per cluster position: the last of three peers checks the notification log
# 2 x PEER_TIMEOUT after the first one sent.
PEER_TIMEOUT_S = 3
GROUP_WAIT_S = 1
GROUP_INTERVAL_S = 2

PROJECT = "proj-ha"
RUN_ID = "01HAHA0000000000000000FA11"
GROUP_TITLE = "PipelineRunFailed, project %s" % PROJECT


def prometheus_file(replica):
    return os.path.join(HA_DIR, "prometheus-%s.yml" % replica)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def shipped_rule_files():
    return sorted(glob.glob(os.path.join(RULES_DIR, "*.yml")))


def relabel_labeldrop(configs, labels):
    """labels after the labeldrop/labelkeep actions of alert_relabel_configs
    (the only actions these files may use on alerts)."""
    labels = dict(labels)
    for config in configs:
        action = config.get("action", "replace")
        regex = "^(?:%s)$" % config.get("regex", "(.*)")
        if action == "labeldrop":
            labels = {k: v for k, v in labels.items() if not re.match(regex, k)}
        elif action == "labelkeep":
            labels = {k: v for k, v in labels.items() if re.match(regex, k)}
        else:
            raise AssertionError("unexpected alert relabel action %r" % action)
    return labels


def readme_peer_commands():
    """[{flag: [values]}] of each `prometheus-alertmanager ...` command line
    in deploy/ha/README.md (continuation lines joined)."""
    with open(os.path.join(HA_DIR, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"(?ms)^```sh\n(.*?)^```", f.read())
    commands = []
    for line in "\n".join(blocks).replace("\\\n", " ").splitlines():
        if not line.startswith("prometheus-alertmanager "):
            continue
        words = shlex.split(line, comments=True)
        flags = {}
        for word in words[1:]:
            name, _, value = word.partition("=")
            flags.setdefault(name, []).append(value)
        commands.append(flags)
    return commands


class DeployFilesTest(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            self.fail("python3-yaml is not installed (scripts/setup.sh installs it)")

    def test_promtool_check_config_accepts_each_replica_with_the_shipped_rules(self):
        rules = shipped_rule_files()
        self.assertGreaterEqual(len(rules), 2)
        for replica in REPLICAS:
            with self.subTest(replica=replica):
                result = lib.run_promtool("check", "config", prometheus_file(replica))
                output = result.stdout + result.stderr
                self.assertEqual(result.returncode, 0, output)
                self.assertIn("SUCCESS: %d rule files found" % len(rules), output)
                # The relative rule_files resolve to the repository's rules/.
                checked = {os.path.realpath(p)
                           for p in re.findall(r"(?m)^Checking (\S+\.yml)$", output)}
                for path in rules:
                    self.assertIn(os.path.realpath(path), checked, output)

    def test_replicas_differ_only_in_the_replica_external_label(self):
        configs = {r: load_yaml(prometheus_file(r)) for r in REPLICAS}
        for replica, config in configs.items():
            self.assertEqual(config["global"]["external_labels"], {"replica": replica})
        a, b = configs["a"], configs["b"]
        b["global"]["external_labels"]["replica"] = "a"
        self.assertEqual(a, b)

    def test_alert_relabeling_drops_the_replica_label_so_alerts_are_identical(self):
        for replica in REPLICAS:
            with self.subTest(replica=replica):
                config = load_yaml(prometheus_file(replica))
                relabel = config["alerting"]["alert_relabel_configs"]
                alert = dict(config["global"]["external_labels"],
                             alertname="PipelineRunFailed", project="acme",
                             run_id="r1", job="pipeline_exporter")
                self.assertEqual(relabel_labeldrop(relabel, alert),
                                 {"alertname": "PipelineRunFailed", "project": "acme",
                                  "run_id": "r1", "job": "pipeline_exporter"})

    def test_each_replica_sends_to_three_alertmanagers_and_scrapes_pipeline_exporter(self):
        for replica in REPLICAS:
            with self.subTest(replica=replica):
                config = load_yaml(prometheus_file(replica))
                managers = config["alerting"]["alertmanagers"]
                targets = [t for m in managers for s in m["static_configs"]
                           for t in s["targets"]]
                self.assertEqual(len(set(targets)), PEERS, targets)
                self.assertEqual([j["job_name"] for j in config["scrape_configs"]],
                                 ["pipeline_exporter"])
                self.assertEqual(len(config["rule_files"]), len(shipped_rule_files()))

    def test_readme_peers_each_name_the_other_two(self):
        commands = readme_peer_commands()
        self.assertEqual(len(commands), PEERS, commands)
        advertised = [c["--cluster.advertise-address"][0] for c in commands]
        self.assertEqual(len(set(advertised)), PEERS, advertised)
        for own, command in zip(advertised, commands):
            with self.subTest(peer=own):
                self.assertEqual(sorted(command["--cluster.peer"]),
                                 sorted(a for a in advertised if a != own))
                listen_port = command["--cluster.listen-address"][0].rsplit(":", 1)[1]
                self.assertEqual(listen_port, own.rsplit(":", 1)[1])
                self.assertIn("--cluster.peer-timeout", command)
                # The shipped configuration, with absolute secret paths: a
                # service does not run in alertmanager/.
                self.assertEqual(command["--config.file"], ["/etc/prometheus/alertmanager.yml"])


# ---------------------------------------------------------------------------
# End to end.

def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def get_json(url):
    status, _, body = lib.http_get(url)
    if status != 200:
        raise AssertionError("GET %s: %d %r" % (url, status, body[:300]))
    return json.loads(body)


class ClusterDeduplicationTest(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            self.fail("python3-yaml is not installed (scripts/setup.sh installs it)")
        for name, path in (("prometheus", PROMETHEUS),
                           ("prometheus-alertmanager", ALERTMANAGER)):
            if path is None:
                self.fail("%s is not installed (scripts/setup.sh installs it)" % name)
        tmp = tempfile.mkdtemp(prefix="pe-ha-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        self.tmp = tmp
        self.http_sink = sinks.HttpSink()
        self.addCleanup(self.http_sink.close)
        self.smtp_sink = sinks.SmtpSink()
        self.addCleanup(self.smtp_sink.close)

    # -- the pieces ---------------------------------------------------------

    def start_exporter(self):
        self.db = os.path.join(self.tmp, "state.db")
        result = lib.run([ARGS.binary, "simulate", "--db", self.db, "--no-artifacts",
                          "--bulk", "20", "--bulk-span", "30d", "--seed", "4"], timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        address = lib.loopback_address(lib.free_port())
        exporter = lib.start_daemon(self, [
            ARGS.binary, "--state.db=" + self.db, "--state.poll-interval=200ms",
            "--web.listen-address=" + address], name="exporter")
        lib.wait_for_http("http://%s/-/ready" % address, status=200, timeout=60,
                          daemon=exporter)
        self.exporter_url = "http://%s/metrics" % address
        return address

    def start_alertmanagers(self):
        """PEERS clustered Alertmanagers, each in its own configuration
        directory (secrets are read relative to the working directory)."""
        def fast(text):
            text = local_am.substitute(text, r"(?m)^(\s*group_wait:) 30s$",
                                       r"\1 %ds" % GROUP_WAIT_S, 1)
            return local_am.substitute(text, r"(?m)^(\s*group_interval:) \S+$",
                                       r"\1 %ds" % GROUP_INTERVAL_S)
        cluster = [lib.loopback_address(lib.free_port()) for _ in range(PEERS)]
        self.alertmanagers = []
        for i, own in enumerate(cluster):
            directory = os.path.join(self.tmp, "alertmanager-%d" % (i + 1))
            config = local_am.write_local_config(directory, self.http_sink.url(),
                                                 self.smtp_sink.address, fast)
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
                    "--cluster.settle-timeout=15s",
                    "--log.level=debug"]
            args += ["--cluster.peer=" + peer for peer in cluster if peer != own]
            daemon = lib.start_daemon(self, args, cwd=directory,
                                      name="alertmanager-%d" % (i + 1))
            self.alertmanagers.append(("http://" + address, daemon))
        for base, daemon in self.alertmanagers:
            def ready(base=base):
                cluster_status = get_json(base + "/api/v2/status")["cluster"]
                return (cluster_status["status"] == "ready"
                        and len(cluster_status["peers"]) == PEERS)
            lib.wait_until(ready, timeout=60, interval=0.2, daemon=daemon,
                           message="a ready cluster of %d peers" % PEERS)
        return [base[len("http://"):] for base, _ in self.alertmanagers]

    def start_prometheus_replicas(self, exporter, alertmanagers):
        """Copies of deploy/ha/prometheus-{a,b}.yml in <tmp>/deploy/ha/, next
        to unchanged copies of rules/ in <tmp>/rules/ (so the relative
        rule_files stay as shipped), with loopback addresses and 1s
        intervals."""
        shutil.copytree(RULES_DIR, os.path.join(self.tmp, "rules"),
                        ignore=shutil.ignore_patterns("tests"))
        ha_copy = os.path.join(self.tmp, "deploy", "ha")
        os.makedirs(ha_copy)
        self.prometheus = []
        for replica in REPLICAS:
            config = load_yaml(prometheus_file(replica))
            config["global"].update(scrape_interval="1s", scrape_timeout="1s",
                                    evaluation_interval="1s")
            [manager] = config["alerting"]["alertmanagers"]
            [static] = manager["static_configs"]
            static["targets"] = alertmanagers
            [job] = config["scrape_configs"]
            [static] = job["static_configs"]
            static["targets"] = [exporter]
            path = os.path.join(ha_copy, "prometheus-%s.yml" % replica)
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(config, f, sort_keys=False)
            check = lib.run_promtool("check", "config", path)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            address = lib.loopback_address(lib.free_port())
            daemon = lib.start_daemon(self, [
                PROMETHEUS, "--config.file=" + path,
                "--storage.tsdb.path=" + os.path.join(self.tmp, "tsdb-" + replica),
                "--web.listen-address=" + address, "--log.level=warn"],
                name="prometheus-" + replica)
            self.prometheus.append(("http://%s/api/v1/" % address, daemon))
        for api, daemon in self.prometheus:
            lib.wait_for_http(api + "status/buildinfo", status=200, timeout=60,
                              daemon=daemon)

            def ready(api=api):
                up = get_json(api + "query?" + urllib.parse.urlencode(
                    {"query": 'up{job="pipeline_exporter"} == 1'}))["data"]["result"]
                managers = get_json(api + "alertmanagers")["data"]["activeAlertmanagers"]
                return up and len(managers) == PEERS
            lib.wait_until(ready, timeout=60, interval=0.2, daemon=daemon,
                           message="a scrape and %d Alertmanagers" % PEERS)

    # -- the run ------------------------------------------------------------

    def start_run(self):
        """A running run of PROJECT (two steps, the second one running)."""
        created = now_iso()
        with sqlite3.connect(self.db, timeout=10) as db:
            db.execute("INSERT INTO runs (run_id, project_id, phase_id, state, created_at,"
                       " started_at, updated_at) VALUES (?, ?, 'phase5_execution',"
                       " 'running', ?, ?, ?)", (RUN_ID, PROJECT, created, created, created))
            db.executemany("INSERT INTO steps (run_id, step_id, name, state, started_at,"
                           " ended_at) VALUES (?, ?, ?, ?, ?, ?)",
                           [(RUN_ID, "step_01", "checkout", "completed", created, created),
                            (RUN_ID, "step_02", "compile", "running", created, None)])
            db.executemany("INSERT INTO events (run_id, event_type, severity, timestamp,"
                           " data) VALUES (?, ?, 'info', ?, '{}')",
                           [(RUN_ID, "run_created", created), (RUN_ID, "run_started", created),
                            (RUN_ID, "step_started", created)])
        db.close()

    def fail_run(self):
        """The orchestrator's write that fails the run; returns its time."""
        ended = now_iso()
        with sqlite3.connect(self.db, timeout=10) as db:
            db.execute("UPDATE steps SET state = 'failed', ended_at = ?, error_message = ?"
                       " WHERE run_id = ? AND step_id = 'step_02'",
                       (ended, "exit code 3", RUN_ID))
            db.execute("UPDATE runs SET state = 'failed', ended_at = ?, updated_at = ?"
                       " WHERE run_id = ?", (ended, ended, RUN_ID))
            db.executemany("INSERT INTO events (run_id, event_type, severity, timestamp,"
                           " data) VALUES (?, ?, 'error', ?, ?)",
                           [(RUN_ID, "step_failed", ended, '{"step_id":"step_02"}'),
                            (RUN_ID, "run_failed", ended, '{"step_id":"step_02"}')])
        written = time.time()
        db.close()
        return written

    def exported_state(self):
        samples = lib.scrape(self.exporter_url)
        return {dict(labels)["state"] for labels, value
                in lib.series(samples, "pipeline_run_status").items()
                if dict(labels)["run_id"] == RUN_ID and value == 1}

    # -- what arrives -------------------------------------------------------

    def slack_messages(self, requests=None):
        """(time received, body) of the Slack messages about the group."""
        if requests is None:
            requests = self.http_sink.requests
        return [(t, body) for path, _, body, t in requests
                if path == local_am.SLACK_PATH
                and GROUP_TITLE in body["attachments"][0]["title"]]

    def emails(self):
        return [m for _, m in self.smtp_sink.received() if GROUP_TITLE in m["Subject"]]

    def webhook_posts(self):
        """The webhook's messages about the failed run (one group per alert:
        its group labels are the alert's)."""
        return [body for _, body in self.http_sink.posts(local_am.WEBHOOK_PATH)
                if body["groupLabels"].get("alertname") == "PipelineRunFailed"
                and body["groupLabels"].get("run_id") == RUN_ID]

    def firing_in_prometheus(self, api):
        return [a for a in get_json(api + "alerts")["data"]["alerts"]
                if a["labels"].get("run_id") == RUN_ID and a["state"] == "firing"]

    def held_by_alertmanager(self, base):
        query = urllib.parse.urlencode({"filter": 'run_id="%s"' % RUN_ID})
        return [a for a in get_json(base + "/api/v2/alerts?" + query)
                if a["labels"]["alertname"] == "PipelineRunFailed"
                and a["status"]["state"] == "active"]

    def test_one_failed_run_is_notified_once_by_three_peers_fed_by_two_replicas(self):
        started = time.monotonic()
        exporter = self.start_exporter()
        alertmanagers = self.start_alertmanagers()
        self.start_prometheus_replicas(exporter, alertmanagers)
        self.start_run()
        lib.wait_until(lambda: self.exported_state() == {"running"}, timeout=30,
                       message="the exporter to see the running run")
        print("\nset-up: %.1fs" % (time.monotonic() - started), file=sys.stderr)

        written = self.fail_run()
        requests = self.http_sink.wait_for(
            lambda requests: self.slack_messages(requests), timeout=60,
            what="a Slack message for " + GROUP_TITLE)
        first_at, message = self.slack_messages(requests)[0]
        latency = first_at - written
        print("DB write -> Slack payload: %.2fs" % latency, file=sys.stderr)
        self.assertEqual(message["channel"], "#pipeline-alerts")
        self.assertTrue(message["attachments"][0]["title"].startswith(
            "[FIRING:1] %s, run %s" % (GROUP_TITLE, RUN_ID)), message)

        # Both replicas fire the alert; every peer holds it (one alert: the
        # replicas' copies have the same labels, so the same fingerprint).
        for api, daemon in self.prometheus:
            lib.wait_until(lambda api=api: self.firing_in_prometheus(api), timeout=10,
                           daemon=daemon, message="the alert firing in " + daemon.name)
        for base, daemon in self.alertmanagers:
            held = lib.wait_until(lambda base=base: self.held_by_alertmanager(base),
                                  timeout=10, daemon=daemon,
                                  message="the alert in " + daemon.name)
            self.assertEqual(len(held), 1, held)
            self.assertNotIn("replica", held[0]["labels"])

        # Every later peer's turn (position x peer-timeout), a further group
        # interval and some slack for delivery.
        margin = (PEERS - 1) * PEER_TIMEOUT_S + GROUP_INTERVAL_S + 3
        remaining = first_at + margin - time.time()
        if remaining > 0:
            time.sleep(remaining)
        slack, mails, hooks = self.slack_messages(), self.emails(), self.webhook_posts()
        print("after a further %ds: %d Slack, %d email, %d webhook notification(s); "
              "test %.1fs" % (margin, len(slack), len(mails), len(hooks),
                              time.monotonic() - started), file=sys.stderr)
        self.assertEqual(len(slack), 1, [b["attachments"][0]["title"] for _, b in slack])
        self.assertEqual([m["Subject"] for m in mails],
                         ["[FIRING:1] %s, run %s" % (GROUP_TITLE, RUN_ID)])
        self.assertEqual(len(hooks), 1, hooks)
        [alert] = hooks[0]["alerts"]
        self.assertEqual(alert["labels"]["run_id"], RUN_ID)
        self.assertNotIn("replica", alert["labels"])
        for api, daemon in self.prometheus:
            self.assertTrue(self.firing_in_prometheus(api), daemon.name)
        for base, daemon in self.alertmanagers:
            self.assertTrue(self.held_by_alertmanager(base), daemon.name)


if __name__ == "__main__":
    lib.main()
