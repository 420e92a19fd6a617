"""alertmanager/: the Alertmanager 0.25 configuration and its templates.

Checked with the real tools: amtool check-config, a table of
`amtool config routes test` cases (alertmanager/tests/routes.txt),
`amtool template render` of every template on sample alerts
(alertmanager/tests/alerts/*.json), and a running prometheus-alertmanager
(a test copy of the configuration whose receivers point at local Slack,
webhook and SMTP sinks) for inhibition (a table of cases,
alertmanager/tests/inhibitions.txt, read back with `amtool alert query`),
secrets read from files and escalation.

Run by ctest as: python3 test_alertmanager.py --binary PATH --source-dir DIR
(--binary is not used here).
"""

import datetime
import email
import email.policy
import glob
import html.parser
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
import urllib.request

import pe_testlib as lib
from alert_contract import CONTRACT_ALERTS

ARGS = lib.parse_args()
sys.path.insert(0, os.path.join(ARGS.source_dir, "scripts"))
import local_alertmanager as local_am  # noqa: E402  (scripts/, shared with the demo)
import notification_sinks as sinks  # noqa: E402
from alert_quality import durations, routing  # noqa: E402  (one matcher model)
from local_alertmanager import substitute  # noqa: E402

AM_DIR = os.path.join(ARGS.source_dir, "alertmanager")
CONFIG = os.path.join(AM_DIR, "alertmanager.yml")
TEMPLATES_GLOB = os.path.join(AM_DIR, "templates", "*.tmpl")
ROUTES_TABLE = os.path.join(AM_DIR, "tests", "routes.txt")
INHIBITIONS_TABLE = os.path.join(AM_DIR, "tests", "inhibitions.txt")
SAMPLE_ALERTS = sorted(glob.glob(os.path.join(AM_DIR, "tests", "alerts", "*.json")))

AMTOOL = shutil.which("amtool")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

RUNBOOK = "https://github.com/pipeline-exporter/pipeline_exporter/blob/main/docs/runbook.md#"
GRAFANA_DEFAULT = "http://localhost:3000"

OUTAGE_ALERTS = ["PipelineExporterDown", "PipelineExporterAbsent",
                 "PipelineStateStale", "PipelineStateDatabaseUnreadable"]
# Two exporters (two state databases) scraped by the same job. The outage
# alerts carry their target's job and instance, except PipelineExporterAbsent
# (absent(up{job="pipeline_exporter"})), which carries only job.
JOB = "pipeline_exporter"
EXPORTER_A = "pe-a:9879"
EXPORTER_B = "pe-b:9879"


def require_tools(test_case, *tools):
    for name, path in tools:
        if path is None:
            test_case.fail("%s is not installed (scripts/setup.sh installs "
                           "prometheus-alertmanager)" % name)


def amtool(*args, timeout=30):
    return lib.run([AMTOOL] + list(args), timeout=timeout)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------
# The routing table.

class RouteCase:
    def __init__(self, line_number, receivers, group_interval, repeat_interval, labels):
        self.line_number = line_number
        self.receivers = receivers
        self.group_interval = group_interval
        self.repeat_interval = repeat_interval
        self.labels = labels

    def __repr__(self):
        return "routes.txt:%d %s" % (self.line_number, " ".join(self.labels))


