"""What the sinks received, as one list of notifications the scorer reads.

Raw records (saved with every run, JSON):
  http  {"path", "time", "body"}: a POST to the HTTP sink; /webhook is the
        generic webhook (Alertmanager's JSON, with groupKey, receiver and
        every alert's labels, startsAt, endsAt, status), /slack/<receiver> a
        Slack message of that receiver (scale.point_slack_per_receiver);
  email {"time", "to", "subject", "text"}: a message to the SMTP sink; the
        receiver is the one whose email_configs send to that address.

A notification, normalised:
  {"id", "channel": webhook|slack|email, "receiver", "time", "status":
   firing|resolved, "group_key", "repeat_interval_s", "alerts": [{"status",
   "labels", "startsAt", "endsAt"}], "label_names": None (every label) or the
   labels the channel shows, "truncated", "errors", "escalation"}
An escalation is a message to the escalation receiver (ESCALATION_RECEIVER:
whatever its alerts) or a webhook message of PipelineAlertEscalated alerts;
the alerts of an escalation carry the name of the alert they escalate as
their alertname (the templates show that name; on the webhook it is the
label escalated_alertname), so that they match the incident's expected
alert.
Slack and email alerts are read back from the text the shipped templates
render (alertmanager/templates/pipeline.tmpl): alert name, run, project,
phase, state, step, reason and the Since/Resolved time (to the second, UTC:
Alertmanager runs with TZ=UTC). A Slack or email message from which no alert
can be read carries an error, and the scorer counts it as unexplained, so a
template change that breaks the reading cannot pass unnoticed. The group key
of Slack and email is the receiver, the route it ends on (routing.py, with
the alert's rule labels such as severity added) and its group_by labels.
"""

import calendar
import datetime
import json
import re

from alert_quality import routing

SLACK_LABELS = {"run": "run_id", "project": "project", "phase": "phase", "state": "state"}
EMAIL_LABELS = {"Run": "run_id", "Project": "project", "Phase": "phase", "State": "state",
                "Failed step": "step", "Step": "step", "Reason": "reason"}
# The labels a Slack or email message shows (the scorer compares only these).
TEXT_LABELS = ("alertname", "run_id", "project", "phase", "state", "step", "reason")
# The receiver of escalations in alertmanager/alertmanager.yml, and the
# alert the rules raise to escalate (rules/pipeline_alerts.yml).
ESCALATION_RECEIVER = "escalation"
ESCALATION_ALERT = "PipelineAlertEscalated"

_TITLE = re.compile(r"\[(FIRING|RESOLVED)(?::(\d+))?\]")
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_TEXT_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+)")
_SLACK_ALERT = re.compile(r"^• \*([^*]+)\*(.*)$")
_SLACK_PAIR = re.compile(r" · (\w+) `([^`]*)`")
_SLACK_STEP = re.compile(r"^\s+(?:Failed step|Step): `([^`]*)`\s*$")
_SLACK_REASON = re.compile(r"^\s+Reason: (.*)$")
_SLACK_WHEN = re.compile(r"^\s+(Since|Resolved) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+)")
_EMAIL_ALERT = re.compile(r"^- (\S+) \(([^)]*)\)(, RESOLVED)?\s*$")
_EMAIL_FIELD = re.compile(r"^  (Run|Project|Phase|State|Failed step|Step|Reason|Since|Resolved):"
                          r"\s+(.*?)\s*$")


# ---------------------------------------------------------------------------
# Raw records from the sinks (scripts/notification_sinks.py).

def raw_http(requests):
    """HttpSink.requests -> [{"path", "time", "body"}]."""
    return [{"path": path, "time": t, "body": body} for path, _, body, t in requests]


def raw_email(items, text_of):
    """SmtpSink records (auth, message, time) -> [{"time", "to", "subject",
    "text"}]; text_of(message) is the text/plain part."""
    return [{"time": t, "to": str(message["To"]), "subject": str(message["Subject"]),
             "text": text_of(message)} for _, message, t in items]


