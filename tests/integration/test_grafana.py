"""The Grafana dashboards (grafana/dashboards/*.json) and their provisioning
files are well formed, and every PromQL expression of the dashboards and of
the shipped rules (rules/*.yml) runs without error on a real Prometheus
scraping two real exporters of one job (a fleet of two instances), which
follow a database written live by the real simulator, one with the completion
worker on; the key panels return data, and choosing an instance leaves only
its series.

Run by ctest as: python3 test_grafana.py --binary PATH --source-dir DIR
Needs prometheus and promtool (scripts/setup.sh installs them) and PyYAML
(Debian python3-yaml) for the provisioning files.
"""

import glob
import json
import os
import re
import shutil
import tempfile
import unittest
import urllib.parse

import pe_testlib as lib

ARGS = lib.parse_args()

GRAFANA_DIR = os.path.join(ARGS.source_dir, "grafana")
DASHBOARD_DIR = os.path.join(GRAFANA_DIR, "dashboards")
DASHBOARD_FILES = {
    "pipeline-overview": os.path.join(DASHBOARD_DIR, "pipeline-overview.json"),
    "pipeline-run": os.path.join(DASHBOARD_DIR, "pipeline-run.json"),
}
JOB = "pipeline_exporter"
DATASOURCE_REF = "${datasource}"
# Panels that only lay out or explain: no query, no unit.
LAYOUT_PANELS = ("row", "text")

# Panels whose every query must return data once the simulator has played a
# little while: what a user looks at first.
KEY_PANELS = {
    "pipeline-overview": [
        "Running runs", "Runs by state", "Runs by state over time", "Active runs",
        "Failed, partial and quarantined runs", "Event rate by type",
        "Event rate by severity", "Exporter up", "State database",
        "Time since last successful poll", "Archival results",
        "Archives created (time range)", "Worker backlog", "Archive volume free",
        "Instances", "Failed runs per hour by instance", "Stalled runs by instance",
        "Worker backlog by instance", "Archive volume free by instance",
    ],
    # Shown for a failed (ended) run.
    "pipeline-run": [
        "State", "Project / phase / workstream", "Failure",
    ],
}
# Per-run panels whose series (steps, creation, last progress) exist only
# while a run is active: shown for a running run.
ACTIVE_RUN_KEY_PANELS = [
    "Step progress", "Created", "Since last progress", "Steps by state",
    "Steps by state over time",
]


def load_dashboard(uid):
    with open(DASHBOARD_FILES[uid], encoding="utf-8") as f:
        return json.load(f)


def all_panels(dashboard):
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        for nested in panel.get("panels", []):
            yield nested


def variables(dashboard):
    return {v["name"]: v for v in dashboard["templating"]["list"]}


_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)


def variable_query_expr(query):
    """label_values(SELECTOR, label) as an instant PromQL query."""
    text = query["query"] if isinstance(query, dict) else query
    match = _LABEL_VALUES.match(text)
    if not match:
        raise AssertionError("unsupported variable query: %r" % text)
    return "count by (%s) (%s)" % (match.group(2), match.group(1))


def expressions(dashboard):
    """(where, expr, panel title or None) for every PromQL expression."""
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield ("panel %r target %s" % (panel.get("title"), target.get("refId")),
                       target["expr"], panel.get("title"))
    for annotation in dashboard["annotations"]["list"]:
        if annotation.get("expr"):
            yield ("annotation %r" % annotation["name"], annotation["expr"], None)
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield ("variable %r" % variable["name"], variable_query_expr(variable["query"]), None)


_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def substitute(expr, values):
    """Replaces Grafana template variables as Grafana would before querying."""
    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            raise AssertionError("unknown template variable $%s in %r" % (name, expr))
        return values[name]
    return _VARIABLE.sub(replace, expr)


def grafana_regex(values):
    """A multi-value variable's selection as Grafana's Prometheus data source
    writes it into a query: each value regex-escaped, its backslashes doubled
    for the PromQL string, several values as (a|b)."""
    escaped = [re.sub(r"([$^*{}\[\]'+?.()|])", r"\\\\\1", v.replace("\\", "\\\\\\\\"))
               for v in values]
    return escaped[0] if len(escaped) == 1 else "(%s)" % "|".join(escaped)


# The All value of the job and instance variables (dashboard-linter's .+).
ALL = ".+"


