"""When an alert of a notification is about an incident of the truth: the
windows, the label matching and the attribution every score shares. Pure.

timing: see score.py ("tolerance_s", "chain_s", "alerts": {alertname:
{"severity", "persistence_s", "group_interval_s"}}).
"""

import json

CHANNELS = {"critical": ("slack", "email", "webhook"),
            "warning": ("slack", "webhook"),
            "info": ("slack", "webhook")}


def alert_info(timing, alertname):
    return timing["alerts"].get(alertname, {})


def required_channels(timing, alertname):
    severity = alert_info(timing, alertname).get("severity")
    return CHANNELS.get(severity, ("webhook",))


def window(incident, expected, timing):
    """[start, end] (wall seconds) in which the expected alert may start."""
    persistence = alert_info(timing, expected["alertname"]).get("persistence_s", 0.0)
    return (incident["wall_start"] - timing["tolerance_s"],
            incident["wall_end"] + timing["chain_s"] + persistence + timing["tolerance_s"])


def resolution_due(incident, expected, timing):
    """When the expected alert's resolution must have been sent: its window
    closed, plus the group_interval of its routes (Alertmanager sends a
    group's changes at that pace)."""
    group_interval = alert_info(timing, expected["alertname"]).get("group_interval_s", 0.0)
    return window(incident, expected, timing)[1] + group_interval


def labels_match(expected, alert, label_names):
    if alert["labels"].get("alertname") != expected["alertname"]:
        return False
    for key, value in (expected.get("labels") or {}).items():
        if label_names is not None and key not in label_names:
            continue
        if alert["labels"].get(key) != value:
            return False
    return True


def started(notification, alert):
    """When the alert started: its startsAt, or the notification's time when
    the text shows none."""
    t = alert.get("startsAt")
    return notification["time"] if t is None else t


def _firing_in_window(notification, alert, incident, expected, timing):
    start, end = window(incident, expected, timing)
    if alert.get("startsAt") is None:
        end += alert_info(timing, expected["alertname"]).get("group_interval_s", 0.0)
    return start <= started(notification, alert) <= end


def mentions(notification, alert, incident, expected, timing):
    """Whether this alert of the notification is about this expected alert
    of this incident (firing: started in its window; resolved: ended after
    the incident began)."""
    if not labels_match(expected, alert, notification["label_names"]):
        return False
    if alert["status"] == "firing":
        return _firing_in_window(notification, alert, incident, expected, timing)
    start, _ = window(incident, expected, timing)
    ended = alert.get("endsAt") or notification["time"]
    began = alert.get("startsAt")
    return ended >= start and (began is None or
                               _firing_in_window(notification, alert, incident,
                                                 expected, timing))


def expected_alerts(truth):
    """(incident, index, expected alert) of every injected incident."""
    for incident in truth.get("incidents") or []:
        if incident.get("injected", True):
            for index, expected in enumerate(incident.get("alerts") or []):
                yield incident, index, expected


def attribute(notification, alert, truth, timing):
    """The (incident, index, expected alert) a firing alert belongs to: of
    those it is about (mentions), the incident that began last before the
    alert started (a second outage soon after a first is the second's).
    None when it is about none."""
    t = started(notification, alert)
    found = [(i, k, e) for i, k, e in expected_alerts(truth)
             if mentions(notification, alert, i, e, timing)]
    if not found:
        return None
    before = [f for f in found if f[0]["wall_start"] - timing["tolerance_s"] <= t]
    return max(before or found, key=lambda f: f[0]["wall_start"])


def unexplained(notification, alerts):
    """The record of a notification some of whose firing alerts (alerts)
    no incident explains."""
    return {"id": notification["id"], "channel": notification["channel"],
            "receiver": notification["receiver"], "time": notification["time"],
            "errors": notification["errors"],
            "alerts": [{"labels": a["labels"], "startsAt": a["startsAt"]} for a in alerts]}


def firing_alerts(notification):
    return [a for a in notification["alerts"] if a["status"] == "firing"]


def is_firing(notification):
    return bool(firing_alerts(notification)) or (
        notification["status"] == "firing" and bool(notification["errors"]))


def alert_key(alert):
    """One alert of Alertmanager as a channel shows it: its labels and when
    it started (an alert that resolved and fired again is a new one)."""
    return (json.dumps(alert["labels"], sort_keys=True), alert.get("startsAt"))


def most_within(times, span):
    """The most of the sorted times within any span (seconds)."""
    best = 0
    for i, first in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - first < span))
    return best
