"""score(truth, notifications, timing): how well the notifications of a run
match the simulator's ground truth. Pure: no binaries, no clock.

truth          TRUTH.json of `pipeline_exporter simulate --scenario`
               (incidents with wall_start, wall_end and expected alerts).
notifications  notifications.normalise(...): every Slack, email and
               webhook notification, by time.
timing         {"compression": F, "drain_end": wall time the recording
               stopped, "chain_s": exporter poll + scrape + evaluation +
               resend delay (wall seconds), "tolerance_s": clock slack (the
               templates print times to the second), "storm_tolerance_s",
               "alerts": {alertname: {"severity", "persistence_s",
               "group_interval_s"}} from the scaled rules and routes}.

Definitions (docs/alert-quality.md, "How the scorer decides"):
  window     of an expected alert e of incident i:
             [i.wall_start - tolerance, i.wall_end + chain_s +
             persistence_s(e) + tolerance]; persistence_s is how long the
             alert's expression can stay true after its cause ended
             (scale.alert_persistence_s: `increase(x[30m]) > 2` up to 30m).
  explained  a firing alert of a notification is explained when an injected
             incident expects its alertname with a subset of its labels
             (Slack and email: only the labels they show) and its startsAt
             (the notification time when the text shows none) lies in that
             incident's window. A notification is explained when all its
             firing alerts are (escalations included).
  recall     incidents every expected alert of which reached every channel
             its severity routes to (CHANNELS), firing, within the window /
             incidents injected; also per alert name.
  precision  explained firing notifications / firing notifications, overall
             and per channel. A message whose alerts cannot be read counts
             as unexplained.
  storm      two consecutive firing notifications of one (channel, group
             key) saying the same thing (the same firing and resolved
             alerts) closer than the route's repeat_interval minus
             storm_tolerance_s; a flap (fire, resolve, fire) is one too, as
             only firing notifications are compared. Also reported: the most
             firing notifications of one group within one repeat_interval
             (less storm_tolerance_s), per channel.
  resolution every expected alert whose resolution is due before drain_end
             (its window closed, plus its routes' group_interval) must be,
             on each of its channels, notified firing and then, in the last
             notification naming it, resolved.
  latency    first firing notification (any channel) - incident wall_start.
  pass       recall 1, precision 1, no storm, no missing resolution, every
             incident injected.
"""

import json
import statistics

CHANNELS = {"critical": ("slack", "email", "webhook"),
            "warning": ("slack", "webhook"),
            "info": ("slack", "webhook")}
DEFAULT_TIMING = {"tolerance_s": 1.5, "storm_tolerance_s": 1.0, "chain_s": 0.0,
                  "alerts": {}}


def _timing(timing):
    merged = dict(DEFAULT_TIMING)
    merged.update(timing)
    return merged


def _alert_info(timing, alertname):
    return timing["alerts"].get(alertname, {})


def required_channels(timing, alertname):
    severity = _alert_info(timing, alertname).get("severity")
    return CHANNELS.get(severity, ("webhook",))


def window(incident, expected, timing):
    """[start, end] (wall seconds) in which the expected alert may start."""
    persistence = _alert_info(timing, expected["alertname"]).get("persistence_s", 0.0)
    return (incident["wall_start"] - timing["tolerance_s"],
            incident["wall_end"] + timing["chain_s"] + persistence + timing["tolerance_s"])


def resolution_due(incident, expected, timing):
    """When the expected alert's resolution must have been sent: its window
    closed, plus the group_interval of its routes (Alertmanager sends a
    group's changes at that pace)."""
    group_interval = _alert_info(timing, expected["alertname"]).get("group_interval_s", 0.0)
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


def _firing_in_window(notification, alert, incident, expected, timing):
    start, end = window(incident, expected, timing)
    t = alert.get("startsAt")
    if t is None:  # no start time in the text: the notification's time
        t = notification["time"]
        end += _alert_info(timing, expected["alertname"]).get("group_interval_s", 0.0)
    return start <= t <= end


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


def _expected_alerts(truth):
    for incident in truth.get("incidents") or []:
        if incident.get("injected", True):
            for expected in incident.get("alerts") or []:
                yield incident, expected