def base_values(project=".*", phase=".*", run_id="none", job=JOB, instance=ALL):
    return {"job": job, "instance": instance, "project": project, "phase": phase,
            "run_id": run_id,
            "__rate_interval": "1m", "__interval": "15s", "__interval_ms": "15000",
            "__range": "5m", "__range_s": "300", "__range_ms": "300000",
            "report_base_url": "http://localhost:8080/reports"}


_REFERENCE_ROW = re.compile(r"^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (\w+) \|([^|]*)\|", re.M)
# Series that come from Prometheus itself rather than the exporter.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "ALERTS"}


def documented_labels(source_dir):
    """{series name: its label names} of the README's metrics reference
    (histograms expanded, job and instance added as Prometheus does)."""
    with open(os.path.join(source_dir, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    begin = readme.index("<!-- metrics-reference:begin -->")
    end = readme.index("<!-- metrics-reference:end -->")
    labels = {}
    for name, kind, label_cell in _REFERENCE_ROW.findall(readme[begin:end]):
        names = set(re.findall(r"`([a-zA-Z_][a-zA-Z0-9_]*)`", label_cell)) | {"job", "instance"}
        labels[name] = names
        if kind == "histogram":
            labels[name + "_bucket"] = names | {"le"}
            labels[name + "_sum"] = names
            labels[name + "_count"] = names
    return labels


def documented_metrics(source_dir):
    """Series names of the README's metrics reference (histograms expanded)."""
    return set(documented_labels(source_dir))


_SELECTOR = re.compile(r"\b(pipeline_[a-z0-9_]+)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def selector_labels(expr):
    """(metric, label) for every label matcher of a pipeline_* selector."""
    for name, matchers in _SELECTOR.findall(expr):
        for label in _MATCHER.findall(re.sub(r'"(?:[^"\\]|\\.)*"', '""', matchers)):
            yield name, label


def load_yaml(path):
    try:
        import yaml  # Debian python3-yaml
    except ImportError:
        raise AssertionError("PyYAML is not installed (Debian package python3-yaml)") from None
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


# ---------------------------------------------------------------------------
# The JSON and YAML files themselves.

class DashboardStructureTest(unittest.TestCase):
    def test_dashboards_have_fixed_uids_titles_and_a_grafana_10_schema(self):
        for uid in DASHBOARD_FILES:
            with self.subTest(uid=uid):
                dashboard = load_dashboard(uid)
                self.assertEqual(dashboard["uid"], uid)
                self.assertTrue(dashboard["title"])
                self.assertIsNone(dashboard.get("id"))
                self.assertGreaterEqual(dashboard["schemaVersion"], 36)
                self.assertLessEqual(dashboard["schemaVersion"], 39)

    def test_no_import_only_inputs_or_ds_placeholders(self):
        for uid, path in DASHBOARD_FILES.items():
            with self.subTest(uid=uid):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.assertNotIn("__inputs", text)
                self.assertNotIn("__requires", text)
                self.assertNotIn("${DS_", text)

    def test_datasource_variable_selects_a_prometheus_data_source(self):
        for uid in DASHBOARD_FILES:
            with self.subTest(uid=uid):
                variable = variables(load_dashboard(uid))["datasource"]
                self.assertEqual(variable["type"], "datasource")
                self.assertEqual(variable["query"], "prometheus")

    def test_every_panel_target_annotation_and_query_variable_uses_the_datasource_variable(self):
        for uid in DASHBOARD_FILES:
            dashboard = load_dashboard(uid)
            for panel in all_panels(dashboard):
                if panel["type"] in LAYOUT_PANELS:
                    continue
                with self.subTest(uid=uid, panel=panel["title"]):
                    self.assertEqual(panel["datasource"]["uid"], DATASOURCE_REF)
                    self.assertEqual(panel["datasource"]["type"], "prometheus")
                    self.assertTrue(panel["targets"], "panel without query")
                    for target in panel["targets"]:
                        self.assertEqual(target["datasource"]["uid"], DATASOURCE_REF)
                        self.assertTrue(target["expr"].strip())
            for annotation in dashboard["annotations"]["list"]:
                if annotation.get("builtIn"):
                    continue
                with self.subTest(uid=uid, annotation=annotation["name"]):
                    self.assertEqual(annotation["datasource"]["uid"], DATASOURCE_REF)
            for variable in dashboard["templating"]["list"]:
                if variable["type"] == "query":
                    with self.subTest(uid=uid, variable=variable["name"]):
                        self.assertEqual(variable["datasource"]["uid"], DATASOURCE_REF)

    def test_every_panel_has_title_description_and_unit(self):
        for uid in DASHBOARD_FILES:
            for panel in all_panels(load_dashboard(uid)):
                with self.subTest(uid=uid, panel=panel.get("title"), id=panel.get("id")):
                    self.assertTrue(panel.get("title", "").strip())
                    if panel["type"] == "row":
                        continue
                    self.assertTrue(panel.get("description", "").strip())
                    if panel["type"] != "text":
                        self.assertTrue(panel["fieldConfig"]["defaults"].get("unit"))

    def test_panel_ids_are_unique_and_every_panel_has_a_grid_position(self):
        for uid in DASHBOARD_FILES:
            panels = list(all_panels(load_dashboard(uid)))
            ids = [p["id"] for p in panels]
            with self.subTest(uid=uid):
                self.assertEqual(len(ids), len(set(ids)), "duplicate panel ids")
            for panel in panels:
                with self.subTest(uid=uid, panel=panel["title"]):
                    grid = panel["gridPos"]
                    for key in ("x", "y", "w", "h"):
                        self.assertIsInstance(grid[key], int)
                    self.assertLessEqual(grid["x"] + grid["w"], 24)
                    self.assertGreater(grid["h"], 0)

    def test_panels_use_current_panel_types(self):
        allowed = {"row", "text", "timeseries", "stat", "table", "bargauge", "heatmap",
                   "histogram", "state-timeline"}
        for uid in DASHBOARD_FILES:
            for panel in all_panels(load_dashboard(uid)):
                with self.subTest(uid=uid, panel=panel["title"]):
                    self.assertIn(panel["type"], allowed)

    def test_project_and_phase_variables_are_multi_value_with_all(self):
        for uid in DASHBOARD_FILES:
            by_name = variables(load_dashboard(uid))
            for name in ("project", "phase"):
                with self.subTest(uid=uid, variable=name):
                    variable = by_name[name]
                    self.assertEqual(variable["type"], "query")
                    self.assertTrue(variable["multi"])
                    self.assertTrue(variable["includeAll"])
                    self.assertEqual(variable["allValue"], ".*")
                    self.assertIn("label_values(", variable["query"])
                    self.assertIn(", %s)" % name, variable["query"])

    def test_project_and_phase_filters_use_regex_matchers(self):
        # A multi-value selection is a|b: only =~ matches it.
        for uid in DASHBOARD_FILES:
            for where, expr, _ in expressions(load_dashboard(uid)):
                with self.subTest(uid=uid, where=where):
                    self.assertNotRegex(expr, r'(project|phase)\s*(=|!=)\s*"\$')

    def test_run_dashboard_selects_one_run(self):
        dashboard = load_dashboard("pipeline-run")
        run_id = variables(dashboard)["run_id"]
        self.assertEqual(run_id["type"], "query")
        self.assertFalse(run_id["multi"])
        self.assertFalse(run_id.get("includeAll"))
        self.assertIn("pipeline_run_info", run_id["query"])
        for panel in all_panels(dashboard):
            for target in panel.get("targets", []):
                with self.subTest(panel=panel["title"], target=target["refId"]):
                    self.assertIn('run_id="$run_id"', target["expr"])

    def test_report_base_url_is_an_editable_variable_with_a_default(self):
        for uid in DASHBOARD_FILES:
            with self.subTest(uid=uid):
                variable = variables(load_dashboard(uid))["report_base_url"]
                self.assertIn(variable["type"], ("textbox", "constant"))
                self.assertRegex(variable["query"], r"^https?://")
                self.assertRegex(variable["current"]["value"], r"^https?://")

    def test_failed_runs_link_to_their_report_and_to_the_run_dashboard(self):
        dashboard = load_dashboard("pipeline-overview")
        panels = {p["title"]: p for p in all_panels(dashboard)}
        for title in ("Failed, partial and quarantined runs", "Stalled runs"):
            with self.subTest(panel=title):
                urls = [link["url"]
                        for override in panels[title]["fieldConfig"]["overrides"]
                        if override["matcher"]["options"] == "run_id"
                        for prop in override["properties"] if prop["id"] == "links"
                        for link in prop["value"]]
                self.assertIn("${report_base_url:raw}/${__data.fields.run_id}_summary.html", urls)
                self.assertTrue(any(u.startswith("/d/pipeline-run/") and "var-run_id=" in u
                                    for u in urls), urls)
                # A run id names a run of one orchestrator: the link keeps its instance.
                for url in urls:
                    if url.startswith("/d/pipeline-run/"):
                        self.assertIn("&var-instance=${__data.fields.instance}", url)
                for transformation in panels[title].get("transformations", []):
                    if transformation["id"] == "organize":
                        self.assertNotIn("instance",
                                         transformation["options"]["excludeByName"])
        run = load_dashboard("pipeline-run")
        report_text = [p for p in all_panels(run) if p["type"] == "text"]
        self.assertTrue(any("${report_base_url}/${run_id}_summary.html" in p["options"]["content"]
                            for p in report_text))
        self.assertIn("${report_base_url}/${run_id}_summary.html",
                      [link["url"] for link in run["links"]])

    def test_alert_annotations_come_from_the_alerts_series(self):
        for uid in DASHBOARD_FILES:
            annotations = [a for a in load_dashboard(uid)["annotations"]["list"]
                           if not a.get("builtIn")]
            with self.subTest(uid=uid):
                self.assertTrue(annotations)
                for annotation in annotations:
                    self.assertTrue(annotation["expr"].startswith("ALERTS{"), annotation["expr"])

    def test_provisioned_datasource_is_prometheus(self):
        config = load_yaml(os.path.join(GRAFANA_DIR, "provisioning", "datasources", "pipeline.yml"))
        self.assertEqual(config["apiVersion"], 1)
        (source,) = config["datasources"]
        self.assertEqual(source["type"], "prometheus")
        self.assertEqual(source["access"], "proxy")
        self.assertRegex(source["url"], r"^https?://")
        self.assertTrue(source["uid"])

    def test_dashboard_provider_points_at_a_folder_holding_the_dashboards(self):
        config = load_yaml(os.path.join(GRAFANA_DIR, "provisioning", "dashboards", "pipeline.yml"))
        self.assertEqual(config["apiVersion"], 1)
        (provider,) = config["providers"]
        self.assertEqual(provider["type"], "file")
        path = provider["options"]["path"]
        self.assertTrue(os.path.isabs(path), "Grafana resolves a relative path against its own "
                        "working directory: %r" % path)
        # The provider's folder is where grafana/README.md has the repository's
        # dashboards copied or mounted; that source folder holds both files.
        with open(os.path.join(GRAFANA_DIR, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn(path, readme)
        self.assertIn("grafana/dashboards", readme)
        for uid, dashboard_path in DASHBOARD_FILES.items():
            with self.subTest(uid=uid):
                self.assertTrue(os.path.isfile(dashboard_path))
                self.assertEqual(os.path.dirname(dashboard_path), DASHBOARD_DIR)

    def test_every_metric_name_is_in_the_readme_metrics_reference(self):
        # A misspelt name is no PromQL error, just an empty panel.
        known = documented_metrics(ARGS.source_dir)
        self.assertIn("pipeline_runs", known)
        self.assertIn("pipeline_run_duration_seconds_bucket", known)
        for uid in DASHBOARD_FILES:
            for where, expr, _ in expressions(load_dashboard(uid)):
                names = set(re.findall(r"\b(pipeline_[a-z0-9_]+)\b", expr))
                names |= {n for n in PROMETHEUS_SERIES if re.search(r"\b%s\b" % n, expr)}
                with self.subTest(uid=uid, where=where):
                    self.assertTrue(names, "no metric in %r" % expr)
                    self.assertEqual(names - known - PROMETHEUS_SERIES, set())

    def test_selectors_only_match_labels_their_metric_has(self):
        # A matcher on a label the series lacks matches nothing (or, with the
        # All value .*, everything): e.g. project on pipeline_run_status, which
        # is selected through a join on pipeline_run_info instead.
        labels = documented_labels(ARGS.source_dir)
        self.assertIn("project", labels["pipeline_run_info"])
        self.assertNotIn("project", labels["pipeline_run_status"])
        for uid in DASHBOARD_FILES:
            for where, expr, _ in expressions(load_dashboard(uid)):
                with self.subTest(uid=uid, where=where):
                    for name, label in selector_labels(expr):
                        if name in labels:
                            self.assertIn(label, labels[name], "%s has no label %s" % (name, label))

    def test_substitute_replaces_every_variable_form(self):
        values = base_values(project="a|b", run_id="R1")
        self.assertEqual(
            substitute('x{project=~"$project", run_id="${run_id}", instance=~"$instance"}'
                       '[$__rate_interval] [[job]] $__range_s', values),
            'x{project=~"a|b", run_id="R1", instance=~".+"}[1m] pipeline_exporter 300')
        with self.assertRaises(AssertionError):
            substitute("x[$nope]", values)


# ---------------------------------------------------------------------------
# The expressions on a real Prometheus.

def prometheus_query(base, expr):
    """(status, data or error text) of an instant query."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, _, body = lib.http_get(url, timeout=10.0)
    answer = json.loads(body.decode("utf-8"))
    if answer.get("status") != "success":
        return (False, "%s: %s" % (answer.get("errorType"), answer.get("error")))
    return (True, answer["data"])


def result_count(data):
    if data["resultType"] in ("vector", "matrix"):
        return len(data["result"])
    return 1  # scalar, string


def rule_files(source_dir):
    return sorted(glob.glob(os.path.join(source_dir, "rules", "*.yml")) +
                  glob.glob(os.path.join(source_dir, "rules", "*.yaml")))


class DashboardQueriesTest(unittest.TestCase):
    """One Prometheus + two exporters + simulator for all the query tests (~1 min)."""

    @classmethod
    def start(cls, args, name):
        daemon = lib.Daemon(args, name=name)
        cls.addClassCleanup(daemon.cleanup)
        return daemon

    @classmethod
    def setUpClass(cls):
        if shutil.which("prometheus") is None:
            raise AssertionError("prometheus is not installed (scripts/setup.sh installs it)")
        tmp = tempfile.TemporaryDirectory(prefix="pe-grafana-")
        cls.addClassCleanup(tmp.cleanup)
        cls.tmp = tmp.name
        db = os.path.join(cls.tmp, "state.db")
        worktrees = os.path.join(cls.tmp, "worktrees")
        cls.simulator = cls.start([
            ARGS.binary, "simulate", "--db", db, "--worktrees", worktrees, "--seed", "7",
            "--bulk", "100", "--bulk-active", "10", "--live", "--duration", "10m",
            "--tick", "200ms", "--runs-per-minute", "120", "--step-seconds", "0.5",
            "--fail-rate", "0.3", "--stall-rate", "0.1"], "simulator")
        lib.wait_until(lambda: os.path.exists(db), timeout=30, message="state database",
                       daemon=cls.simulator)

        exporter_address = lib.loopback_address(lib.free_port())
        cls.exporter_url = "http://" + exporter_address
        cls.exporter = cls.start([
            ARGS.binary, "--state.db=" + db, "--state.poll-interval=500ms",
            "--web.listen-address=" + exporter_address,
            "--worker.enabled", "--worker.interval=500ms",
            "--worker.worktrees-dir=" + worktrees,
            "--worker.archive-dir=" + os.path.join(cls.tmp, "archive"),
            "--worker.reports-dir=" + os.path.join(cls.tmp, "reports")], "exporter")
        lib.wait_for_http(cls.exporter_url + "/-/ready", status=200, timeout=60,
                          daemon=cls.exporter)
        # A second exporter of the same job, on the same database without the
        # worker (read-only): a fleet of two instances for the instance
        # variable and the Instances row.
        reader_address = lib.loopback_address(lib.free_port())
        cls.reader = cls.start([
            ARGS.binary, "--state.db=" + db, "--state.poll-interval=1s",
            "--web.listen-address=" + reader_address], "reader")
        lib.wait_for_http("http://" + reader_address + "/-/ready", status=200, timeout=60,
                          daemon=cls.reader)
        cls.instances = sorted([exporter_address, reader_address])
        cls.worker_instance, cls.reader_instance = exporter_address, reader_address

        # Only rule files promtool accepts are loaded (a broken one would stop
        # Prometheus); test_rule_files_pass_promtool reports the others.
        cls.rule_files = rule_files(ARGS.source_dir)
        cls.rule_check = {path: lib.run_promtool("check", "rules", path)
                          for path in cls.rule_files}
        loadable = [p for p in cls.rule_files if cls.rule_check[p].returncode == 0]
        prometheus_address = lib.loopback_address(lib.free_port())
        config = os.path.join(cls.tmp, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files: %s\n"
                    "scrape_configs:\n  - job_name: %s\n    static_configs:\n"
                    "      - targets: %s\n"
                    % (json.dumps(loadable), JOB, json.dumps(cls.instances)))
        cls.prometheus_url = "http://" + prometheus_address
        cls.prometheus = cls.start([
            "prometheus", "--config.file=" + config,
            "--storage.tsdb.path=" + os.path.join(cls.tmp, "tsdb"),
            "--web.listen-address=" + prometheus_address,
            "--log.level=warn"], "prometheus")
        lib.wait_for_http(cls.prometheus_url + "/-/ready", status=200, timeout=60,
                          daemon=cls.prometheus)

        # Enough history for rate() over 1m and increase() over 5m, archives
        # written by the worker, and a failed run with its failure series.
        def has(expr):
            ok, data = prometheus_query(cls.prometheus_url, expr)
            return ok and result_count(data) > 0
        for expr in ('count(count_over_time(up{job="%s"}[1m]) >= 15) == 2' % JOB,
                     "pipeline_worker_archives_created_total > 0",
                     "pipeline_run_failure_info * on (job, instance, run_id) group_left pipeline_run_end_timestamp_seconds",
                     'rate(pipeline_events_total[1m]) > 0',
                     'pipeline_run_status{state="running"}'):
            lib.wait_until(lambda: has(expr), timeout=90, interval=0.5,
                           message="Prometheus to hold %s" % expr, daemon=cls.exporter)

        # A run to show on the per-run dashboard: a failed one, so that its
        # Failure panel has data, taken from the exporter's own metrics.
        samples = lib.scrape(cls.exporter_url + "/metrics")
        failed = sorted(dict(labels)["run_id"]
                        for labels in lib.series(samples, "pipeline_run_failure_info"))
        cls.run_id = next(r for r in failed if has('pipeline_run_info{run_id="%s"}' % r))

        # An active run for the panels whose series exist only while a run is
        # active: the running run with steps that has gone longest without
        # progress (most likely a stalled one, which stays running).
        active = ('topk(1, (time() - pipeline_run_last_progress_timestamp_seconds) '
                  'and on (job, instance, run_id) pipeline_run_status{state="running"} '
                  'and on (job, instance, run_id) pipeline_run_steps '
                  'and on (job, instance, run_id) pipeline_run_created_timestamp_seconds)')
        lib.wait_until(lambda: has(active), timeout=60, interval=0.5,
                       message="Prometheus to hold %s" % active, daemon=cls.exporter)
        ok, data = prometheus_query(cls.prometheus_url, active)
        cls.active_run_id = data["result"][0]["metric"]["run_id"]

    def run_labels(self, run_id):
        ok, data = self.query('pipeline_run_info{job="%s", run_id="%s"}' % (JOB, run_id))
        self.assertTrue(ok, data)
        self.assertTrue(data["result"], "no pipeline_run_info for %s" % run_id)
        return data["result"][0]["metric"]

    def query(self, expr):
        return prometheus_query(self.prometheus_url, expr)

    def check_expressions(self, uid, values):
        for where, expr, _ in expressions(load_dashboard(uid)):
            promql = substitute(expr, values)
            with self.subTest(uid=uid, where=where, query=promql):
                ok, data = self.query(promql)
                self.assertTrue(ok, data)

    def test_every_dashboard_expression_runs_without_error_for_all_projects(self):
        for uid in DASHBOARD_FILES:
            self.check_expressions(uid, base_values(run_id=self.run_id))

    def test_every_dashboard_expression_runs_without_error_for_chosen_projects(self):
        for uid in DASHBOARD_FILES:
            self.check_expressions(uid, base_values(project="proj-a|proj-b",
                                                    phase="phase1_planning|phase5_execution",
                                                    run_id=self.run_id))

    def test_key_panels_return_data(self):
        values = base_values(run_id=self.run_id)
        for uid, titles in KEY_PANELS.items():
            panels = {p["title"]: p for p in all_panels(load_dashboard(uid))}
            for title in titles:
                for target in panels[title]["targets"]:
                    promql = substitute(target["expr"], values)
                    with self.subTest(uid=uid, panel=title, target=target["refId"], query=promql):
                        ok, data = self.query(promql)
                        self.assertTrue(ok, data)
                        self.assertGreater(result_count(data), 0, "no data")

    def test_active_run_panels_return_data_for_an_active_run(self):
        values = base_values(run_id=self.active_run_id)
        panels = {p["title"]: p for p in all_panels(load_dashboard("pipeline-run"))}
        for title in ACTIVE_RUN_KEY_PANELS:
            for target in panels[title]["targets"]:
                promql = substitute(target["expr"], values)
                with self.subTest(panel=title, target=target["refId"], query=promql):
                    ok, data = self.query(promql)
                    self.assertTrue(ok, data)
                    self.assertGreater(result_count(data), 0, "no data")

    def test_project_and_phase_filters_select_runs_through_pipeline_run_info(self):
        # Choosing the run's project and phase keeps it, with those labels;
        # choosing another project drops it.
        panels = {p["title"]: p for p in all_panels(load_dashboard("pipeline-overview"))}
        cases = [("Failed, partial and quarantined runs", self.run_id),
                 ("Active runs", self.active_run_id)]
        for title, run_id in cases:
            labels = self.run_labels(run_id)
            for target in panels[title]["targets"]:
                with self.subTest(panel=title, target=target["refId"], run_id=run_id):
                    # Both exporters track the run: choose one.
                    chosen = base_values(project=labels["project"], phase=labels["phase"],
                                         instance=grafana_regex([self.worker_instance]))
                    ok, data = self.query(substitute(target["expr"], chosen))
                    self.assertTrue(ok, data)
                    rows = [r["metric"] for r in data["result"]]
                    matching = [r for r in rows if r.get("run_id") == run_id]
                    self.assertEqual(len(matching), 1, "%s not once in %r" % (run_id, rows))
                    (row,) = matching
                    self.assertEqual((row["project"], row["phase"]),
                                     (labels["project"], labels["phase"]))
                    self.assertTrue(all(r["project"] == labels["project"] and
                                        r["phase"] == labels["phase"] for r in rows), rows)
                    other = base_values(project="no-such-project")
                    ok, data = self.query(substitute(target["expr"], other))
                    self.assertTrue(ok, data)
                    self.assertEqual(data["result"], [])

    def test_variables_list_projects_phases_jobs_and_runs(self):
        values = base_values(run_id=self.run_id)
        for uid in DASHBOARD_FILES:
            for variable in load_dashboard(uid)["templating"]["list"]:
                if variable["type"] != "query":
                    continue
                promql = substitute(variable_query_expr(variable["query"]), values)
                with self.subTest(uid=uid, variable=variable["name"]):
                    ok, data = self.query(promql)
                    self.assertTrue(ok, data)
                    found = {r["metric"].get(variable["name"]) for r in data["result"]}
                    self.assertTrue(found - {None, ""}, "no values")
                    if variable["name"] == "job":
                        self.assertEqual(found, {JOB})
                    if variable["name"] == "instance":
                        self.assertEqual(found, set(self.instances))
                    if variable["name"] == "run_id":
                        self.assertIn(self.run_id, found)

    def test_every_dashboard_expression_runs_without_error_for_chosen_instances(self):
        for instances in (self.instances, [self.reader_instance]):
            for uid in DASHBOARD_FILES:
                self.check_expressions(uid, base_values(job=ALL, run_id=self.run_id,
                                                        instance=grafana_regex(instances)))

    def panel_results(self, values):
        """(uid, panel title, refId, query, data) of every panel query."""
        for uid in DASHBOARD_FILES:
            for panel in all_panels(load_dashboard(uid)):
                for target in panel.get("targets", []):
                    promql = substitute(target["expr"], values)
                    ok, data = self.query(promql)
                    self.assertTrue(ok, data)
                    yield uid, panel["title"], target["refId"], promql, data

    def test_choosing_an_instance_keeps_only_its_series(self):
        values = base_values(job=ALL, run_id=self.run_id,
                             instance=grafana_regex([self.reader_instance]))
        seen = set()
        for uid, title, ref, promql, data in self.panel_results(values):
            with self.subTest(uid=uid, panel=title, target=ref, query=promql):
                if data["resultType"] == "vector":
                    found = {r["metric"]["instance"] for r in data["result"]
                             if "instance" in r["metric"]}
                    self.assertLessEqual(found, {self.reader_instance})
                    seen |= found
        self.assertEqual(seen, {self.reader_instance})

    def test_an_instance_without_an_exporter_shows_no_data(self):
        # Only the zeros of "... or vector(0)" are left.
        values = base_values(job=ALL, run_id=self.run_id,
                             instance=grafana_regex(["no-such-exporter:1"]))
        for uid, title, ref, promql, data in self.panel_results(values):
            with self.subTest(uid=uid, panel=title, target=ref, query=promql):
                self.assertEqual(data["resultType"], "vector")
                self.assertEqual([r["value"][1] for r in data["result"]
                                  if r["value"][1] != "0"], [])

    def test_instances_table_has_a_row_per_exporter(self):
        panels = {p["title"]: p for p in all_panels(load_dashboard("pipeline-overview"))}
        values = base_values(job=ALL)
        for target in panels["Instances"]["targets"]:
            with self.subTest(target=target["refId"]):
                ok, data = self.query(substitute(target["expr"], values))
                self.assertTrue(ok, data)
                rows = {r["metric"]["instance"]: float(r["value"][1]) for r in data["result"]}
                self.assertTrue(all(set(r["metric"]) == {"job", "instance"}
                                    for r in data["result"]), data["result"])
                # Worker series (D to F) come from the exporter with the worker.
                expected = (set(self.instances) if target["refId"] in "ABC"
                            else {self.worker_instance})
                self.assertLessEqual(expected, set(rows))
                self.assertLessEqual(set(rows), set(self.instances))
                if target["refId"] == "A":
                    self.assertEqual(set(rows.values()), {1.0})

    def test_grafana_regex_escapes_as_grafana_does(self):
        self.assertEqual(grafana_regex(["127.0.0.1:9879"]), r"127\\.0\\.0\\.1:9879")
        self.assertEqual(grafana_regex(["a", "b|c"]), r"(a|b\\|c)")
        ok, data = self.query('up{instance=~"%s"}' % grafana_regex([self.worker_instance]))
        self.assertTrue(ok, data)
        self.assertEqual([r["metric"]["instance"] for r in data["result"]],
                         [self.worker_instance])

    def test_active_runs_table_joins_its_queries_on_the_same_runs(self):
        # The table merges A, B and C on their labels: they must name the same runs.
        panels = {p["title"]: p for p in all_panels(load_dashboard("pipeline-overview"))}
        values = base_values()
        label_sets = []
        for target in panels["Active runs"]["targets"]:
            ok, data = self.query(substitute(target["expr"], values))
            self.assertTrue(ok, data)
            label_sets.append({tuple(sorted(r["metric"].items())) for r in data["result"]})
        self.assertTrue(label_sets[0])
        self.assertEqual(label_sets[1], label_sets[2])
        self.assertLessEqual(label_sets[0], label_sets[1])

    def test_rule_files_pass_promtool(self):
        if not self.rule_files:
            self.skipTest("no rules/*.yml yet")
        for path, result in self.rule_check.items():
            with self.subTest(file=os.path.relpath(path, ARGS.source_dir)):
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_rule_expression_runs_without_error(self):
        if not self.rule_files:
            self.skipTest("no rules/*.yml yet")

        def evaluated_rules():
            _, _, body = lib.http_get(self.prometheus_url + "/api/v1/rules")
            groups = json.loads(body.decode("utf-8"))["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            pending = [r for r in rules if r.get("lastEvaluation", "").startswith("0001-")]
            return None if pending else rules
        rules = lib.wait_until(evaluated_rules, timeout=30, message="every rule evaluated",
                               daemon=self.prometheus)
        self.assertTrue(rules, "rule files loaded but no rules found")
        for rule in rules:
            name = rule.get("name")
            with self.subTest(rule=name, query=rule["query"]):
                self.assertNotEqual(rule.get("health"), "err", rule.get("lastError"))
                ok, data = self.query(rule["query"])
                self.assertTrue(ok, data)


if __name__ == "__main__":
    lib.main()
