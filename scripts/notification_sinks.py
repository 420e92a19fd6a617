#!/usr/bin/env python3
"""Local stand-ins for the places Alertmanager notifies: an HTTP sink for
Slack's incoming webhook and generic webhooks, and an SMTP sink
(python3-aiosmtpd) for email. Both listen on 127.0.0.1 and record what they
receive. Used by the integration tests (imported) and by the demo (run):

    python3 scripts/notification_sinks.py --http-port 9001 --smtp-port 9002

prints one line per notification received, until interrupted.
"""

import argparse
import email
import email.policy
import http.server
import json
import signal
import socket
import sys
import threading
import time
import warnings

LOOPBACK = "127.0.0.1"


def _free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class _Recorder:
    """A list with a condition variable, for waiting on what arrives."""

    def __init__(self, describe):
        self.items = []
        self._cond = threading.Condition()
        self._describe = describe

    def add(self, item):
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def snapshot(self):
        with self._cond:
            return list(self.items)

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        with self._cond:
            while not predicate(list(self.items)):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(
                        "timed out after %.0fs waiting for %s; received %d: %s"
                        % (timeout, what, len(self.items),
                           self._describe(self.items)[:3000]))
                self._cond.wait(min(left, 0.5))
            return list(self.items)


class HttpSink:
    """Accepts POSTs on any path; records (path, headers, body, time) with
    lower-case header names and the body parsed as JSON when it is JSON."""

    def __init__(self, port=0, on_post=None):
        recorder = self._recorder = _Recorder(
            lambda items: json.dumps([i[2] for i in items]))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                item = (self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body, time.time())
                recorder.add(item)
                if on_post:
                    on_post(item)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer((LOOPBACK, port),
                                                       Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        daemon=True)
        self._thread.start()

    def url(self, path=""):
        return "http://%s:%d%s" % (LOOPBACK, self.port, path)

    @property
    def requests(self):
        """Every request as (path, headers, body, time)."""
        return self._recorder.snapshot()

    def posts(self, path):
        """(headers, body) of the requests to path."""
        return [(h, b) for p, h, b, _ in self.requests if p == path]

    def wait_for(self, predicate, timeout=60.0, what="HTTP posts"):
        """Waits until predicate(requests) holds; returns the requests."""
        return self._recorder.wait_for(predicate, timeout, what)

    def close(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class SmtpSink:
    """An SMTP server (aiosmtpd) accepting any AUTH PLAIN without TLS;
    records (auth, message, time): auth is (login, password) or None, message
    an email.message.EmailMessage."""

    def __init__(self, port=0, on_message=None):
        from aiosmtpd.controller import Controller  # Debian python3-aiosmtpd
        from aiosmtpd.smtp import AuthResult

        # aiosmtpd 1.4 warns about its own deprecated Session.login_data on
        # AUTH (added here, after unittest has set its warning filters).
        warnings.filterwarnings("ignore", message=".*login_data is deprecated")

        recorder = self._recorder = _Recorder(
            lambda items: str([m["Subject"] for _, m, _ in items]))
        credentials = {}

        def authenticator(server, session, envelope, mechanism, auth_data):
            credentials[id(session)] = (
                auth_data.login.decode("utf-8", "replace"),
                auth_data.password.decode("utf-8", "replace"))
            return AuthResult(success=True)

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(
                    envelope.original_content or envelope.content,
                    policy=email.policy.default)
                item = (credentials.get(id(session)), message, time.time())
                recorder.add(item)
                if on_message:
                    on_message(item)
                return "250 OK"

        self.port = port or _free_port()
        self._controller = Controller(
            Handler(), hostname=LOOPBACK, port=self.port,
            auth_require_tls=False, authenticator=authenticator,
            # Alertmanager picks LOGIN when offered and expects the challenge
            # "Username:", which aiosmtpd does not send; PLAIN works.
            auth_exclude_mechanism=["LOGIN"])
        self._controller.start()

    @property
    def address(self):
        return "%s:%d" % (LOOPBACK, self.port)

    def received(self):
        """(auth, message) of every message so far."""
        return [(a, m) for a, m, _ in self._recorder.snapshot()]

    def records(self):
        """(auth, message, time received) of every message so far."""
        return self._recorder.snapshot()

    def wait_for(self, predicate, timeout=60.0, what="email"):
        """Waits until predicate(list of (auth, message, time)) holds."""
        return self._recorder.wait_for(predicate, timeout, what)

    def close(self):
        self._controller.stop()


def message_text(message):
    """The text/plain and text/html parts of an email, concatenated."""
    return "\n".join(part.get_content() for part in message.walk()
                     if part.get_content_type() in ("text/plain", "text/html"))


def _describe_post(item):
    path, _, body, _ = item
    if isinstance(body, dict) and "alerts" in body:  # generic webhook
        names = sorted({a["labels"].get("alertname", "?") for a in body["alerts"]})
        return "webhook %s %s: %s" % (path, body.get("status"), ", ".join(names))
    if isinstance(body, dict) and "attachments" in body:  # Slack
        titles = [a.get("title", "") for a in body["attachments"]]
        return "slack %s %s" % (body.get("channel", ""), " | ".join(titles))
    return "http %s %s" % (path, str(body)[:200])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    args = parser.parse_args()

    def say(line):
        print(time.strftime("%H:%M:%S"), line, flush=True)

    http_sink = HttpSink(args.http_port, lambda item: say(_describe_post(item)))
    smtp_sink = SmtpSink(args.smtp_port, lambda item: say(
        "email to %s: %s" % (item[1]["To"], item[1]["Subject"])))
    say("listening: HTTP %s, SMTP %s" % (http_sink.url(), smtp_sink.address))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    http_sink.close()
    smtp_sink.close()


if __name__ == "__main__":
    sys.exit(main())