def firing_alerts(notification):
    return [a for a in notification["alerts"] if a["status"] == "firing"]


def is_firing(notification):
    return bool(firing_alerts(notification)) or (
        notification["status"] == "firing" and bool(notification["errors"]))


def _recall(truth, notifications, timing):
    missed, firsts, per_alert = [], [], {}
    notified_incidents = 0
    for incident in truth.get("incidents") or []:
        if not incident.get("injected", True):
            continue
        complete = True
        for expected in incident.get("alerts") or []:
            seen = {}
            for n in notifications:
                if any(mentions(n, a, incident, expected, timing) for a in firing_alerts(n)):
                    seen.setdefault(n["channel"], n["time"])
            missing = [c for c in required_channels(timing, expected["alertname"])
                       if c not in seen]
            stats = per_alert.setdefault(expected["alertname"], {"expected": 0, "notified": 0})
            stats["expected"] += 1
            if missing:
                complete = False
                missed.append({"incident": incident["id"], "kind": incident.get("kind"),
                               "alertname": expected["alertname"],
                               "labels": expected.get("labels") or {},
                               "missing_channels": missing,
                               "window": list(window(incident, expected, timing))})
            else:
                stats["notified"] += 1
            if seen:
                firsts.append((expected["alertname"], min(seen.values()) - incident["wall_start"]))
        if not incident.get("alerts"):
            complete = False
            missed.append({"incident": incident["id"], "kind": incident.get("kind"),
                           "alertname": None, "labels": {}, "missing_channels": [],
                           "window": [incident["wall_start"], incident["wall_end"]]})
        notified_incidents += complete
    for stats in per_alert.values():
        stats["recall"] = stats["notified"] / stats["expected"]
    return notified_incidents, missed, per_alert, firsts


def _explained(notification, alert, truth, timing):
    return any(mentions(notification, alert, incident, expected, timing)
               for incident, expected in _expected_alerts(truth))


def _precision(truth, notifications, timing):
    by_channel, unexplained = {}, []
    for n in notifications:
        if not is_firing(n):
            continue
        stats = by_channel.setdefault(n["channel"], {"notifications": 0, "explained": 0})
        stats["notifications"] += 1
        bad = [a for a in firing_alerts(n) if not _explained(n, a, truth, timing)]
        if bad or n["errors"]:
            unexplained.append({"id": n["id"], "channel": n["channel"],
                                "receiver": n["receiver"], "time": n["time"],
                                "errors": n["errors"],
                                "alerts": [{"labels": a["labels"], "startsAt": a["startsAt"]}
                                           for a in bad]})
        else:
            stats["explained"] += 1
    for stats in by_channel.values():
        stats["precision"] = stats["explained"] / stats["notifications"]
    total = sum(s["notifications"] for s in by_channel.values())
    explained = sum(s["explained"] for s in by_channel.values())
    return (explained / total if total else 1.0), by_channel, unexplained, total


def _signature(notification):
    """What a notification says: its firing and its resolved alerts."""
    return frozenset((a["status"], json.dumps(a["labels"], sort_keys=True))
                     for a in notification["alerts"])


def _storms(notifications, timing):
    groups = {}
    for n in notifications:
        if is_firing(n):
            groups.setdefault((n["channel"], n["group_key"]), []).append(n)
    storms, busiest = [], {}
    for (channel, key), items in sorted(groups.items()):
        repeat = items[0]["repeat_interval_s"]
        if repeat is None:
            continue
        for a, b in zip(items, items[1:]):
            gap = b["time"] - a["time"]
            if _signature(a) == _signature(b) and gap < repeat - timing["storm_tolerance_s"]:
                storms.append({"channel": channel, "receiver": a["receiver"], "group_key": key,
                               "ids": [a["id"], b["id"]], "gap_s": gap,
                               "repeat_interval_s": repeat,
                               "alerts": sorted(l for _, l in _signature(a))})
        window_s = repeat - timing["storm_tolerance_s"]
        for i, first in enumerate(items):
            count = sum(1 for n in items[i:] if n["time"] - first["time"] < window_s)
            if count > busiest.get(channel, {}).get("max", 0):
                busiest[channel] = {"max": count, "group": key, "repeat_interval_s": repeat}
    return storms, busiest


