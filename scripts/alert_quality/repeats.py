"""How often the same thing is notified: storms, and firing notifications
per incident. Pure; notifications as notifications.normalise gives them
(escalations left out by the caller).

storm       two consecutive firing notifications of one group (channel and
            group key) saying the same thing -- the same firing alerts, each
            with the same start, and the same resolved alerts -- closer than
            the route's repeat_interval minus storm_tolerance_s. An alert
            that resolved and fired again has a new start: a new incident of
            the same alert (a second outage) is a new notification, not a
            storm. Also reported: the most firing notifications of one group
            within one repeat_interval, per channel.
per incident
            for each alert an incident expects and each channel, the most
            firing notifications about it within one repeat_interval of its
            route; at most 1 passes. A notification is about an alert of the
            incident when it announces it: the webhook, which automation
            consumes message by message, announces every firing alert it
            carries; a Slack or email message announces the firing alerts
            that were not firing, with the same start, in its group's
            previous message (a growing group's older alerts are context, not
            news). Each announced alert counts once for one incident
            (windows.attribute). So two alerts for one damaged archive (in
            one message or two), an alert that flaps, or a webhook group
            resent as it grows count 2.
"""

from alert_quality import windows


def _signature(notification):
    """What a notification says: its firing alerts (with their starts) and
    its resolved alerts."""
    return frozenset((a["status"],) + windows.alert_key(a) for a in notification["alerts"])


def _firing_by_group(notifications):
    groups = {}
    for n in notifications:
        if windows.is_firing(n):
            groups.setdefault((n["channel"], n["group_key"]), []).append(n)
    return groups


def storms(notifications, timing):
    """(storms, busiest): the storms, and per channel the most firing
    notifications of one group within one repeat_interval."""
    found, busiest = [], {}
    for (channel, key), items in sorted(_firing_by_group(notifications).items()):
        repeat = items[0]["repeat_interval_s"]
        if repeat is None:
            continue
        span = repeat - timing["storm_tolerance_s"]
        for a, b in zip(items, items[1:]):
            gap = b["time"] - a["time"]
            if _signature(a) == _signature(b) and gap < span:
                found.append({"channel": channel, "receiver": a["receiver"], "group_key": key,
                              "ids": [a["id"], b["id"]], "gap_s": gap,
                              "repeat_interval_s": repeat,
                              "alerts": sorted(k[1] for k in _signature(a))})
        count = windows.most_within([n["time"] for n in items], span)
        if count > busiest.get(channel, {}).get("max", 0):
            busiest[channel] = {"max": count, "group": key, "repeat_interval_s": repeat}
    return found, busiest


def announced(notifications):
    """(notification, alert) of every firing alert a notification announces
    (see the module doc), by time."""
    previous = {}  # (channel, group key) -> alert keys firing in its last message
    for n in notifications:
        group = (n["channel"], n["group_key"])
        firing = windows.firing_alerts(n)
        before = previous.get(group, set())
        for a in firing:
            if n["channel"] == "webhook" or windows.alert_key(a) not in before:
                yield n, a
        previous[group] = {windows.alert_key(a) for a in firing}


def per_incident(truth, notifications, timing):
    """(busiest, repeated): per channel the most firing notifications about
    one alert of an incident within one repeat_interval, and every case of
    more than one."""
    times = {}  # (incident id, index, channel) -> ([times], [ids], repeat, expected)
    for n, a in announced(notifications):
        found = windows.attribute(n, a, truth, timing)
        if found is None or n["repeat_interval_s"] is None:
            continue
        incident, index, expected = found
        entry = times.setdefault((incident["id"], index, n["channel"]),
                                 ([], [], n["repeat_interval_s"], incident, expected))
        entry[0].append(n["time"])
        entry[1].append(n["id"])
    busiest, repeated = {}, []
    for (incident_id, _, channel), (ts, ids, repeat, incident, expected) in sorted(
            times.items(), key=lambda item: item[0]):
        count = windows.most_within(ts, repeat - timing["storm_tolerance_s"])
        if count > busiest.get(channel, {}).get("max", 0):
            busiest[channel] = {"max": count, "incident": incident_id,
                                "alertname": expected["alertname"]}
        if count > 1:
            repeated.append({"incident": incident_id, "kind": incident.get("kind"),
                             "alertname": expected["alertname"],
                             "labels": expected.get("labels") or {}, "channel": channel,
                             "count": count, "ids": ids, "repeat_interval_s": repeat})
    return busiest, repeated