def plain_text(message):
    """The text/plain part of an email.message.EmailMessage."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_content()
    return ""


# ---------------------------------------------------------------------------
# Times.

def parse_rfc3339(text):
    """Unix seconds of an Alertmanager timestamp; None for the zero time."""
    match = _RFC3339.match(text or "")
    if not match or text.startswith("0001-"):
        return None
    base, fraction, zone = match.groups()
    t = calendar.timegm(datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").timetuple())
    t += float(fraction) if fraction else 0.0
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        t -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t


def parse_text_time(text):
    """Unix seconds of "2006-01-02 15:04:05 UTC" (templates); None otherwise."""
    match = _TEXT_TIME.match(text or "")
    if not match or match.group(2) not in ("UTC", "GMT"):
        return None
    return float(calendar.timegm(
        datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").timetuple()))


# ---------------------------------------------------------------------------
# Reading alerts back from Slack and email text.

def _new_alert(name, status, labels=None):
    return {"status": status, "labels": dict(labels or {}, alertname=name),
            "startsAt": None, "endsAt": None}


def _set_time(alert, which, text):
    key = "startsAt" if which == "Since" else "endsAt"
    alert[key] = parse_text_time(text)


def parse_slack_text(text):
    """[alert] of a Slack message rendered by pipeline.slack.text."""
    alerts, status, current = [], "firing", None
    for line in (text or "").split("\n"):
        if re.match(r"^\*Resolved \(\d+\):\*\s*$", line):
            status, current = "resolved", None
            continue
        header = _SLACK_ALERT.match(line)
        if header:
            labels = {SLACK_LABELS[k]: v for k, v in _SLACK_PAIR.findall(header.group(2))
                      if k in SLACK_LABELS}
            current = _new_alert(header.group(1), status, labels)
            alerts.append(current)
            continue
        if current is None:
            continue
        step, reason, when = (_SLACK_STEP.match(line), _SLACK_REASON.match(line),
                              _SLACK_WHEN.match(line))
        if step:
            current["labels"]["step"] = step.group(1)
        elif reason:
            current["labels"]["reason"] = (reason.group(1).replace("&lt;", "<")
                                            .replace("&gt;", ">").replace("&amp;", "&"))
        elif when:
            _set_time(current, when.group(1), when.group(2))
    return alerts


def parse_email_text(text):
    """[alert] of an email rendered by pipeline.email.text."""
    alerts, current = [], None
    for line in (text or "").split("\n"):
        header = _EMAIL_ALERT.match(line)
        if header:
            status = "resolved" if header.group(3) else "firing"
            current = _new_alert(header.group(1), status, {"severity": header.group(2)})
            alerts.append(current)
            continue
        field = _EMAIL_FIELD.match(line) if current is not None else None
        if not field:
            if current is not None and not line.startswith("  "):
                current = None
            continue
        key, value = field.groups()
        if key in ("Since", "Resolved"):
            _set_time(current, key, value)
        else:
            current["labels"][EMAIL_LABELS[key]] = value
    return alerts


# ---------------------------------------------------------------------------
# Normalisation.

def email_receivers(am_config):
    """{address: receiver} from the email_configs of the configuration."""
    found = {}
    for receiver in am_config.get("receivers") or []:
        for config in receiver.get("email_configs") or []:
            for address in str(config["to"]).split(","):
                address = address.strip()
                if address in found and found[address] != receiver["name"]:
                    raise ValueError("two receivers send email to %s" % address)
                found[address] = receiver["name"]
    return found


def _route_fields(am_config, rule_labels, receiver, alerts):
    """(group key, repeat interval) of a Slack/email message."""
    if not alerts:
        return "%s:unparsed" % receiver, None
    first = alerts[0]["labels"]
    labels = dict(first, **rule_labels.get(first.get("alertname"), {}))
    if receiver == ESCALATION_RECEIVER:  # the text shows the escalated name
        labels = dict(labels, escalated_alertname=first.get("alertname"),
                      **rule_labels.get(ESCALATION_ALERT, {}))
        labels["alertname"] = ESCALATION_ALERT
    leaf = routing.leaf_for(am_config["route"], labels, receiver)
    if leaf is None:
        return "%s:no-route:%s" % (receiver, json.dumps(first, sort_keys=True)), None
    group = routing.group_labels(leaf, first)
    return ("%s:%s:%s" % (receiver, leaf["path"], json.dumps(group, sort_keys=True)),
            leaf["repeat_interval_s"])


def _escalated_labels(labels):
    """The labels of a PipelineAlertEscalated alert with the escalated
    alert's name as alertname (others unchanged)."""
    if labels.get("alertname") == ESCALATION_ALERT and labels.get("escalated_alertname"):
        return dict(labels, alertname=labels["escalated_alertname"])
    return labels


