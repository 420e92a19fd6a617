"""The Grafana dashboards (grafana/dashboards/*.json) pass the fleet rules of
grafana/dashboard-linter (https://github.com/grafana/dashboard-linter,
lint/rule_*.go), re-implemented here:

  template-datasource-rule  a datasource variable named datasource (or
                            <type>_datasource), labelled "Data source"
  template-job-rule         a job query variable on $datasource, labelled
  template-instance-rule    "Job" / "Instance", multi-value, allValue ".+"
  panel-datasource-rule     singlestat, graph, table and timeseries panels
                            use the datasource variable
  target-job-rule           every selector of every panel query has
  target-instance-rule      job=~"$job" / instance=~"$instance"

As in the linter, the job, instance and target rules apply only when the
dashboard's first datasource variable is a Prometheus one; variables outside
double quotes are replaced by sample values before a query is parsed (so
instance=~'$instance' or "${instance}" do not count); a query the linter
cannot parse is skipped by the target rules (its target-promql-rule reports
it): here the dashboards' queries must also parse. Warnings (labels) fail the
test as errors do. Each rule is checked to report a broken copy of a
dashboard, and the selector extraction against the linter's own test cases.

Run by ctest as: python3 test_dashboard_lint.py --binary PATH --source-dir DIR
(the binary is not used). Standard library only.
"""

import copy
import datetime
import json
import os
import re
import unittest
import urllib.parse

import pe_testlib as lib

ARGS = lib.parse_args()

DASHBOARD_DIR = os.path.join(ARGS.source_dir, "grafana", "dashboards")
DASHBOARDS = ("pipeline-overview.json", "pipeline-run.json")
PROMETHEUS = "prometheus"
ERROR, WARNING = "error", "warning"


