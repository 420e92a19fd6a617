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
               "group_interval_s"}} from the scaled rules and routes,
               "escalation": see escalation.py}.

Escalations (notifications.py marks them) are scored apart
(escalation.py); everything below is about the other notifications.

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
             firing alerts are.
  recall     incidents every expected alert of which reached every channel
             its severity routes to (CHANNELS), firing, within the window /
             incidents injected; also per alert name.
  precision  explained firing notifications / firing notifications, overall
             and per channel. A message whose alerts cannot be read counts
             as unexplained.
  storm,     repeats.py: the same firing alerts (same starts) notified
  per        again within a repeat_interval; and, per alert an incident
  incident   expects and channel, at most one firing notification about it
             within its route's repeat_interval.
  resolution every expected alert whose resolution is due before drain_end
             (its window closed, plus its routes' group_interval) must be,
             on each of its channels, notified firing and then, in the last
             notification naming it, resolved.
  latency    first firing notification (any channel) - incident wall_start.
  pass       recall 1, precision 1, no storm, at most one notification per
             incident alert per repeat interval, no missing resolution,
             every incident injected, and the escalation's precision and
             recall 1, each escalated once and resolved.
"""

import json
import statistics

from alert_quality import escalation, repeats
from alert_quality.windows import (CHANNELS, firing_alerts, is_firing,  # noqa: F401
                                   mentions, required_channels, resolution_due,
                                   unexplained, window)

DEFAULT_TIMING = {"tolerance_s": 1.5, "storm_tolerance_s": 1.0, "chain_s": 0.0,
                  "alerts": {}}


def _timing(timing):
    merged = dict(DEFAULT_TIMING)
    merged.update(timing)
    return merged


def _expected_alerts(truth):
    for incident in truth.get("incidents") or []:
        if incident.get("injected", True):
            for expected in incident.get("alerts") or []:
                yield incident, expected


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
    by_channel, bad_ones = {}, []
    for n in notifications:
        if not is_firing(n):
            continue
        stats = by_channel.setdefault(n["channel"], {"notifications": 0, "explained": 0})
        stats["notifications"] += 1
        bad = [a for a in firing_alerts(n) if not _explained(n, a, truth, timing)]
        if bad or n["errors"]:
            bad_ones.append(unexplained(n, bad))
        else:
            stats["explained"] += 1
    for stats in by_channel.values():
        stats["precision"] = stats["explained"] / stats["notifications"]
    total = sum(s["notifications"] for s in by_channel.values())
    explained = sum(s["explained"] for s in by_channel.values())
    return (explained / total if total else 1.0), by_channel, bad_ones, total


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
    total = len(notifications)
    escalations = [n for n in notifications if n.get("escalation")]
    notifications = [n for n in notifications if not n.get("escalation")]
    incidents = truth.get("incidents") or []
    not_injected = [i["id"] for i in incidents if not i.get("injected", True)]
    injected = len(incidents) - len(not_injected)
    notified, missed, per_alert, firsts = _recall(truth, notifications, timing)
    precision, by_channel, unexplained, firing_total = _precision(truth, notifications, timing)
    storms, busiest = repeats.storms(notifications, timing)
    per_incident, repeated = repeats.per_incident(truth, notifications, timing)
    resolutions = _resolutions(truth, notifications, timing)
    escalated = escalation.score(truth, notifications, escalations, timing)
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
    reasons += ["incident %s (%s): %s%s notified %d times on %s within its repeat interval "
                "(%.2fs): #%s" % (r["incident"], r["kind"], r["alertname"],
                                  json.dumps(r["labels"], sort_keys=True), r["count"],
                                  r["channel"], r["repeat_interval_s"],
                                  ", #".join(str(i) for i in r["ids"])) for r in repeated]
    reasons += ["incident %s: %s%s never resolved on %s" % (
        m["incident"], m["alertname"], json.dumps(m["labels"], sort_keys=True),
        ", ".join(m["channels"])) for m in resolutions["missing"]]
    reasons += escalated["reasons"]

    return {
        "pass": not reasons,
        "reasons": reasons,
        "scenario": truth.get("scenario"), "seed": truth.get("seed"),
        "compression": timing["compression"],
        "incidents": {"injected": injected, "notified": notified,
                      "not_injected": not_injected},
        "recall": recall, "recall_per_alert": per_alert, "missed": missed,
        "notifications": {"total": total, "firing": firing_total,
                          "escalations": escalated["notifications"]},
        "precision": precision, "precision_per_channel": by_channel,
        "unexplained": unexplained,
        "storms": storms, "max_per_group_per_repeat": busiest,
        "max_per_incident_per_repeat": per_incident, "repeated": repeated,
        "resolutions": resolutions, "escalation": escalated,
        "latency": _latency(firsts, timing["compression"]),
    }