def _from_webhook(body, am_config):
    raw_alerts = body.get("alerts") or []
    alerts = [{"status": a.get("status"), "labels": _escalated_labels(a.get("labels") or {}),
               "startsAt": parse_rfc3339(a.get("startsAt")),
               "endsAt": parse_rfc3339(a.get("endsAt"))} for a in raw_alerts]
    receiver = body.get("receiver", "")
    leaf = (routing.leaf_for(am_config["route"], raw_alerts[0].get("labels") or {}, receiver)
            if raw_alerts else None)
    escalation = bool(raw_alerts) and all(
        (a.get("labels") or {}).get("alertname") == ESCALATION_ALERT for a in raw_alerts)
    return {"channel": "webhook", "receiver": receiver, "status": body.get("status"),
            "group_key": "%s:%s" % (receiver, body.get("groupKey")),
            "repeat_interval_s": leaf["repeat_interval_s"] if leaf else None,
            "alerts": alerts, "label_names": None,
            "truncated": bool(body.get("truncatedAlerts")), "errors": [],
            "escalation": escalation or receiver == ESCALATION_RECEIVER}


def _from_text(channel, receiver, title, alerts, am_config, rule_labels):
    match = _TITLE.search(title or "")
    errors = []
    if not match:
        errors.append("no [FIRING:n]/[RESOLVED] in %r" % title)
    if not alerts:
        errors.append("no alert could be read from the message")
    status = "resolved" if match and match.group(1) == "RESOLVED" else "firing"
    firing = sum(1 for a in alerts if a["status"] == "firing")
    announced = int(match.group(2)) if match and match.group(2) else firing
    group_key, repeat = _route_fields(am_config, rule_labels, receiver, alerts)
    return {"channel": channel, "receiver": receiver, "status": status,
            "group_key": group_key, "repeat_interval_s": repeat, "alerts": alerts,
            "label_names": list(TEXT_LABELS) + (["severity"] if channel == "email" else []),
            "truncated": announced > firing, "errors": errors,
            "escalation": receiver == ESCALATION_RECEIVER}


def normalise(raw, am_config, rule_labels, webhook_path="/webhook", slack_prefix="/slack/"):
    """Every notification of raw {"http": [...], "email": [...]}, by time.
    rule_labels: {alertname: the rule's static labels} (for routing)."""
    out = []
    for record in raw.get("http") or []:
        path, body = record["path"], record["body"]
        if path == webhook_path and isinstance(body, dict):
            item = _from_webhook(body, am_config)
        elif path.startswith(slack_prefix) and isinstance(body, dict):
            attachment = (body.get("attachments") or [{}])[0]
            item = _from_text("slack", path[len(slack_prefix):], attachment.get("title"),
                              parse_slack_text(attachment.get("text")), am_config,
                              rule_labels)
        else:
            item = {"channel": "http", "receiver": path, "status": "firing",
                    "group_key": path, "repeat_interval_s": None, "alerts": [],
                    "label_names": None, "truncated": False,
                    "errors": ["unexpected POST to %s" % path], "escalation": False}
        item["time"] = record["time"]
        out.append(item)
    receivers = email_receivers(am_config)
    for record in raw.get("email") or []:
        receiver = receivers.get(record["to"].strip(), record["to"])
        item = _from_text("email", receiver, record["subject"],
                          parse_email_text(record["text"]), am_config, rule_labels)
        item["time"] = record["time"]
        out.append(item)
    out.sort(key=lambda n: n["time"])
    for i, item in enumerate(out):
        item["id"] = i
    return out
