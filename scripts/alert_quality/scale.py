"""Time-compressed copies of the shipped rules and Alertmanager routes.

A scenario plays a simulated day F times faster than the wall clock (its
`compression`), and the simulator writes every timestamp as the wall instant,
so every duration the alerting chain reads must be divided by F too. The
copies are DERIVED from the shipped files by this module, mechanically, each
time a scenario runs; nobody edits a scaled copy, so it cannot drift.

Rules (rules/*.yml), per rule:
  - `for:` and `keep_firing_for:`, and a group's `interval:`;
  - in `expr`, every range selector and subquery (`[30m]`, `[1h:1m]`) and
    every `offset` duration;
  - numbers that are durations in seconds:
      * the right operand of a comparison whose left operand is a
        parenthesised difference starting with `time()` or with a
        `..._timestamp_seconds` series, e.g. `(time() - x) > 1800`,
        `(time() - (x > 0)) > 900` or
        `(poll_success_timestamp_seconds - on (job) group_right
        progress_timestamp_seconds) > 1800` (an age as of the last poll);
      * the second argument of `predict_linear` (seconds ahead).
  Durations are divided by F and rounded to the millisecond (at least 1ms),
  written in one unit (`7500ms`, `90s`); numbers keep up to 6 decimals
  (`7.5`, `3.75`). Text that does not change (F = 1) is kept as it is, so
  the copy at F = 1 is identical to the shipped rules (tested).
  Guard against drift: in an alerting rule, a `time()` that is not the start
  of such a comparison, a difference starting with a timestamp series that
  no comparison follows, a bracket that is not a range or subquery, or a
  `predict_linear` whose horizon is not a number literal raises ScaleError:
  a new kind of duration in a rule stops every scenario run until this
  module learns it. Recording rules get the same scaling of their ranges
  (their `time()` values are ages, not thresholds, and stay as they are).
  String literals and comments in expressions are never touched.

Alertmanager (alertmanager/alertmanager.yml): group_wait, group_interval and
repeat_interval on every route, recursively (YAML anchors such as the shared
`&throttles` are expanded by the YAML loader, and each copy is scaled once),
and global.resolve_timeout (Alertmanager's defaults are written, scaled, at
the root when the shipped file omits them). One clamp: the runner raises a
scaled group_wait to two rule evaluations (stack.min_group_wait_ms), the
ratio of production's 30s to a 15s evaluation, so that, as there, a
condition seen by a single evaluation resolves before its first
notification. Receivers are pointed at the local sinks by
scripts/local_alertmanager.py; in addition each Slack config gets its own URL
path, /slack/<receiver>, so the sink tells the receivers apart.

Every scaled value is listed as a change {file, group, rule, kind, before,
after}; kinds: for, keep_firing_for, interval, range, subquery_step, offset,
threshold, predict_linear, and for Alertmanager the key name.
"""

import copy
import os
import re
import sys

import yaml

from alert_quality import durations

SCRIPTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)
import local_alertmanager as local_am  # noqa: E402

ROUTE_TIMINGS = ("group_wait", "group_interval", "repeat_interval")
RULE_DURATIONS = ("for", "keep_firing_for")
# Alertmanager 0.25's defaults, scaled too when the shipped file omits them.
AM_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
               "resolve_timeout": "5m"}
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_COMPARISON = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*(?:bool\s+)?(%s)(?![\w.])" % _NUMBER)
_RANGE = re.compile(r"\[\s*(%s)\s*(?::\s*(%s)?\s*)?\]"
                    % (durations.DURATION_RE, durations.DURATION_RE))
_OFFSET = re.compile(r"\boffset\s+-?(%s)" % durations.DURATION_RE)
_TIME = re.compile(r"\btime\s*\(\s*\)")
# A timestamp series: the start of an age when a difference begins with it.
_TIMESTAMP = re.compile(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*_timestamp_seconds\b(\s*\{[^}]*\})?")
_PREDICT = re.compile(r"\bpredict_linear\s*\(")


class ScaleError(ValueError):
    """A rule or route the derivation does not know how to scale."""


# ---------------------------------------------------------------------------
# PromQL expressions.