def _resolutions(truth, notifications, timing):
    expected_count, sent, missing, pending = 0, 0, [], []
    for incident, expected in _expected_alerts(truth):
        if resolution_due(incident, expected, timing) > timing["drain_end"]:
            pending.append({"incident": incident["id"], "alertname": expected["alertname"]})
            continue
        expected_count += 1
        unresolved = []
        for channel in required_channels(timing, expected["alertname"]):
            fired, last = False, None
            for n in notifications:
                if n["channel"] != channel:
                    continue
                for a in n["alerts"]:
                    if mentions(n, a, incident, expected, timing):
                        fired = fired or a["status"] == "firing"
                        last = a["status"] if fired else None
            if last != "resolved":
                unresolved.append("%s (%s)" % (channel, last or "never notified"))
        if unresolved:
            missing.append({"incident": incident["id"], "alertname": expected["alertname"],
                            "labels": expected.get("labels") or {}, "channels": unresolved})
        else:
            sent += 1
    return {"expected": expected_count, "sent": sent, "missing": missing,
            "not_due": pending}


def _latency(firsts, compression):
    per_alert = {}
    for name, seconds in firsts:
        per_alert.setdefault(name, []).append(seconds)
    out = {}
    for name, values in sorted(per_alert.items()):
        summary = {"n": len(values), "min_s": min(values),
                   "median_s": statistics.median(values), "max_s": max(values)}
        for key in ("min", "median", "max"):
            summary[key + "_sim_min"] = summary[key + "_s"] * compression / 60.0
        out[name] = summary
    return out


def score(truth, notifications, timing):
    """The score of one run (a JSON-serialisable dict); see the module doc."""
    timing = _timing(timing)
    incidents = truth.get("incidents") or []
    not_injected = [i["id"] for i in incidents if not i.get("injected", True)]
    injected = len(incidents) - len(not_injected)
    notified, missed, per_alert, firsts = _recall(truth, notifications, timing)
    precision, by_channel, unexplained, firing_total = _precision(truth, notifications, timing)
    storms, busiest = _storms(notifications, timing)
    resolutions = _resolutions(truth, notifications, timing)
    recall = notified / injected if injected else 0.0

    reasons = []
    if not injected:
        reasons.append("no incident was injected")
    reasons += ["incident %s (%s) was not injected: %s"
                % (i["id"], i.get("kind"), i.get("detail", ""))
                for i in incidents if not i.get("injected", True)]
    reasons += ["incident %s (%s): %s%s not notified on %s" % (
        m["incident"], m["kind"], m["alertname"], json.dumps(m["labels"], sort_keys=True),
        ", ".join(m["missing_channels"]) or "any channel (no expected alert)")
        for m in missed]
    reasons += ["unexplained %s notification #%d to %s: %s%s" % (
        u["channel"], u["id"], u["receiver"],
        "; ".join(json.dumps(a["labels"], sort_keys=True) for a in u["alerts"]),
        "".join(" [%s]" % e for e in u["errors"])) for u in unexplained]
    reasons += ["storm on %s %s: notifications #%d and #%d %.2fs apart (repeat_interval %.2fs)"
                % (s["channel"], s["group_key"], s["ids"][0], s["ids"][1], s["gap_s"],
                   s["repeat_interval_s"]) for s in storms]
    reasons += ["incident %s: %s%s never resolved on %s" % (
        m["incident"], m["alertname"], json.dumps(m["labels"], sort_keys=True),
        ", ".join(m["channels"])) for m in resolutions["missing"]]

    return {
        "pass": not reasons,
        "reasons": reasons,
        "scenario": truth.get("scenario"), "seed": truth.get("seed"),
        "compression": timing["compression"],
        "incidents": {"injected": injected, "notified": notified,
                      "not_injected": not_injected},
        "recall": recall, "recall_per_alert": per_alert, "missed": missed,
        "notifications": {"total": len(notifications), "firing": firing_total},
        "precision": precision, "precision_per_channel": by_channel,
        "unexplained": unexplained,
        "storms": storms, "max_per_group_per_repeat": busiest,
        "resolutions": resolutions,
        "latency": _latency(firsts, timing["compression"]),
    }
