"""A small model of Alertmanager's route tree (0.25 semantics), to know for
a notification the route it came from: its group_by (the group key of Slack
and email messages, which do not carry Alertmanager's) and its
repeat_interval (the storm check).

Routing: the root matches every alert; a child route is entered when all
its matchers match; the first matching child ends the search unless it has
`continue: true`; a route none of whose children match is where the alert
ends. Children inherit receiver, group_by and the three timings.
"""

import re

from alert_quality import durations

INHERITED = ("receiver", "group_by", "group_wait", "group_interval", "repeat_interval")
# Alertmanager's defaults for the root route.
DEFAULTS = {"group_by": [], "group_wait": "30s", "group_interval": "5m",
            "repeat_interval": "4h"}
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')


def parse_matcher(text):
    """(name, op, value) of a matcher string such as alertname=~"A|B"."""
    match = _MATCHER.match(text)
    if not match:
        raise ValueError("unsupported matcher %r" % text)
    name, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r'\\(.)', r"\1", value[1:-1])
    return name, op, value


def _route_matchers(route):
    found = [parse_matcher(m) for m in route.get("matchers") or []]
    found += [(k, "=", str(v)) for k, v in (route.get("match") or {}).items()]
    found += [(k, "=~", str(v)) for k, v in (route.get("match_re") or {}).items()]
    return found


def matches(matcher, labels):
    name, op, value = matcher
    actual = labels.get(name, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    found = re.fullmatch(value, actual) is not None
    return found if op == "=~" else not found


def leaves(route, labels, inherited=None, path="route"):
    """[{receiver, group_by, group_wait_s, group_interval_s,
    repeat_interval_s, path}] of every route the alert ends on."""
    settings = dict(inherited or DEFAULTS)
    settings.update({k: route[k] for k in INHERITED if k in route})
    results = []
    for i, child in enumerate(route.get("routes") or []):
        if all(matches(m, labels) for m in _route_matchers(child)):
            results.extend(leaves(child, labels, settings, "%s.routes[%d]" % (path, i)))
            if not child.get("continue", False):
                break
    if results:
        return results
    leaf = {"receiver": settings["receiver"], "group_by": list(settings["group_by"]),
            "path": path}
    for key in ("group_wait", "group_interval", "repeat_interval"):
        leaf[key + "_s"] = durations.seconds(settings[key])
    return [leaf]


def leaf_for(route, labels, receiver):
    """The route of labels that notifies receiver, or None."""
    for leaf in leaves(route, labels):
        if leaf["receiver"] == receiver:
            return leaf
    return None


def group_labels(leaf, labels):
    """The labels Alertmanager groups this alert by on that route."""
    if "..." in leaf["group_by"]:
        return dict(labels)
    return {k: labels[k] for k in leaf["group_by"] if k in labels}


def all_routes(route, path="route"):
    """(path, route) of every route of the tree, depth first."""
    yield path, route
    for i, child in enumerate(route.get("routes") or []):
        yield from all_routes(child, "%s.routes[%d]" % (path, i))