def _mask(expr):
    """expr with string literals and comments blanked (same length), so that
    positions found in the mask are positions in expr."""
    out = list(expr)
    i = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < len(expr) and expr[j] != c:
                j += 2 if expr[j] == "\\" and c != "`" else 1
            for k in range(i + 1, min(j, len(expr))):
                out[k] = " "
            i = j + 1
        elif c == "#":
            while i < len(expr) and expr[i] != "\n":
                out[i] = " "
                i += 1
        else:
            i += 1
    return "".join(out)


def _closing(masked, open_index):
    """Index of the parenthesis closing the one at open_index."""
    depth = 0
    for i in range(open_index, len(masked)):
        if masked[i] == "(":
            depth += 1
        elif masked[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ScaleError("unbalanced parenthesis at %d" % open_index)


def _top_level_commas(masked, start, end):
    commas, depth = [], 0
    for i in range(start, end):
        if masked[i] in "([{":
            depth += 1
        elif masked[i] in ")]}":
            depth -= 1
        elif masked[i] == "," and depth == 0:
            commas.append(i)
    return commas


def scale_expr(expr, factor, strict=True):
    """(scaled expr, [(kind, before, after)]) for one PromQL expression.

    strict (alerting rules): ScaleError for a time() that does not start a
    `(time() - ...) <op> N` comparison and for an unknown bracket."""
    masked = _mask(expr)
    edits = []  # (start, end, kind, scaled text)

    def duration_edit(match, group, kind):
        text = match.group(group)
        if text is not None:
            new, _ = durations.divide_duration(text, factor)
            edits.append((match.start(group), match.end(group), kind, new))

    ranges = list(_RANGE.finditer(masked))
    for match in ranges:
        duration_edit(match, 1, "range")
        duration_edit(match, 2, "subquery_step")
    covered = {m.start() for m in ranges}
    for i, c in enumerate(masked):
        if c == "[" and i not in covered:
            raise ScaleError("a bracket that is not a range or subquery: %r"
                             % expr[i:i + 30])
    for match in _OFFSET.finditer(masked):
        duration_edit(match, 1, "offset")

    for match in _PREDICT.finditer(masked):
        open_index = match.end() - 1
        close = _closing(masked, open_index)
        commas = _top_level_commas(masked, open_index + 1, close)
        end = commas[1] if len(commas) > 1 else close
        if not commas:
            raise ScaleError("predict_linear without a horizon: %r" % expr)
        arg = expr[commas[0] + 1:end]
        if not re.fullmatch(r"\s*%s\s*" % _NUMBER, arg):
            raise ScaleError("predict_linear horizon is not a number: %r" % arg)
        start = commas[0] + 1 + (len(arg) - len(arg.lstrip()))
        text = arg.strip()
        edits.append((start, start + len(text), "predict_linear",
                      durations.divide_number(text, factor)))

    def age_threshold(match):
        """The threshold edit of `(<match> - ...) <op> N`; None when match
        does not start a parenthesised difference, False when no comparison
        follows it."""
        before = masked[:match.start()].rstrip()
        after = masked[match.end():].lstrip()
        if not (before.endswith("(") and after.startswith("-")):
            return None
        comparison = _COMPARISON.match(masked, _closing(masked, len(before) - 1) + 1)
        if not comparison:
            return False
        text = comparison.group(2)
        return (comparison.start(2), comparison.end(2), "threshold",
                durations.divide_number(text, factor))

    for match in _TIME.finditer(masked):
        edit = age_threshold(match)
        if edit:
            edits.append(edit)
        elif strict:
            raise ScaleError("time() outside a `(time() - ...) <op> N` comparison: %r"
                             % expr.strip())
    for match in _TIMESTAMP.finditer(masked):
        edit = age_threshold(match)
        if edit:
            edits.append(edit)
        elif edit is False and strict:
            raise ScaleError("a difference of timestamps outside a `(t - ...) <op> N` "
                             "comparison: %r" % expr.strip())

    changes = []
    out = expr
    for start, end, kind, new in sorted(edits, reverse=True):
        changes.append((kind, expr[start:end], new))
        out = out[:start] + new + out[end:]
    changes.reverse()
    return out, changes


# ---------------------------------------------------------------------------
# Rule files.

def scale_rules_doc(doc, factor, source="", overrides=None):
    """(scaled copy of a loaded rule file, changes). overrides {alert: expr}
    replace an alert's expression in the copy, verbatim (not scaled), and
    {"<alert>.for": duration} its `for` (a simulated duration, scaled like
    the shipped one): the way to break a rule on purpose."""
    overrides = overrides or {}
    doc = copy.deepcopy(doc)
    changes = []

    def note(group, rule, kind, before, after):
        changes.append({"file": source, "group": group, "rule": rule,
                        "kind": kind, "before": before, "after": after})

    for group in doc.get("groups") or []:
        gname = group.get("name", "")
        if "interval" in group:
            new, _ = durations.divide_duration(group["interval"], factor)
            note(gname, "", "interval", group["interval"], new)
            group["interval"] = new
        for rule in group.get("rules") or []:
            name = rule.get("alert") or rule.get("record")
            if rule.get("alert") and name + ".for" in overrides:
                note(gname, name, "override_for", str(rule.get("for", "0s")),
                     overrides[name + ".for"])
                rule["for"] = overrides[name + ".for"]
            for key in RULE_DURATIONS:
                if key in rule:
                    new, _ = durations.divide_duration(rule[key], factor)
                    note(gname, name, key, str(rule[key]), new)
                    rule[key] = new
            try:
                expr, expr_changes = scale_expr(str(rule["expr"]), factor,
                                                strict="alert" in rule)
            except ScaleError as e:
                raise ScaleError("%s: rule %s: %s" % (source, name, e)) from None
            for kind, before, after in expr_changes:
                note(gname, name, kind, before, after)
            rule["expr"] = expr
            if rule.get("alert") in overrides:
                note(gname, name, "override", rule["expr"], overrides[name])
                rule["expr"] = overrides[name]
    return doc, changes


def rule_files(rules_dir):
    """The shipped rule files: rules_dir/*.yml (not its tests/)."""
    return sorted(os.path.join(rules_dir, n) for n in os.listdir(rules_dir)
                  if n.endswith((".yml", ".yaml"))
                  and os.path.isfile(os.path.join(rules_dir, n)))


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def write_scaled_rules(rules_dir, out_dir, factor, overrides=None):
    """Writes out_dir/<name>.yml for every rules_dir/*.yml scaled by factor;
    returns (paths, changes, {alert name: scaled rule}). An override naming
    no alert raises ScaleError."""
    overrides = dict(overrides or {})
    os.makedirs(out_dir, exist_ok=True)
    paths, changes, alerts = [], [], {}
    for path in rule_files(rules_dir):
        doc, file_changes = scale_rules_doc(load_yaml(path), factor,
                                            os.path.basename(path), overrides)
        out = os.path.join(out_dir, os.path.basename(path))
        with open(out, "w", encoding="utf-8") as f:
            f.write(_header(path, factor) + dump(doc))
        paths.append(out)
        changes.extend(file_changes)
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule:
                    alerts[rule["alert"]] = rule
    unknown = sorted(name for name in overrides
                     if name not in alerts and not (name.endswith(".for")
                                                    and name[:-len(".for")] in alerts))
    if unknown:
        raise ScaleError("--rule-override names no alert: %s" % ", ".join(unknown))
    return paths, changes, alerts


def _split_top(masked, start, end, words):
    """(operator, start, end) operands of masked[start:end] split at the
    depth-0 keywords in words; the first operator is None."""
    parts, depth, last, op = [], 0, start, None
    pattern = re.compile(r"\b(%s)\b" % "|".join(words))
    i = start
    while i < end:
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            match = pattern.match(masked, i)
            if match and (i == 0 or not (masked[i - 1].isalnum() or masked[i - 1] == "_")):
                parts.append((op, last, i))
                op, last = match.group(1), match.end()
                i = match.end()
                continue
        i += 1
    parts.append((op, last, end))
    return parts


def _persistence(masked, start, end):
    text = masked[start:end]
    stripped = text.strip()
    offset = start + len(text) - len(text.lstrip())
    if stripped.startswith("(") and _closing(masked, offset) == offset + len(stripped) - 1:
        return _persistence(masked, offset + 1, offset + len(stripped) - 1)
    alternatives = _split_top(masked, start, end, ("or",))
    if len(alternatives) > 1:
        return max(_persistence(masked, s, e) for _, s, e in alternatives)
    operands = _split_top(masked, start, end, ("and", "unless"))
    if len(operands) > 1:
        return min(_persistence(masked, s, e) for op, s, e in operands if op != "unless")
    found = [durations.seconds(m.group(1)) for m in _RANGE.finditer(text)]
    found += [durations.seconds(m.group(1)) for m in _OFFSET.finditer(text)]
    return max(found or [0.0])


def alert_persistence_s(rule):
    """How long (wall seconds, scaled rule) an alert may go on firing after
    the condition that caused it ended: its longest range selector or offset
    (`increase(x[30m]) > 2` holds up to 30m after the last failure), where
    `a and b` holds no longer than the shorter of a and b, `a or b` as long
    as the longer and `a unless b` as long as a; plus keep_firing_for. (`for`
    delays the start only: an alert fires while its condition holds.)"""
    masked = _mask(str(rule["expr"]))
    extra = durations.seconds(rule["keep_firing_for"]) if "keep_firing_for" in rule else 0.0
    return _persistence(masked, 0, len(masked)) + extra


# ---------------------------------------------------------------------------
# Alertmanager.

def scale_alertmanager_doc(doc, factor, min_group_wait_ms=0):
    """(scaled copy of a loaded alertmanager.yml, changes). Routes are copied
    one by one, so a route list shared through a YAML anchor is scaled once
    per place it appears. A scaled group_wait below min_group_wait_ms is
    raised to it (the change says "clamped")."""
    changes = []

    def scale_value(where, key, text):
        new, ms = durations.divide_duration(text, factor)
        change = {"file": "alertmanager.yml", "group": where, "rule": "",
                  "kind": key, "before": str(text), "after": new}
        if key == "group_wait" and ms < min_group_wait_ms:
            new = change["after"] = durations.format_ms(min_group_wait_ms)
            change["clamped"] = True
        changes.append(change)
        return new

    def scale_route(route, where):
        new = {}
        for key, value in route.items():
            if key in ROUTE_TIMINGS:
                new[key] = scale_value(where, key, value)
            elif key == "routes":
                new[key] = [scale_route(child, "%s.routes[%d]" % (where, i))
                            for i, child in enumerate(value or [])]
            else:
                new[key] = copy.deepcopy(value)
        return new

    root = dict(doc["route"])
    for key in ROUTE_TIMINGS:  # Alertmanager's defaults, made explicit
        root.setdefault(key, AM_DEFAULTS[key])
    out = {k: scale_route(root, "route") if k == "route" else copy.deepcopy(v)
           for k, v in doc.items()}
    global_section = out.setdefault("global", {})
    global_section["resolve_timeout"] = scale_value(
        "global", "resolve_timeout", global_section.get("resolve_timeout",
                                                        AM_DEFAULTS["resolve_timeout"]))
    return out, changes


def slack_path(receiver):
    """The sink path of a receiver's Slack messages."""
    return "%s/%s" % (local_am.SLACK_PATH, receiver)


def point_slack_per_receiver(doc, http_url):
    """Gives each receiver's Slack configs the URL http_url/slack/<receiver>."""
    for receiver in doc.get("receivers") or []:
        for slack in receiver.get("slack_configs") or []:
            slack["api_url"] = http_url + slack_path(receiver["name"])
    return doc


def write_scaled_alertmanager(directory, http_url, smtp_address, factor, min_group_wait_ms=0,
                              source_dir=local_am.AM_DIR):
    """The scaled local Alertmanager configuration (receivers at the sinks,
    scripts/local_alertmanager.py) in directory, from source_dir's
    alertmanager.yml and templates/ (default: the shipped ones); returns
    (path, loaded scaled configuration, changes)."""
    result = {}

    def edit(text):
        doc, changes = scale_alertmanager_doc(yaml.safe_load(text), factor, min_group_wait_ms)
        result.update(doc=point_slack_per_receiver(doc, http_url), changes=changes)
        return _header(os.path.join(source_dir, "alertmanager.yml"),
                       factor) + dump(result["doc"])

    path = local_am.write_local_config(directory, http_url, smtp_address, edit, source_dir)
    return path, result["doc"], result["changes"]


# ---------------------------------------------------------------------------
# YAML output.

class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases."""

    def ignore_aliases(self, data):
        return True


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(doc):
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def _header(source, factor):
    return ("# GENERATED by scripts/alert_quality/scale.py from %s, every\n"
            "# duration divided by %s (docs/alert-quality.md). Do not edit.\n"
            % (os.path.relpath(source, os.path.dirname(SCRIPTS_DIR)),
               durations.format_number(factor)))
