"""Evidence beside the notifications: every change of the alerts' state in
Prometheus (pending, firing) and in Alertmanager (active, suppressed and by
what), polled once a second, so that a missed or unexplained notification
can be traced to the stage that caused it."""

import json
import threading
import time
import urllib.request


def get_json(url, timeout=3.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


class AlertStates:
    """A thread recording [{time, source, labels, state}] on each change."""

    def __init__(self, prometheus, alertmanager, interval=1.0):
        self.changes = []
        self._urls = {"prometheus": "http://%s/api/v1/alerts" % prometheus,
                      "alertmanager": "http://%s/api/v2/alerts" % alertmanager}
        self._interval = interval
        self._last = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def _current(self, source):
        data = get_json(self._urls[source])
        if source == "prometheus":
            return {json.dumps(a["labels"], sort_keys=True): a["state"]
                    for a in data["data"]["alerts"]}
        out = {}
        for a in data:
            status = a.get("status") or {}
            state = status.get("state", "?")
            if status.get("inhibitedBy"):
                state += " inhibited"
            if status.get("silencedBy"):
                state += " silenced"
            out[json.dumps(a["labels"], sort_keys=True)] = state
        return out

    def _loop(self):
        while not self._stop.wait(self._interval):
            now = time.time()
            for source in self._urls:
                try:
                    current = self._current(source)
                except (OSError, ValueError, KeyError):
                    continue
                last = self._last.get(source, {})
                for key in sorted(set(current) | set(last)):
                    state = current.get(key, "inactive")
                    if state != last.get(key, "inactive"):
                        self.changes.append({"time": now, "source": source,
                                             "labels": json.loads(key), "state": state})
                self._last[source] = current
