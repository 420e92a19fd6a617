"""Escalation precision and recall: a critical incident that lasted longer
than the escalation delay reached the escalation receiver once, after the
delay; nothing reached it earlier. Pure.

timing["escalation"]:
  delay_s            the escalation delay (the scaled `for` of
                     PipelineAlertEscalated)
  latency_s          the chain from the delay's end to the escalation
                     receiver: evaluations, resend and the escalation
                     route's group_wait
  repeat_interval_s  of the escalation route
  channels           the escalation receiver's channels (slack, email)

Definitions (wall seconds; tolerance_s from timing):
  start      S of an incident's critical alert: the earliest start of the
             firing alerts attributed to it (windows.attribute), from the
             notifications that are not escalations.
  expected   an escalation, when the incident lasted past S + delay +
             tolerance (its wall_end, the latest its alert can be still
             firing, minus nothing: the alert fires at least until then).
  explained  an escalation alert (notifications.py marks them) attributed to
             an incident's critical alert with a start S, notified no
             earlier than S + delay - tolerance and no later than the
             alert's window end + latency (it escalates what still fires).
  precision  explained escalation notifications / escalation notifications.
  recall     incidents expected to escalate whose escalation reached every
             escalation channel within [S + delay - tolerance, S + delay +
             latency + tolerance] / incidents expected to escalate (1 when
             none is).
  once       at most one firing escalation message per incident and
             channel within the escalation route's repeat_interval.
  resolved   an escalation sent is resolved on its channels once its
             incident's resolution is due (windows.resolution_due).
"""

from alert_quality import windows


def _critical(timing, alertname):
    return windows.alert_info(timing, alertname).get("severity") == "critical"


def _starts(truth, base, timing):
    """{(incident id, index): S} of every critical alert seen firing: its
    earliest start on the webhook (Alertmanager's startsAt, exact), or else
    on the channels whose text shows it to the second."""
    exact, text = {}, {}
    for n in base:
        starts = exact if n["channel"] == "webhook" else text
        for a in windows.firing_alerts(n):
            found = windows.attribute(n, a, truth, timing)
            if found and _critical(timing, found[2]["alertname"]):
                key = (found[0]["id"], found[1])
                starts[key] = min(starts.get(key, float("inf")), windows.started(n, a))
    text.update(exact)
    return text


def _attribute(n, a, truth, timing, starts, settings):
    """The (incident, index, expected, S) an escalation alert escalates, or
    None: a critical alert with a start S such that the notification came
    after S + delay - tolerance and before its window's end + latency."""
    tolerance = timing["tolerance_s"]
    fits = []
    for incident, index, expected in windows.expected_alerts(truth):
        start = starts.get((incident["id"], index))
        if start is None or not windows.labels_match(expected, a, n["label_names"]):
            continue
        end = windows.window(incident, expected, timing)[1] + settings["latency_s"]
        if start + settings["delay_s"] - tolerance <= n["time"] <= end:
            fits.append((incident, index, expected, start))
    return max(fits, key=lambda f: f[3]) if fits else None


def score(truth, base, escalations, timing):
    """The escalation part of a score (see the module doc); escalations and
    base: the notifications that are and are not escalations."""
    settings = timing.get("escalation")
    if not settings:
        return {"enabled": False, "precision": 1.0, "recall": 1.0, "expected": 0,
                "escalated": 0, "notifications": 0, "unexplained": [], "missed": [],
                "repeated": [], "unresolved": [], "reasons": []}
    tolerance = timing["tolerance_s"]
    starts = _starts(truth, base, timing)
    sent = {}  # (incident id, index, channel) -> [(time, id)] of firing escalations
    unexplained, firing_total = [], 0
    for n in escalations:
        if not windows.is_firing(n):
            continue
        firing_total += 1
        bad = []
        for a in windows.firing_alerts(n):
            found = _attribute(n, a, truth, timing, starts, settings)
            if found is None:
                bad.append(a)
                continue
            sent.setdefault((found[0]["id"], found[1], n["channel"]), []).append(
                (n["time"], n["id"]))
        if bad or n["errors"]:
            unexplained.append(windows.unexplained(n, bad))

    expected, missed = [], []
    for incident, index, alert in windows.expected_alerts(truth):
        start = starts.get((incident["id"], index))
        if (start is None or not _critical(timing, alert["alertname"])
                or incident["wall_end"] - start <= settings["delay_s"] + tolerance):
            continue
        expected.append((incident, index, alert))
        due = (start + settings["delay_s"] - tolerance,
               start + settings["delay_s"] + settings["latency_s"] + tolerance)
        late = [c for c in settings["channels"]
                if not any(due[0] <= t <= due[1]
                           for t, _ in sent.get((incident["id"], index, c), []))]
        if late:
            missed.append({"incident": incident["id"], "kind": incident.get("kind"),
                           "alertname": alert["alertname"],
                           "labels": alert.get("labels") or {}, "channels": late,
                           "due": list(due)})

    repeated = []
    span = settings["repeat_interval_s"] - timing["storm_tolerance_s"]
    for (incident_id, _, channel), items in sorted(sent.items()):
        count = windows.most_within(sorted(t for t, _ in items), span)
        if count > 1:
            repeated.append({"incident": incident_id, "channel": channel, "count": count,
                             "ids": [i for _, i in items]})

    unresolved = _unresolved(truth, escalations, timing, sent)
    precision = (firing_total - len(unexplained)) / firing_total if firing_total else 1.0
    recall = (len(expected) - len(missed)) / len(expected) if expected else 1.0
    reasons = ["unexplained escalation #%d (%s, %s): %s" % (
        u["id"], u["channel"], u["receiver"],
        "; ".join("%s started %s" % (a["labels"], a["startsAt"]) for a in u["alerts"])
        or "; ".join(u["errors"])) for u in unexplained]
    reasons += ["incident %s (%s): %s lasted past the escalation delay but was not escalated "
                "on %s within [%.1f, %.1f]" % (m["incident"], m["kind"], m["alertname"],
                                                ", ".join(m["channels"]), m["due"][0],
                                                m["due"][1]) for m in missed]
    reasons += ["incident %s escalated %d times on %s within the repeat interval (#%s)" % (
        r["incident"], r["count"], r["channel"], ", #".join(str(i) for i in r["ids"]))
        for r in repeated]
    reasons += ["incident %s: escalation never resolved on %s" % (u["incident"], u["channel"])
                for u in unresolved]
    return {"enabled": True, "precision": precision, "recall": recall,
            "expected": len(expected), "escalated": len(expected) - len(missed),
            "notifications": firing_total, "unexplained": unexplained, "missed": missed,
            "repeated": repeated, "unresolved": unresolved, "reasons": reasons}


def _unresolved(truth, escalations, timing, sent):
    """[{incident, channel}] of escalations sent whose resolution is due
    but whose last escalation message is not a resolution."""
    due = {(i["id"], k): windows.resolution_due(i, e, timing)
           for i, k, e in windows.expected_alerts(truth)}
    out = []
    for (incident_id, index, channel), items in sorted(sent.items()):
        if due[(incident_id, index)] > timing["drain_end"]:
            continue
        first = min(t for t, _ in items)
        later = [n for n in escalations if n["channel"] == channel and n["time"] >= first
                 and any(windows.labels_match(e, a, n["label_names"])
                         for i, k, e in windows.expected_alerts(truth)
                         if (i["id"], k) == (incident_id, index)
                         for a in n["alerts"])]
        if not later or later[-1]["status"] != "resolved":
            out.append({"incident": incident_id, "channel": channel})
    return out