def load_route_cases():
    cases = []
    for number, line in enumerate(read(ROUTES_TABLE).splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 4 or not all("=" in f for f in fields[3:]):
            raise ValueError("routes.txt:%d: malformed: %r" % (number, line))
        cases.append(RouteCase(number, fields[0], fields[1], fields[2], fields[3:]))
    return cases


def labels_of(case):
    return dict(field.split("=", 1) for field in case.labels)


# ---------------------------------------------------------------------------
# The inhibition table.

class InhibitionCase:
    def __init__(self, line_number, expected, source, target):
        self.line_number = line_number
        self.expected = expected
        self.source = source
        self.target = target

    def __repr__(self):
        return "inhibitions.txt:%d %s -> %s" % (
            self.line_number, self.source["alertname"], self.target["alertname"])


def load_inhibition_cases():
    cases = []
    for number, line in enumerate(read(INHIBITIONS_TABLE).splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if (fields[0] not in ("suppressed", "active") or fields.count("->") != 1
                or not all("=" in f for f in fields[1:] if f != "->")):
            raise ValueError("inhibitions.txt:%d: malformed: %r" % (number, line))
        arrow = fields.index("->")
        source = dict(f.split("=", 1) for f in fields[1:arrow])
        target = dict(f.split("=", 1) for f in fields[arrow + 1:])
        if "alertname" not in source or "alertname" not in target:
            raise ValueError("inhibitions.txt:%d: an alert without alertname" % number)
        cases.append(InhibitionCase(number, fields[0], source, target))
    return cases


# A small model of Alertmanager's routing, used only to read the effective
# group_interval/repeat_interval of the route an alert ends on (amtool does
# not print them). Its receivers are cross-checked against amtool's.
def _matches(matcher, labels):
    return routing.matches(routing.parse_matcher(matcher), labels)


_INHERITED = ("receiver", "group_by", "group_wait", "group_interval", "repeat_interval")


def route_alert(route, labels, inherited=None):
    """[(receiver, effective settings)] for every route the alert ends on."""
    settings = dict(inherited or {})
    settings.update({k: route[k] for k in _INHERITED if k in route})
    results = []
    for child in route.get("routes") or []:
        if all(_matches(m, labels) for m in child.get("matchers") or []):
            results.extend(route_alert(child, labels, settings))
            if not child.get("continue", False):
                return results
    return results or [settings]


def load_yaml_config():
    try:
        import yaml  # python3-yaml; optional
    except ImportError:
        return None
    with open(CONFIG, encoding="utf-8") as f:
        return yaml.safe_load(f)


class ConfigurationTest(unittest.TestCase):
    def setUp(self):
        require_tools(self, ("amtool", AMTOOL))

    def test_amtool_check_config_accepts_the_configuration(self):
        result = amtool("check-config", CONFIG)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("SUCCESS", result.stdout)
        self.assertRegex(result.stdout, r"- 7 inhibit rules")
        self.assertRegex(result.stdout, r"- 4 receivers")

    def test_secrets_are_only_read_from_files(self):
        text = read(CONFIG)
        for inline in ("slack_api_url:", "api_url:", "smtp_auth_password:",
                       "auth_password:", "credentials:", "bearer_token:",
                       "password:"):
            with self.subTest(key=inline):
                self.assertNotRegex(text, r"(?m)^\s*(- )?%s" % re.escape(inline))
        for key in ("slack_api_url_file: secrets/slack_api_url",
                    "smtp_auth_password_file: secrets/smtp_password",
                    "credentials_file: secrets/webhook_token"):
            self.assertIn(key, text)
        for name in ("slack_api_url", "smtp_password", "webhook_token"):
            self.assertTrue(os.path.isfile(os.path.join(AM_DIR, "secrets", name + ".example")),
                            name + ".example is missing")

    def test_every_receiver_sends_resolved_notifications(self):
        config = load_yaml_config()
        if config is None:
            self.skipTest("python3-yaml is not installed")
        integrations = 0
        for receiver in config["receivers"]:
            for key, configs in receiver.items():
                if key.endswith("_configs"):
                    for integration in configs:
                        integrations += 1
                        self.assertIs(integration.get("send_resolved"), True,
                                      "%s %s" % (receiver["name"], key))
        self.assertEqual(integrations, 6)

    def test_escalation_is_routed_by_the_rules_escalation_alert_not_a_timer(self):
        # The delay is PipelineAlertEscalated's `for` (rules/): no route
        # waits for it, so Alertmanager's group history cannot shorten it.
        config = load_yaml_config()
        if config is None:
            self.skipTest("python3-yaml is not installed")
        routes = [r for r in config["route"]["routes"] if r.get("receiver") == "escalation"]
        self.assertEqual(len(routes), 1)
        escalation = routes[0]
        self.assertEqual(escalation["matchers"], ['alertname="PipelineAlertEscalated"'])
        self.assertNotIn("continue", escalation)
        self.assertEqual(escalation["group_by"], ["..."])
        self.assertNotIn("group_wait", escalation)
        for path, route in routing.all_routes(config["route"]):
            with self.subTest(route=path):
                self.assertLessEqual(durations.seconds(route.get("group_wait", "30s")),
                                     30)

    def test_the_webhook_gets_one_group_per_alert(self):
        config = load_yaml_config()
        if config is None:
            self.skipTest("python3-yaml is not installed")
        webhook = config["route"]["routes"][0]
        self.assertEqual(webhook["receiver"], "webhook")
        self.assertEqual(webhook["group_by"], ["..."])
        self.assertIs(webhook["continue"], True)
        self.assertNotIn("matchers", webhook)


class RoutingTableTest(unittest.TestCase):
    def setUp(self):
        require_tools(self, ("amtool", AMTOOL))
        self.cases = load_route_cases()

    def test_table_covers_every_contract_alert_with_its_severity(self):
        covered = {(labels_of(c)["alertname"], labels_of(c).get("severity")) for c in self.cases}
        for alert, severity in CONTRACT_ALERTS.items():
            self.assertIn((alert, severity), covered)
        self.assertGreaterEqual(len(self.cases), 20)

    def test_amtool_routes_each_case_to_the_expected_receivers(self):
        for case in self.cases:
            with self.subTest(case=case):
                result = amtool("config", "routes", "test", "--config.file=" + CONFIG,
                                "--verify.receivers=" + case.receivers, *case.labels)
                self.assertEqual(result.returncode, 0,
                                 "%s\n%s" % (result.stdout, result.stderr))
                self.assertEqual(result.stdout.strip(), case.receivers)

    def test_each_case_gets_the_throttle_of_its_alert_class(self):
        config = load_yaml_config()
        if config is None:
            self.skipTest("python3-yaml is not installed")
        for case in self.cases:
            with self.subTest(case=case):
                ends = route_alert(config["route"], labels_of(case))
                self.assertEqual(",".join(s["receiver"] for s in ends), case.receivers)
                final = ends[-1]
                self.assertEqual((final["group_interval"], final["repeat_interval"]),
                                 (case.group_interval, case.repeat_interval))
                # Slack and email group by alert and project; the webhook
                # and the escalation receiver get one group per alert.
                self.assertEqual(final["group_by"],
                                 ["..."] if final["receiver"] == "escalation"
                                 else ["alertname", "project"])
                self.assertEqual(ends[0]["group_by"], ["..."])

    def test_only_escalations_reach_the_escalation_receiver(self):
        config = load_yaml_config()
        if config is None:
            self.skipTest("python3-yaml is not installed")
        for case in self.cases:
            labels = labels_of(case)
            with self.subTest(case=case):
                receivers = [s["receiver"] for s in route_alert(config["route"], labels)]
                if labels["alertname"] == "PipelineAlertEscalated":
                    self.assertEqual(receivers, ["webhook", "escalation"])
                else:
                    self.assertNotIn("escalation", receivers)
        self.assertTrue([c for c in self.cases
                         if labels_of(c)["alertname"] == "PipelineAlertEscalated"])


def inhibited_by_model(rules, source, target):
    """Whether source inhibits target under inhibit_rules (a small model of
    Alertmanager's inhibitor, cross-checked against the running one)."""
    for rule in rules:
        if (all(_matches(m, source) for m in rule.get("source_matchers") or [])
                and all(_matches(m, target) for m in rule.get("target_matchers") or [])
                and all(source.get(n, "") == target.get(n, "") for n in rule.get("equal") or [])
                # An alert matching both sides does not inhibit through that rule.
                and not all(_matches(m, source) for m in rule.get("target_matchers") or [])):
            return True
    return False


class InhibitionTableTest(unittest.TestCase):
    """alertmanager/tests/inhibitions.txt against the configuration; the
    running Alertmanager checks every row below (RunningAlertmanagerTest)."""

    def setUp(self):
        self.cases = load_inhibition_cases()
        self.config = load_yaml_config()
        if self.config is None:
            self.skipTest("python3-yaml is not installed")
        self.rules = self.config["inhibit_rules"]

    def test_every_rule_has_a_case_it_suppresses_and_one_per_equal_label_that_differs(self):
        for number, rule in enumerate(self.rules, start=1):
            with self.subTest(rule=number, source=rule["source_matchers"]):
                def matching(case):
                    return (all(_matches(m, case.source) for m in rule["source_matchers"])
                            and all(_matches(m, case.target) for m in rule["target_matchers"]))
                self.assertTrue([c for c in self.cases if matching(c)
                                 and c.expected == "suppressed"])
                for name in rule.get("equal") or []:
                    self.assertTrue([c for c in self.cases if matching(c)
                                     and c.expected == "active"
                                     and c.source.get(name) != c.target.get(name)],
                                    "no case where %s differs" % name)

    def test_each_case_is_what_the_inhibit_rules_say(self):
        self.assertGreaterEqual(len(self.cases), 20)
        for case in self.cases:
            with self.subTest(case=case):
                self.assertEqual(
                    "suppressed" if inhibited_by_model(self.rules, case.source, case.target)
                    else "active", case.expected)
                self.assertFalse(inhibited_by_model(self.rules, case.target, case.source),
                                 "the source must stay active")

    def test_outage_rules_compare_the_exporter_labels(self):
        # Several exporters: one outage must not hold back another's alerts.
        for rule in self.rules:
            sources = " ".join(rule["source_matchers"])
            with self.subTest(source=sources):
                if "PipelineExporterAbsent" in sources:
                    self.assertEqual(rule.get("equal"), ["job"])
                elif re.search(r"PipelineExporterDown|PipelineState", sources):
                    self.assertEqual(rule.get("equal"), ["job", "instance"])


# ---------------------------------------------------------------------------
# Templates.

class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def render(template, data_file, template_type="text", templates_glob=TEMPLATES_GLOB):
    result = amtool("template", "render", "--template.glob=" + templates_glob,
                    "--template.type=" + template_type, "--template.data=" + data_file,
                    '--template.text={{ template "%s" . }}' % template)
    if result.returncode != 0:
        raise AssertionError("amtool template render %s %s failed:\n%s%s"
                             % (template, data_file, result.stdout, result.stderr))
    return result.stdout


def sample(name):
    return os.path.join(AM_DIR, "tests", "alerts", name)


class TemplateRenderTest(unittest.TestCase):
    """amtool template render (Alertmanager 0.25 has it) of every template."""

    TEMPLATES = [("pipeline.slack.title", "text"), ("pipeline.slack.titlelink", "text"),
                 ("pipeline.slack.color", "text"), ("pipeline.slack.text", "text"),
                 ("pipeline.email.subject", "text"), ("pipeline.email.text", "text"),
                 ("pipeline.email.html", "html")]

    def setUp(self):
        require_tools(self, ("amtool", AMTOOL))

    def test_every_template_renders_every_sample_without_missing_values(self):
        self.assertGreaterEqual(len(SAMPLE_ALERTS), 3)
        for data in SAMPLE_ALERTS:
            for template, kind in self.TEMPLATES:
                with self.subTest(data=os.path.basename(data), template=template):
                    out = render(template, data, kind)
                    self.assertTrue(out.strip())
                    self.assertNotIn("<no value>", out)

    def test_slack_message_names_run_project_phase_step_reason_and_links(self):
        text = render("pipeline.slack.text", sample("run_failed.json"))
        for fragment in ("run `run-2024-0001`", "project `acme`", "phase `build`",
                         "Failed step: `compile`", "Reason: exit code 2 &amp; &lt;timeout&gt;",
                         "<%s/d/pipeline-run/pipeline-run?var-run_id=run-2024-0001"
                         "&var-project=acme|Dashboard>" % GRAFANA_DEFAULT,
                         "<%spipelinerunfailed|Runbook>" % RUNBOOK,
                         "var-run_id=run%2F2024+0002", "*Resolved (1):*"):
            self.assertIn(fragment, text)
        self.assertEqual(render("pipeline.slack.title", sample("run_failed.json")),
                         "[FIRING:2] PipelineRunFailed, project acme")
        self.assertEqual(render("pipeline.slack.color", sample("run_failed.json")), "danger")
        self.assertEqual(render("pipeline.slack.color", sample("run_stalled_resolved.json")),
                         "good")

    def test_slack_title_links_to_the_run_or_the_overview(self):
        # Each dashboard variable only when the alerts share the label: the
        # alerts of run_failed.json carry no instance.
        self.assertEqual(render("pipeline.slack.titlelink", sample("run_failed.json")),
                         GRAFANA_DEFAULT + "/d/pipeline-overview/pipeline-overview?var-project=acme")
        self.assertEqual(render("pipeline.slack.titlelink", sample("run_stalled_resolved.json")),
                         GRAFANA_DEFAULT + "/d/pipeline-run/pipeline-run?var-run_id=run-77"
                         "&var-project=beta&var-instance=pe-site-b%3A9879")
        self.assertEqual(render("pipeline.slack.titlelink", sample("exporter_down.json")),
                         GRAFANA_DEFAULT + "/d/pipeline-overview/pipeline-overview"
                         "?var-instance=127.0.0.1%3A9184")

    def test_email_text_lists_each_alert_with_its_details(self):
        text = render("pipeline.email.text", sample("run_failed.json"))
        self.assertTrue(text.startswith("[FIRING:2] PipelineRunFailed, project acme\n"))
        for fragment in ("Run:         run-2024-0001", "Project:     acme",
                         "Phase:       build", "Failed step: compile",
                         "Reason:      exit code 2 & <timeout>",
                         "Since:       2026-11-23 10:00:00 UTC",
                         "Resolved:    2026-11-23 09:30:00 UTC",
                         "Dashboard:   %s/d/pipeline-run/pipeline-run?var-run_id=run-2024-0001"
                         % GRAFANA_DEFAULT,
                         "Runbook:     %spipelinerunfailed" % RUNBOOK, "Firing (2):",
                         "Resolved (1):"):
            self.assertIn(fragment, text)
        stalled = render("pipeline.email.text", sample("run_stalled_resolved.json"))
        self.assertIn("Step:        zip", stalled)
        self.assertTrue(stalled.startswith("[RESOLVED] PipelineRunStalled, project beta, run run-77"))

    def test_email_html_escapes_values_and_links_dashboard_and_runbook(self):
        out = render("pipeline.email.html", sample("run_failed.json"), "html")
        self.assertIn("exit code 2 &amp; &lt;timeout&gt;", out)
        self.assertNotIn("<timeout>", out)
        self.assertIn(">Failed step</td><td style=\"padding:2px 0\">compile<", out)
        links = _Links()
        links.feed(out)
        self.assertIn(GRAFANA_DEFAULT + "/d/pipeline-run/pipeline-run?var-run_id=run-2024-0001"
                      "&var-project=acme", links.hrefs)
        self.assertIn(GRAFANA_DEFAULT + "/d/pipeline-run/pipeline-run?var-run_id=run%2F2024+0002"
                      "&var-project=acme", links.hrefs)
        self.assertIn(RUNBOOK + "pipelinerunfailed", links.hrefs)
        self.assertIn("http://alertmanager.example.org:9093", links.hrefs)

    def crowded(self):
        """A stall group as Alertmanager keeps it after an outage: 12 stalls
        firing (the newest started last), 16 resolved long ago and still
        re-sent by Prometheus, and the one that just resolved."""
        def stall(run, status, starts, ends):
            return {"status": status,
                    "labels": {"alertname": "PipelineRunStalled", "severity": "warning",
                               "scope": "run", "project": "acme", "run_id": run},
                    "annotations": {"description": "Run %s is stalled." % run},
                    "startsAt": starts, "endsAt": ends, "generatorURL": "http://x",
                    "fingerprint": run}
        firing = [stall("firing-%02d" % i, "firing", "2026-12-03T10:%02d:00Z" % i,
                        "0001-01-01T00:00:00Z") for i in range(12)]
        old = [stall("old-%02d" % i, "resolved", "2026-12-03T08:00:00Z",
                     "2026-12-03T09:%02d:00Z" % i) for i in range(16)]
        new = [stall("just-resolved", "resolved", "2026-12-03T10:30:00Z",
                     "2026-12-03T10:59:00Z")]
        data = {"receiver": "slack", "status": "firing", "externalURL": "http://am:9093",
                "groupLabels": {"alertname": "PipelineRunStalled", "project": "acme"},
                "commonLabels": {"alertname": "PipelineRunStalled", "project": "acme",
                                 "severity": "warning", "scope": "run"},
                "commonAnnotations": {}, "alerts": old + firing + new}
        tmp = tempfile.mkdtemp(prefix="pe-am-crowded-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "crowded.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        return path

    def test_what_changed_comes_first_and_old_resolutions_never_crowd_it_out(self):
        path = self.crowded()
        text = render("pipeline.slack.text", path)
        runs = re.findall(r"run `([^`]+)`", text)
        # The 10 newest firing, newest first; then the one just resolved,
        # then the 9 newest of the old ones.
        self.assertEqual(runs[:10], ["firing-%02d" % i for i in range(11, 1, -1)])
        self.assertEqual(runs[10:], ["just-resolved"] + ["old-%02d" % i for i in range(15, 6, -1)])
        self.assertIn("_Showing the 10 newest of 12 firing alerts;", text)
        self.assertIn("*Resolved (17, the 10 newest shown):*", text)
        # Email shows every alert, in the same order.
        for template, kind in (("pipeline.email.text", "text"), ("pipeline.email.html", "html")):
            with self.subTest(template=template):
                out = render(template, path, kind)
                runs = re.findall(r"(firing-\d\d|just-resolved|old-\d\d)", out)
                runs = [r for i, r in enumerate(runs) if r not in runs[:i]]
                self.assertEqual(runs, ["firing-%02d" % i for i in range(11, -1, -1)]
                                 + ["just-resolved"] + ["old-%02d" % i for i in range(15, -1, -1)])

    def test_an_escalation_shows_the_name_of_the_alert_it_escalates(self):
        tmp = tempfile.mkdtemp(prefix="pe-am-escalated-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "escalated.json")
        labels = {"alertname": "PipelineAlertEscalated", "severity": "critical",
                  "escalated_alertname": "PipelineRunFailed", "project": "acme",
                  "run_id": "r-1", "step": "compile"}
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"receiver": "escalation", "status": "firing", "externalURL": "http://am",
                       "groupLabels": labels, "commonLabels": labels, "commonAnnotations": {},
                       "alerts": [{"status": "firing", "labels": labels, "annotations": {},
                                   "startsAt": "2026-12-03T10:00:00Z",
                                   "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "x",
                                   "fingerprint": "1"}]}, f)
        self.assertEqual(render("pipeline.slack.title", path),
                         "[FIRING:1] PipelineRunFailed, project acme, run r-1")
        text = render("pipeline.slack.text", path)
        self.assertIn("• *PipelineRunFailed* · run `r-1`", text)
        self.assertIn("Failed step: `compile`", text)
        self.assertIn("- PipelineRunFailed (critical)", render("pipeline.email.text", path))

    def test_grafana_base_url_is_edited_in_one_place(self):
        tmp = tempfile.mkdtemp(prefix="pe-am-tmpl-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        text = read(os.path.join(AM_DIR, "templates", "pipeline.tmpl"))
        define = '{{ define "pipeline.grafana.url" }}%s{{ end }}' % GRAFANA_DEFAULT
        self.assertEqual(text.count(define), 1)
        self.assertEqual(text.count(GRAFANA_DEFAULT), 1)
        with open(os.path.join(tmp, "pipeline.tmpl"), "w", encoding="utf-8") as f:
            f.write(text.replace(define, define.replace(GRAFANA_DEFAULT,
                                                        "https://grafana.corp.test/g")))
        for template, kind in (("pipeline.slack.text", "text"),
                               ("pipeline.email.text", "text"),
                               ("pipeline.email.html", "html")):
            with self.subTest(template=template):
                out = render(template, sample("run_failed.json"), kind,
                             templates_glob=os.path.join(tmp, "*.tmpl"))
                self.assertNotIn(GRAFANA_DEFAULT, out)
                self.assertIn("https://grafana.corp.test/g/d/pipeline-run/pipeline-run?", out)


class ShippedConfigurationTest(unittest.TestCase):
    """The configuration as shipped starts the way scripts/demo.sh runs it."""

    def test_starts_in_its_directory_with_the_example_secrets(self):
        require_tools(self, ("prometheus-alertmanager", ALERTMANAGER))
        tmp = tempfile.mkdtemp(prefix="pe-am-shipped-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        copy = os.path.join(tmp, "alertmanager")
        shutil.copytree(AM_DIR, copy, ignore=shutil.ignore_patterns("tests"))
        for example in glob.glob(os.path.join(copy, "secrets", "*.example")):
            secret = example[:-len(".example")]
            if not os.path.exists(secret):
                shutil.copyfile(example, secret)
        address = lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ALERTMANAGER, "--config.file=alertmanager.yml",
            "--storage.path=" + os.path.join(tmp, "data"),
            "--web.listen-address=" + address, "--cluster.listen-address=",
        ], cwd=copy, name="alertmanager")
        lib.wait_for_http("http://%s/-/ready" % address, status=200, timeout=60, daemon=daemon)
        status, _, body = lib.http_get("http://%s/api/v2/status" % address)
        self.assertEqual(status, 200)
        status = json.loads(body)
        self.assertEqual(status["cluster"]["status"], "disabled")
        for receiver in ("slack", "slack-and-email", "escalation", "webhook"):
            self.assertIn("- name: %s\n" % receiver, status["config"]["original"])


# ---------------------------------------------------------------------------
# A running Alertmanager with local sinks.

SLACK_SECRET_PATH = local_am.SLACK_PATH
SMTP_SECRET = local_am.SMTP_PASSWORD
WEBHOOK_SECRET = local_am.WEBHOOK_TOKEN


def make_test_config(directory, http_sink, smtp_sink):
    """A copy of alertmanager.yml in directory whose receivers are the sinks
    (scripts/local_alertmanager.py), with fast timings: first notification
    after 1s, changes after 1s."""
    def fast(text):
        text = substitute(text, r"(?m)^(\s*group_wait:) 30s$", r"\1 1s", 1)
        return substitute(text, r"(?m)^(\s*group_interval:) \S+$", r"\1 1s")
    return local_am.write_local_config(directory, http_sink.url(), smtp_sink.address, fast)


def alert(alertname, severity, starts_at=None, ends_at=None, **labels):
    now = datetime.datetime.now(datetime.timezone.utc)
    labels = dict(labels, alertname=alertname, severity=severity)
    body = {
        "labels": labels,
        "annotations": {"summary": "%s summary" % alertname,
                        "description": "%s for %s" % (alertname, labels.get("run_id", "-")),
                        "runbook_url": RUNBOOK + alertname.lower()},
        "startsAt": (starts_at or now).isoformat(),
        "generatorURL": "http://127.0.0.1:9090/graph",
    }
    body["endsAt"] = (ends_at or now + datetime.timedelta(hours=1)).isoformat()
    return body


def resolved(body):
    """body (as posted before) with endsAt now: Alertmanager resolves it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return dict(body, endsAt=now.isoformat())


def run_alert(alertname, severity, run_id, **labels):
    """A per-run alert, exposed by EXPORTER_A unless instance= says otherwise."""
    labels = dict(dict(job=JOB, instance=EXPORTER_A), **labels)
    return alert(alertname, severity, scope="run", project="acme", run_id=run_id,
                 phase="build", step="compile", reason="boom", **labels)


def outage_alert(alertname, instance=EXPORTER_A):
    """An outage alert with the labels its rule gives it."""
    if alertname == "PipelineExporterAbsent":
        return alert(alertname, "critical", job=JOB)
    return alert(alertname, "critical", job=JOB, instance=instance)


class RunningAlertmanagerTest(unittest.TestCase):
    def setUp(self):
        require_tools(self, ("prometheus-alertmanager", ALERTMANAGER))
        self.http_sink = sinks.HttpSink()
        self.addCleanup(self.http_sink.close)
        self.smtp_sink = sinks.SmtpSink()
        self.addCleanup(self.smtp_sink.close)
        tmp = tempfile.mkdtemp(prefix="pe-am-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        config_dir = os.path.join(tmp, "config")
        os.makedirs(config_dir)
        config = make_test_config(config_dir, self.http_sink, self.smtp_sink)
        address = lib.loopback_address(lib.free_port())
        self.base = "http://" + address
        # Alertmanager 0.25 resolves slack_api_url_file and
        # smtp_auth_password_file against its working directory (templates
        # and http_config files against the configuration's directory), so
        # it runs in the configuration's directory, as README.md prescribes.
        work_dir = config_dir
        self.daemon = lib.start_daemon(self, [
            ALERTMANAGER, "--config.file=" + config,
            "--storage.path=" + os.path.join(tmp, "data"),
            "--web.listen-address=" + address,
            "--cluster.listen-address=",
            "--log.level=debug",
        ], cwd=work_dir, name="alertmanager")
        lib.wait_for_http(self.base + "/-/ready", status=200, timeout=60, daemon=self.daemon)

    def post(self, *alerts):
        request = urllib.request.Request(self.base + "/api/v2/alerts",
                                         data=json.dumps(list(alerts)).encode("utf-8"),
                                         headers={"Content-Type": "application/json"},
                                         method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            self.assertEqual(response.status, 200)

    def alerts(self, *matchers):
        """Every alert (active, inhibited, silenced or unprocessed) matching,
        as `amtool alert query` lists them."""
        result = amtool("alert", "query", "--alertmanager.url=" + self.base, "-o", "json",
                        "--active", "--inhibited", "--silenced", "--unprocessed", *matchers)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return json.loads(result.stdout)

    def state_of(self, alertname, run_id=None, instance=None):
        """(state, inhibitedBy alertnames) of the one alert matching (any
        instance unless one is given)."""
        all_alerts = self.alerts()
        by_fingerprint = {a["fingerprint"]: a["labels"]["alertname"] for a in all_alerts}
        found = [a for a in all_alerts if a["labels"]["alertname"] == alertname
                 and a["labels"].get("run_id") == run_id
                 and instance in (None, a["labels"].get("instance"))]
        self.assertEqual(len(found), 1, found)
        status = found[0]["status"]
        return status["state"], sorted(by_fingerprint.get(f, f) for f in status["inhibitedBy"])

    def wait_states(self, expected, timeout=20):
        """Waits until state_of(name, run_id[, instance]) == value for every
        item (value: a (state, inhibitedBy) pair, or a list of acceptable
        pairs: Alertmanager names one inhibiting alert, any that matches)."""
        def acceptable(value):
            return value if isinstance(value, list) else [value]

        def done():
            return all(self.state_of(*key) in acceptable(value)
                       for key, value in expected.items())
        try:
            lib.wait_until(done, timeout=timeout, message="alert states",
                           daemon=self.daemon)
        except AssertionError:
            actual = {k: self.state_of(*k) for k in expected}
            self.assertEqual({k: v for k, v in actual.items()
                              if v not in acceptable(expected[k])},
                             {k: v for k, v in expected.items()
                              if actual[k] not in acceptable(v)})

    def slack_messages(self, channel):
        return [body for headers, body in self.http_sink.posts(SLACK_SECRET_PATH)
                if body.get("channel") == channel]

    def notified_alert_keys(self, texts):
        keys = set()
        for text in texts:
            for name, run in re.findall(r"\*(Pipeline\w+)\*(?: · run `([^`]+)`)?", text):
                keys.add((name, run or None))
        return keys

    # -- inhibition -------------------------------------------------------

    def test_a_failed_run_inhibits_only_its_own_stall_alert(self):
        self.post(run_alert("PipelineRunFailed", "critical", "r1"),
                  run_alert("PipelineRunStalled", "warning", "r1"),
                  run_alert("PipelineRunStalled", "warning", "r2"))
        self.wait_states({
            ("PipelineRunFailed", "r1"): ("active", []),
            ("PipelineRunStalled", "r1"): ("suppressed", ["PipelineRunFailed"]),
            ("PipelineRunStalled", "r2"): ("active", []),
        })
        # Slack, email and webhook hear about r1's failure and r2's stall only.
        lib.wait_until(lambda: len(self.slack_messages("#pipeline-alerts")) >= 2
                       and self.smtp_sink.received()
                       and len(self.http_sink.posts("/webhook")) >= 2,
                       timeout=30, message="notifications", daemon=self.daemon)
        time.sleep(2)  # anything wrongly sent for r1's stall would arrive by now
        slack = self.notified_alert_keys(m["attachments"][0]["text"]
                                         for m in self.slack_messages("#pipeline-alerts"))
        self.assertEqual(slack, {("PipelineRunFailed", "r1"), ("PipelineRunStalled", "r2")})
        webhook = {(a["labels"]["alertname"], a["labels"]["run_id"])
                   for _, body in self.http_sink.posts("/webhook") for a in body["alerts"]}
        self.assertEqual(webhook, {("PipelineRunFailed", "r1"), ("PipelineRunStalled", "r2")})
        subjects = {m["Subject"] for _, m in self.smtp_sink.received()}
        self.assertEqual(subjects, {"[FIRING:1] PipelineRunFailed, project acme, run r1"})

    def test_an_outage_inhibits_the_per_run_alerts_of_its_exporter_only(self):
        self.post(run_alert("PipelineRunFailed", "critical", "r1"),
                  run_alert("PipelineRunStalled", "warning", "r2"),
                  run_alert("PipelineRunNotStarted", "warning", "r3"),
                  # Another exporter of the same job (another state database).
                  run_alert("PipelineRunFailed", "critical", "b1", instance=EXPORTER_B),
                  run_alert("PipelineRunStalled", "warning", "b2", instance=EXPORTER_B),
                  alert("PipelineStepFailuresElevated", "warning", project="acme"))
        self.wait_states({("PipelineRunFailed", "r1"): ("active", []),
                          ("PipelineRunFailed", "b1"): ("active", [])})
        previous = None
        for source in OUTAGE_ALERTS:
            with self.subTest(source=source):
                if previous:  # resolve the previous outage alert
                    self.post(resolved(previous))
                previous = outage_alert(source)
                self.post(previous)
                # No target of the job at all (absent): every exporter's.
                other = ("suppressed", [source]) if source == "PipelineExporterAbsent" \
                    else ("active", [])
                self.wait_states({
                    ("PipelineRunFailed", "r1"): ("suppressed", [source]),
                    ("PipelineRunStalled", "r2"): ("suppressed", [source]),
                    ("PipelineRunNotStarted", "r3"): ("suppressed", [source]),
                    ("PipelineRunFailed", "b1"): other,
                    ("PipelineRunStalled", "b2"): other,
                    # Not per-run: still notified.
                    ("PipelineStepFailuresElevated", None): ("active", []),
                    (source, None): ("active", []),
                })

    def test_every_case_of_the_inhibition_table(self):
        cases = load_inhibition_cases()
        self.assertTrue(cases)
        for case in cases:
            with self.subTest(case=case):
                # Each case on its own: its two alerts carry a label of their
                # own (compared by no rule), and are resolved afterwards.
                tag = "row-%d" % case.line_number
                source = dict(alert(**dict(case.source, case=tag)),
                              annotations={"summary": "source"})
                target = dict(alert(**dict(case.target, case=tag)),
                              annotations={"summary": "target"})
                self.post(source, target)
                expected = ((case.expected, [case.source["alertname"]])
                            if case.expected == "suppressed" else ("active", []))

                def states():
                    found = {a["annotations"]["summary"]: a for a in self.alerts("case=" + tag)}
                    if set(found) != {"source", "target"}:
                        return None
                    inhibited_by = found["target"]["status"]["inhibitedBy"]
                    return (found["source"]["status"]["state"],
                            (found["target"]["status"]["state"],
                             [case.source["alertname"]
                              if f == found["source"]["fingerprint"] else f
                              for f in inhibited_by]))

                # The inhibitor sees a new source asynchronously: an "active"
                # target must still be active a moment later.
                seen = []
                reads = 1 if case.expected == "suppressed" else 3

                def settled():
                    seen.append(states())
                    return seen[-reads:] == [("active", expected)] * reads
                try:
                    lib.wait_until(settled, timeout=10, interval=0.2,
                                   message="the case's states", daemon=self.daemon)
                except AssertionError:
                    pass  # reported below, with the states seen last
                finally:
                    self.post(resolved(source), resolved(target))
                self.assertEqual(seen[-1] if seen else None, ("active", expected))

    def test_an_unreadable_database_is_notified_once_not_also_as_stale(self):
        # pe-a's database is unreadable, hence stale, and its worker stopped;
        # pe-b is stale and its worker stopped for a cause of its own.
        self.post(outage_alert("PipelineStateDatabaseUnreadable"),
                  outage_alert("PipelineStateStale"),
                  outage_alert("PipelineStateStale", instance=EXPORTER_B),
                  alert("PipelineWorkerHeartbeatStale", "critical", job=JOB, instance=EXPORTER_A),
                  alert("PipelineWorkerHeartbeatStale", "critical", job=JOB, instance=EXPORTER_B),
                  alert("PipelineCompletionBacklogGrowing", "warning", job=JOB,
                        instance=EXPORTER_A))
        # pe-a's worker alerts: by its unreadable database or its stale state.
        by_either = [("suppressed", ["PipelineStateDatabaseUnreadable"]),
                     ("suppressed", ["PipelineStateStale"])]
        self.wait_states({
            ("PipelineStateDatabaseUnreadable", None): ("active", []),
            ("PipelineStateStale", None, EXPORTER_A):
                ("suppressed", ["PipelineStateDatabaseUnreadable"]),
            ("PipelineStateStale", None, EXPORTER_B): ("active", []),
            ("PipelineWorkerHeartbeatStale", None, EXPORTER_A): by_either,
            # pe-b's worker is inhibited by pe-b's own stale state.
            ("PipelineWorkerHeartbeatStale", None, EXPORTER_B):
                ("suppressed", ["PipelineStateStale"]),
            ("PipelineCompletionBacklogGrowing", None, EXPORTER_A): by_either,
        })

        def webhook_alerts():
            return {(a["labels"]["alertname"], a["labels"]["instance"])
                    for _, body in self.http_sink.posts("/webhook") for a in body["alerts"]}
        expected = {("PipelineStateDatabaseUnreadable", EXPORTER_A),
                    ("PipelineStateStale", EXPORTER_B)}
        lib.wait_until(lambda: webhook_alerts() >= expected
                       and len(self.smtp_sink.received()) >= 2,
                       timeout=30, message="notifications", daemon=self.daemon)
        time.sleep(2)  # anything wrongly sent would arrive by now
        # One notification per outage: pe-a's stale state and stopped worker
        # reach no receiver.
        self.assertEqual(webhook_alerts(), expected)
        subjects = sorted(m["Subject"] for _, m in self.smtp_sink.received()
                          if m["To"] == "pipeline-team@example.org")
        self.assertEqual(subjects, ["[FIRING:1] PipelineStateDatabaseUnreadable",
                                    "[FIRING:1] PipelineStateStale"])

    # -- receivers and secrets --------------------------------------------

    def test_receivers_use_secrets_from_files_and_send_resolved(self):
        failed = run_alert("PipelineRunFailed", "critical", "r9")
        self.post(failed)
        lib.wait_until(lambda: self.slack_messages("#pipeline-alerts") and self.smtp_sink.received()
                       and self.http_sink.posts("/webhook"),
                       timeout=30, message="firing notifications", daemon=self.daemon)

        slack = self.slack_messages("#pipeline-alerts")[0]["attachments"][0]
        self.assertEqual(slack["title"], "[FIRING:1] PipelineRunFailed, project acme, run r9")
        self.assertEqual(slack["color"], "danger")
        self.assertIn("/d/pipeline-run/pipeline-run?var-run_id=r9&var-project=acme", slack["title_link"])
        self.assertIn("Failed step: `compile`", slack["text"])

        auth, message = self.smtp_sink.received()[0]
        self.assertEqual(auth[1], SMTP_SECRET)  # from secrets/smtp_password
        self.assertEqual(message["To"], "pipeline-team@example.org")
        html_part = message.get_body(preferencelist=("html",)).get_content()
        text_part = message.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("<a href=\"http://localhost:3000/d/pipeline-run/pipeline-run?var-run_id=r9", html_part)
        self.assertIn("Failed step: compile", text_part)

        headers, body = self.http_sink.posts("/webhook")[0]
        self.assertEqual(headers["authorization"], "Bearer " + WEBHOOK_SECRET)
        self.assertEqual(body["receiver"], "webhook")
        self.assertEqual(body["status"], "firing")

        # Resolve: every receiver is told.
        self.post(resolved(failed))
        lib.wait_until(
            lambda: any(m["attachments"][0]["title"].startswith("[RESOLVED]")
                        for m in self.slack_messages("#pipeline-alerts"))
            and any(m["Subject"].startswith("[RESOLVED]") for _, m in self.smtp_sink.received())
            and any(b["status"] == "resolved" for _, b in self.http_sink.posts("/webhook")),
            timeout=30, message="resolved notifications", daemon=self.daemon)

    # -- escalation and the webhook ----------------------------------------

    def test_an_escalation_reaches_the_escalation_receiver_and_a_critical_alert_never(self):
        # The rules decide when to escalate (PipelineAlertEscalated, after
        # 2h of firing without a break): a critical alert itself, however
        # long it fires and however often it resolves and fires again,
        # never reaches the escalation receiver.
        failed = run_alert("PipelineRunFailed", "critical", "r1")
        self.post(failed)
        time.sleep(1.5)
        self.post(resolved(failed))
        time.sleep(1.5)
        self.post(run_alert("PipelineRunFailed", "critical", "r1"))
        escalated = alert("PipelineAlertEscalated", "critical", scope="run",
                          escalated_alertname="PipelineRunFailed", job=JOB,
                          instance=EXPORTER_A, project="acme", run_id="r2", phase="build",
                          step="compile", reason="boom")
        self.post(escalated)
        lib.wait_until(lambda: self.slack_messages("#pipeline-oncall")
                       and [m for _, m in self.smtp_sink.received()
                            if m["To"] == "pipeline-oncall@example.org"],
                       timeout=30, message="the escalation", daemon=self.daemon)
        time.sleep(3)  # let anything else arrive
        messages = self.slack_messages("#pipeline-oncall")
        # The escalated alert's own name, under an ESCALATED title.
        self.assertEqual(self.notified_alert_keys(m["attachments"][0]["text"] for m in messages),
                         {("PipelineRunFailed", "r2")})
        self.assertEqual([m["attachments"][0]["title"] for m in messages],
                         ["ESCALATED: [FIRING:1] PipelineRunFailed, project acme, run r2"])
        escalation_mail = [m for _, m in self.smtp_sink.received()
                           if m["To"] == "pipeline-oncall@example.org"]
        self.assertEqual([m["Subject"] for m in escalation_mail],
                         ["ESCALATED: [FIRING:1] PipelineRunFailed, project acme, run r2"])
        self.assertIn("- PipelineRunFailed (critical)",
                      escalation_mail[0].get_body(preferencelist=("plain",)).get_content())
        # Not the usual channel, nor its email; the webhook gets it as it is.
        self.assertNotIn(("PipelineRunFailed", "r2"), self.notified_alert_keys(
            m["attachments"][0]["text"] for m in self.slack_messages("#pipeline-alerts")))
        self.assertFalse([m for _, m in self.smtp_sink.received()
                          if m["To"] == "pipeline-team@example.org" and "r2" in m["Subject"]])
        webhook = [a["labels"] for _, body in self.http_sink.posts("/webhook")
                   for a in body["alerts"] if a["labels"]["alertname"] == "PipelineAlertEscalated"]
        self.assertEqual([(l["escalated_alertname"], l["run_id"]) for l in webhook],
                         [("PipelineRunFailed", "r2")])

    def test_the_webhook_gets_each_alert_once_however_its_group_grows(self):
        # Three stalls of one project, one after the other: Slack groups
        # them (and lists the earlier ones again as the group grows); the
        # webhook gets three messages of one alert each, and none again.
        for run in ("s1", "s2", "s3"):
            self.post(run_alert("PipelineRunStalled", "warning", run))
            time.sleep(2.5)
        lib.wait_until(lambda: len(self.http_sink.posts("/webhook")) >= 3,
                       timeout=30, message="three webhook messages", daemon=self.daemon)
        time.sleep(3)  # group_interval is 1s here: any resend would be in
        bodies = [body for _, body in self.http_sink.posts("/webhook")]
        self.assertEqual([[a["labels"]["run_id"] for a in b["alerts"]] for b in bodies],
                         [["s1"], ["s2"], ["s3"]])
        slack = [m["attachments"][0]["text"] for m in self.slack_messages("#pipeline-alerts")]
        self.assertGreaterEqual(len(slack), 2)
        self.assertEqual(self.notified_alert_keys(slack[-1:]),
                         {("PipelineRunStalled", "s1"), ("PipelineRunStalled", "s2"),
                          ("PipelineRunStalled", "s3")})


if __name__ == "__main__":
    lib.main()