def load(name):
    with open(os.path.join(DASHBOARD_DIR, name), encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# The dashboard model of lint/lint.go.

def get_datasource(raw):
    """(uid, error) as Datasource.GetDataSource: None, a string or {uid, type}."""
    if raw is None:
        return "", None
    if isinstance(raw, str):
        return raw, None
    if isinstance(raw, dict):
        if "uid" not in raw:
            return "", "invalid type for field 'datasource': missing uid field"
        if not isinstance(raw["uid"], str):
            return "", ("invalid type for field 'datasource': invalid uid field type, "
                        "should be string")
        return raw["uid"], None
    return "", "invalid type for field 'datasource': %r" % (raw,)


def template_query(template):
    """Template.Query: the query string, or the query field of a query object."""
    if template.get("type") in ("adhoc", "custom"):
        return ""
    query = template.get("query")
    if isinstance(query, dict):
        return query.get("query", "")
    return query if isinstance(query, str) else ""


def templates(dashboard):
    return dashboard.get("templating", {}).get("list", [])


def templates_by_type(dashboard, kind):
    return [t for t in templates(dashboard) if t.get("type", "").lower() == kind.lower()]


def template_named(dashboard, name):
    return next((t for t in templates(dashboard) if t.get("name") == name), None)


def prometheus_dashboard(dashboard):
    """The first datasource variable exists and is a Prometheus one."""
    datasources = templates_by_type(dashboard, "datasource")
    return bool(datasources) and template_query(datasources[0]) == PROMETHEUS


def panel_tree(panel):
    yield panel
    for nested in panel.get("panels", []):
        yield from panel_tree(nested)


def get_panels(dashboard):
    """Dashboard.GetPanels: panels of the old rows, then every panel nested or not."""
    for row in dashboard.get("rows", []):
        for panel in row.get("panels", []):
            yield from panel_tree(panel)
    for panel in dashboard.get("panels", []):
        yield from panel_tree(panel)


def title_case(word):
    return word[:1].upper() + word[1:].lower()


# ---------------------------------------------------------------------------
# Variable expansion (lint/variables.go), so that queries parse.

GLOBAL_VARIABLES = {
    "__rate_interval": "8869990787ms", "__interval": "4867856611ms",
    "__interval_ms": "7781188786", "__range_ms": "6737667980", "__range_s": "9397795485",
    "__range": "6069770749ms", "__dashboard": "AwREbnft",
    "__from": datetime.datetime(2020, 7, 13, 20, 19, 9, 254000,
                                tzinfo=datetime.timezone.utc),
    "__to": datetime.datetime(2020, 7, 13, 20, 19, 9, 254000, tzinfo=datetime.timezone.utc),
    "__name": "name", "__org": 42, "__org.name": "orgname", "__user.id": 42,
    "__user.login": "user", "__user.email": "user@test.com",
    "timeFilter": "time > now() - 7d", "__timeFilter": "time > now() - 7d", "__auto": "12345ms",
}
_VARIABLE = re.compile(r"\$(\w+)|\$\{([^}]+)\}|\[\[([^\[\]]+)\]\]")


def string_value(name, value, kind, fmt):
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        if kind == "date":
            if fmt == "seconds":
                return str(int(value.timestamp()))
            if fmt == "iso":
                return value.strftime("%Y-%m-%dT%H:%M:%SZ")
            raise ValueError("unsupported momentjs time format: %s" % fmt)
        if fmt == "date":
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(int(value.timestamp() * 1000))
    text = str(value)
    values = [text] * 3
    joined = {
        "csv": ",".join(values), "doublequote": '"' + '","'.join(values) + '"',
        "glob": "{" + ",".join(values) + "}", "json": json.dumps(values, separators=(",", ":")),
        "lucene": '("' + '" OR "'.join(values) + '")',
        "percentencode": urllib.parse.quote_plus(",".join(values)),
        "pipe": "|".join(values), "raw": ",".join(values), "regex": "|".join(values),
        "singlequote": "'" + "','".join(values) + "'",
        "sqlstring": "'" + "','".join(values) + "'", "text": " + ".join(values),
        "queryparam": urllib.parse.urlencode([("var-" + name, v) for v in values]),
    }
    return joined.get(fmt, text)


def first_value(raw):
    value = raw.get("value", "") if isinstance(raw, dict) else ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def sample_value(spec, variables):
    parts = spec.split(":")
    if len(parts) > 3:
        raise ValueError("unknown variable format: %s" % spec)
    name = parts[0]
    kind = parts[1] if len(parts) == 3 else ""
    fmt = parts[-1] if len(parts) > 1 else ""
    if name in GLOBAL_VARIABLES:
        return string_value(name, GLOBAL_VARIABLES[name], kind, fmt)
    if name.startswith("__auto_interval"):
        return "10s"
    others = [v for v in variables if v.get("name") != name]
    for variable in variables:
        if variable.get("name") != name:
            continue
        current = first_value(variable.get("current") or {})
        if current:
            return expand_variables(current, others)
        if variable.get("options"):
            return expand_variables(first_value(variable["options"][0]), others)
    return string_value(name, name, kind, fmt)


def expand_variables(expr, variables):
    """Replaces variables outside double-quoted parts, as expandVariables does."""
    parts = expr.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = _VARIABLE.sub(
            lambda m: sample_value(next(g for g in m.groups() if g is not None), variables),
            parts[i])
    return '"'.join(parts)


# ---------------------------------------------------------------------------
# PromQL: the label matchers of every vector selector (parser.ExtractSelectors).

class PromQLError(ValueError):
    pass


_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`)
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:[a-zA-Z]+\d*)*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=@,(){}\[\]])
""", re.X)
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "atan2"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
AGGREGATORS = {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk",
               "bottomk", "count_values", "quantile", "limitk", "limit_ratio"}
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", '"': '"', "'": "'"}


def tokenize(expr):
    tokens, pos = [], 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if not match:
            raise PromQLError("unexpected character %r at %d" % (expr[pos], pos))
        pos = match.end()
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
    return tokens


def unquote(literal):
    if literal[0] == "`":
        return literal[1:-1]
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _close(tokens, i, opening, closing):
    """Index just after the bracket that closes the one at tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j][1] == opening:
            depth += 1
        elif tokens[j][1] == closing:
            depth -= 1
            if depth == 0:
                return j + 1
    raise PromQLError("unclosed %r" % opening)


def _matchers(tokens, i, end):
    """[(name, op, value)] of the matcher list tokens[i] '{' ... '}' tokens[end-1]."""
    found, j = [], i + 1
    while j < end - 1:
        if tokens[j][1] == ",":
            j += 1
            continue
        name, op, value = tokens[j:j + 3]
        if (name[0] not in ("ident", "string") or op[1] not in ("=", "!=", "=~", "!~")
                or value[0] != "string"):
            raise PromQLError("bad label matcher near %r" % name[1])
        label = unquote(name[1]) if name[0] == "string" else name[1]
        found.append((label, op[1], unquote(value[1])))
        j += 3
    return found


def extract_selectors(expr):
    """The matchers of every vector selector of expr, a metric name as __name__."""
    tokens = tokenize(expr)
    depth = 0
    for _, text in tokens:
        depth += {"(": 1, ")": -1}.get(text, 0)
        if depth < 0:
            raise PromQLError("unexpected )")
    if depth:
        raise PromQLError("unclosed (")
    selectors, i = [], 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if text == "[":
            i = _close(tokens, i, "[", "]")  # range, or subquery range and step
        elif kind == "ident" and text.lower() in LABEL_LIST_KEYWORDS and following == "(":
            i = _close(tokens, i + 1, "(", ")")
        elif kind == "ident" and text.lower() == "offset":
            i += 2
        elif text == "@":
            i += 2 if following != "-" else 3
        elif kind == "ident" and (text.lower() in KEYWORDS or text.lower() in ("inf", "nan")
                                  or following == "("
                                  or (text in AGGREGATORS and following in ("by", "without"))):
            i += 1
        elif kind == "ident" or text == "{":
            matchers = [] if text == "{" else [("__name__", "=", text)]
            start = i if text == "{" else i + 1
            if start < len(tokens) and tokens[start][1] == "{":
                end = _close(tokens, start, "{", "}")
                matchers += _matchers(tokens, start, end)
                i = end
            else:
                i = start
            selectors.append(matchers)
        elif text == "}" or text == "]":
            raise PromQLError("unexpected %r" % text)
        else:
            i += 1
    return selectors


def parse_promql(expr, variables):
    return extract_selectors(expand_variables(expr, variables))


def check_for_matcher(selector, name, op, value):
    """None, or the error of target_utils.go checkForMatcher."""
    result = "%s selector not found" % name
    for label, match_op, match_value in selector:
        if label != name:
            continue
        if match_op == op and match_value == value:
            return None
        if match_op != op:
            result = "%s selector is %s, not %s" % (name, match_op, op)
        if match_value != value:
            result = "%s selector is %s, not %s" % (name, match_value, value)
    return result


# ---------------------------------------------------------------------------
# The rules. Each returns [(severity, message)].

def rule_template_datasource(dashboard):
    results = []
    datasources = templates_by_type(dashboard, "datasource")
    if not datasources:
        results.append((ERROR, "does not have a templated data source"))
    for template in datasources:
        query = template_query(template)
        uid = "%s_datasource" % query.lower()
        label = "%s data source" % title_case(query)
        uids, labels = {uid}, {label}
        uid_error = ("templated data source variable named '%s', should be named '%s'"
                     % (template.get("name", ""), uid))
        label_error = ("templated data source variable labeled '%s', should be labeled '%s'"
                       % (template.get("label", ""), label))
        if len(datasources) == 1:
            uids.add("datasource")
            labels.add("Data source")
            uid_error += ", or 'datasource'"
            label_error += ", or 'Data source'"
        if template.get("name", "") not in uids:
            results.append((ERROR, uid_error))
        if template.get("label", "") not in labels:
            results.append((WARNING, label_error))
    return results


def check_template(dashboard, name):
    template = template_named(dashboard, name)
    if template is None:
        return [(ERROR, "is missing the %s template" % name)]
    results = []
    uid, error = get_datasource(template.get("datasource"))
    if error:
        results.append((ERROR, "%s template has invalid datasource %s" % (name, error)))
    if uid not in ("$datasource", "${datasource}", "$prometheus_datasource",
                   "${prometheus_datasource}"):
        results.append((ERROR, "%s template should use datasource '$datasource', is currently "
                        "'%s'" % (name, uid)))
    if template.get("type") != "query":
        results.append((ERROR, "%s template should be a Prometheus query, is currently '%s'"
                        % (name, template.get("type"))))
    if template.get("label", "") != title_case(name):
        results.append((WARNING, "%s template should be a labeled '%s', is currently '%s'"
                        % (name, title_case(name), template.get("label", ""))))
    if not template.get("multi"):
        results.append((ERROR, "%s template should be a multi select" % name))
    if template.get("allValue", "") != ".+":
        results.append((ERROR, "%s template allValue should be '.+', is currently '%s'"
                        % (name, template.get("allValue", ""))))
    return results


def rule_template_job(dashboard):
    return check_template(dashboard, "job") if prometheus_dashboard(dashboard) else []


def rule_template_instance(dashboard):
    return check_template(dashboard, "instance") if prometheus_dashboard(dashboard) else []


PANEL_DATASOURCE_TYPES = ("singlestat", "graph", "table", "timeseries")


def rule_panel_datasource(dashboard):
    available = set()
    for template in templates_by_type(dashboard, "datasource"):
        available |= {"$%s" % template.get("name", ""), "${%s}" % template.get("name", "")}
    results = []
    for panel in get_panels(dashboard):
        if panel.get("type") not in PANEL_DATASOURCE_TYPES:
            continue
        where = "panel '%s'" % panel.get("title", "")
        uid, error = get_datasource(panel.get("datasource"))
        if error:
            results.append((ERROR, "%s has invalid datasource: %s'" % (where, error)))
        if uid not in available:
            results.append((ERROR, "%s does not use a templated datasource, uses '%s'"
                            % (where, uid)))
    return results


def target_matcher_rule(matcher):
    def rule(dashboard):
        if not prometheus_dashboard(dashboard):
            return []
        results = []
        for panel in get_panels(dashboard):
            for idx, target in enumerate(panel.get("targets") or []):
                expr = target.get("expr", "")
                try:
                    selectors = parse_promql(expr, templates(dashboard))
                except (PromQLError, ValueError):
                    continue  # invalid PromQL is another rule's
                for selector in selectors:
                    error = check_for_matcher(selector, matcher, "=~", "$" + matcher)
                    if error:
                        results.append((ERROR, "panel '%s', target idx '%d' invalid PromQL "
                                        "query '%s': %s" % (panel.get("title", ""), idx,
                                                            expr, error)))
        return results
    return rule


RULES = {
    "template-datasource-rule": rule_template_datasource,
    "template-job-rule": rule_template_job,
    "template-instance-rule": rule_template_instance,
    "panel-datasource-rule": rule_panel_datasource,
    "target-job-rule": target_matcher_rule("job"),
    "target-instance-rule": target_matcher_rule("instance"),
}


def lint(dashboard):
    """{rule name: [(severity, message)]} of the rules that report something."""
    found = {}
    for name, rule in RULES.items():
        results = rule(dashboard)
        if results:
            found[name] = results
    return found


# ---------------------------------------------------------------------------

def prometheus_targets(dashboard):
    for panel in get_panels(dashboard):
        for target in panel.get("targets") or []:
            yield panel, target


class DashboardLintTest(unittest.TestCase):
    def test_dashboards_pass_the_rules(self):
        for name in DASHBOARDS:
            with self.subTest(dashboard=name):
                self.assertEqual(lint(load(name)), {})

    def test_every_panel_query_parses(self):
        # The target rules skip what they cannot parse: nothing may be skipped.
        for name in DASHBOARDS:
            dashboard = load(name)
            targets = list(prometheus_targets(dashboard))
            self.assertTrue(targets)
            for panel, target in targets:
                with self.subTest(dashboard=name, panel=panel["title"], target=target["refId"]):
                    self.assertTrue(parse_promql(target["expr"], templates(dashboard)))

    def test_dashboards_are_linted_as_prometheus_dashboards(self):
        # Otherwise the job, instance and target rules check nothing.
        for name in DASHBOARDS:
            with self.subTest(dashboard=name):
                dashboard = load(name)
                self.assertTrue(prometheus_dashboard(dashboard))
                self.assertTrue([p for p in get_panels(dashboard)
                                 if p.get("type") in PANEL_DATASOURCE_TYPES])


def broken(name, change):
    dashboard = copy.deepcopy(load(name))
    change(dashboard)
    return dashboard


def first_panel(dashboard, kind):
    return next(p for p in get_panels(dashboard) if p.get("type") == kind)


def drop_instance_matcher(dashboard):
    target = first_panel(dashboard, "timeseries")["targets"][0]
    without = target["expr"].replace(', instance=~"$instance"', "", 1)
    assert without != target["expr"]
    target["expr"] = without


def job_equality_matcher(dashboard):
    target = first_panel(dashboard, "stat")["targets"][0]
    target["expr"] = target["expr"].replace('job=~"$job"', 'job="$job"', 1)


def bare_selector(dashboard):
    # A selector without braces has neither matcher.
    first_panel(dashboard, "stat")["targets"][0]["expr"] = (
        'sum(pipeline_runs{job=~"$job", instance=~"$instance"}) / sum(pipeline_runs)')


def hard_coded_datasource(dashboard):
    first_panel(dashboard, "timeseries")["datasource"] = {"type": "prometheus",
                                                          "uid": "P1809F7CD0C75ACF3"}


def without_variable(name):
    def change(dashboard):
        dashboard["templating"]["list"] = [t for t in templates(dashboard)
                                           if t["name"] != name]
    return change


def variable_field(name, key, value):
    def change(dashboard):
        template_named(dashboard, name)[key] = value
    return change


# (rule, what is broken, the change): each rule must report its broken copy.
BREAKAGES = [
    ("template-datasource-rule", "no datasource variable", without_variable("datasource")),
    ("template-datasource-rule", "datasource variable renamed",
     variable_field("datasource", "name", "ds")),
    ("template-job-rule", "no job variable", without_variable("job")),
    ("template-job-rule", "job variable single-valued", variable_field("job", "multi", False)),
    ("template-job-rule", "job allValue .*", variable_field("job", "allValue", ".*")),
    ("template-instance-rule", "no instance variable", without_variable("instance")),
    ("template-instance-rule", "instance variable on a fixed data source",
     variable_field("instance", "datasource", {"type": "prometheus", "uid": "abc"})),
    ("template-instance-rule", "instance variable labelled otherwise",
     variable_field("instance", "label", "Exporter")),
    ("panel-datasource-rule", "hard-coded panel datasource", hard_coded_datasource),
    ("target-job-rule", "job=\"$job\" instead of =~", job_equality_matcher),
    ("target-job-rule", "a selector without braces", bare_selector),
    ("target-instance-rule", "a query without the instance matcher", drop_instance_matcher),
    ("target-instance-rule", "a selector without braces", bare_selector),
]


class RulesReportBrokenDashboardsTest(unittest.TestCase):
    def test_each_rule_reports_a_broken_copy_of_each_dashboard(self):
        for name in DASHBOARDS:
            for rule, what, change in BREAKAGES:
                with self.subTest(dashboard=name, rule=rule, broken=what):
                    found = lint(broken(name, change))
                    self.assertIn(rule, found)

    def test_a_query_without_the_instance_matcher_is_named(self):
        (result,) = lint(broken("pipeline-overview.json", drop_instance_matcher))[
            "target-instance-rule"]
        self.assertEqual(result[0], ERROR)
        self.assertTrue(result[1].endswith(": instance selector not found"), result[1])

    def test_a_hard_coded_datasource_is_named(self):
        found = lint(broken("pipeline-run.json", hard_coded_datasource))
        self.assertEqual(list(found), ["panel-datasource-rule"])
        ((severity, message),) = found["panel-datasource-rule"]
        self.assertEqual(severity, ERROR)
        self.assertIn("uses 'P1809F7CD0C75ACF3'", message)

    def test_a_missing_instance_variable_is_named(self):
        found = lint(broken("pipeline-run.json", without_variable("instance")))
        self.assertEqual(found, {"template-instance-rule": [
            (ERROR, "is missing the instance template")]})

    def test_rules_for_prometheus_skip_other_dashboards(self):
        # As the linter: without a Prometheus datasource variable only the
        # datasource rules speak.
        found = lint(broken("pipeline-overview.json", without_variable("datasource")))
        self.assertEqual(set(found), {"template-datasource-rule", "panel-datasource-rule"})


class LinterCasesTest(unittest.TestCase):
    """Cases of the linter's own tests (lint/rule_*_test.go)."""

    DASHBOARD = {"title": "dashboard",
                 "templating": {"list": [{"type": "datasource", "query": "prometheus"}]}}

    def target_errors(self, matcher, expr):
        dashboard = copy.deepcopy(self.DASHBOARD)
        dashboard["panels"] = [{"title": "panel", "type": "singlestat",
                                "targets": [{"expr": expr}]}]
        return [m.split(": ", 1)[1] for _, m in target_matcher_rule(matcher)(dashboard)]

    def test_target_job_and_instance_rules(self):
        for m in ("job", "instance"):
            with self.subTest(matcher=m):
                ok = ['sum(rate(foo{%s=~"$%s"}[5m]))' % (m, m),
                      'sum(rate(foo{%s="integrations/bar", %s=~"$%s"}[5m]))' % (m, m, m),
                      'sum(rate(foo{%s=~"$%s", %s="integrations/bar"}[5m]))' % (m, m, m),
                      "foo(bar.baz))"]
                for expr in ok:
                    self.assertEqual(self.target_errors(m, expr), [], expr)
                self.assertEqual(self.target_errors(m, "sum(rate(foo[5m]))"),
                                 ["%s selector not found" % m])
                self.assertEqual(self.target_errors(m, 'sum(rate(foo{%s="$%s"}[5m]))' % (m, m)),
                                 ["%s selector is =, not =~" % m])
                self.assertEqual(self.target_errors(m, 'sum(rate(foo{%s=~"$foo"}[5m]))' % m),
                                 ["%s selector is $foo, not $%s" % (m, m)])

    def test_panel_datasource_rule(self):
        def errors(datasource, name):
            dashboard = {"title": "test", "templating": {"list": (
                [{"type": "datasource", "name": name}] if name else [])},
                "panels": [{"type": "singlestat", "title": "bar", "datasource": datasource}]}
            return rule_panel_datasource(dashboard)
        self.assertEqual(errors("foo", None),
                         [(ERROR, "panel 'bar' does not use a templated datasource, uses 'foo'")])
        for name in ("datasource", "prometheus_datasource"):
            for form in ("$%s", "${%s}"):
                self.assertEqual(errors(form % name, name), [])
                self.assertEqual(errors({"type": "prometheus", "uid": form % name}, name), [])

    def test_template_datasource_rule(self):
        def results(*variables):
            return rule_template_datasource({"templating": {"list": [
                dict(v, type="datasource", query="prometheus") for v in variables]}})
        self.assertEqual(results(), [(ERROR, "does not have a templated data source")])
        self.assertEqual(results({"name": "datasource", "label": "Data source"}), [])
        self.assertEqual(results({"name": "prometheus_datasource",
                                  "label": "Prometheus data source"}), [])
        self.assertEqual(results({"name": "ds", "label": "Data source"}), [
            (ERROR, "templated data source variable named 'ds', should be named "
                    "'prometheus_datasource', or 'datasource'")])
        # Two datasource variables: each must be named after its type.
        self.assertEqual(len(results({"name": "datasource", "label": "Data source"},
                                     {"name": "prometheus_datasource",
                                      "label": "Prometheus data source"})), 2)

    def test_selectors_of_the_promql_forms_in_use(self):
        expr = ('sum by (job, instance) (rate(a{job=~"$job"}[5m] offset 1h)) '
                '* on (job, instance) group_left (project) b{x="}{"} '
                'or count_values("v", c) and {__name__="d"} unless max_over_time(e[1h:5m]) '
                '> bool 0 or topk(1, f @ end()) or histogram_quantile(0.5, g) + Inf')
        names = [dict((label, value) for label, _, value in s).get("__name__")
                 for s in extract_selectors(expr)]
        self.assertEqual(names, ["a", "b", "c", "d", "e", "f", "g"])
        for bad in ("sum(a", "a{b=c}", "a)"):
            with self.assertRaises(PromQLError, msg=bad):
                extract_selectors(bad)

    def test_variables_outside_double_quotes_are_expanded(self):
        variables = [{"name": "instance", "current": {"value": ["$__all"]}}]
        self.assertEqual(expand_variables("a{instance=~'$instance'}[$__rate_interval]",
                                          variables),
                         "a{instance=~'__all'}[8869990787ms]")
        self.assertEqual(expand_variables('a{instance=~"$instance"}', variables),
                         'a{instance=~"$instance"}')
        (selector,) = parse_promql("a{instance=~'$instance'}", variables)
        self.assertEqual(check_for_matcher(selector, "instance", "=~", "$instance"),
                         "instance selector is __all, not $instance")


if __name__ == "__main__":
    lib.main()
