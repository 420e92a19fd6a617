#!/usr/bin/env python3
"""Stand-in for Slack's incoming webhook and the generic webhook in
deploy/compose/compose.yml: accepts a POST on any path, answers 200 and
prints one line per notification (see them with
`docker compose logs webhook-sink`). Standard library only.

    python3 webhook_sink.py --port 8080
"""

import argparse
import http.server
import json
import sys
import time


def describe(path, body):
    """One line for a notification: Slack (attachments) or webhook (alerts)."""
    if isinstance(body, dict) and "alerts" in body:
        names = sorted({a.get("labels", {}).get("alertname", "?")
                        for a in body["alerts"]})
        return "webhook %s %s: %s" % (path, body.get("status"), ", ".join(names))
    if isinstance(body, dict) and "attachments" in body:
        titles = [a.get("title", "") for a in body["attachments"]]
        return "slack %s %s" % (body.get("channel", ""), " | ".join(titles))
    return "post %s %s" % (path, str(body)[:200])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = raw.decode("utf-8", "replace")
        print(time.strftime("%H:%M:%S"), describe(self.path, body), flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="0.0.0.0")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer((args.host, args.port), Handler)
    print("listening on %s:%d" % (args.host, args.port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
