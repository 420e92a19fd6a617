#!/usr/bin/env python3
"""Writes a copy of the shipped Alertmanager configuration whose receivers
are local sinks (scripts/notification_sinks.py), for the demo and the tests:

    python3 scripts/local_alertmanager.py --dir .demo/alertmanager \\
        --http-url http://127.0.0.1:9001 --smtp 127.0.0.1:9002

Only addresses change (and, for tests, whatever `edit` rewrites): routes,
inhibition, receivers and templates are the shipped ones. The directory gets
alertmanager.yml, templates/ and secrets/ (Slack's webhook URL pointing at
<http-url>/slack, an SMTP password and the webhook's bearer token); run
Alertmanager in that directory, as alertmanager/README.md prescribes.
"""

import argparse
import os
import re
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AM_DIR = os.path.join(REPO, "alertmanager")

SLACK_PATH = "/slack"
WEBHOOK_PATH = "/webhook"
SMTP_PASSWORD = "smtp-secret-from-file"
WEBHOOK_TOKEN = "webhook-secret-from-file"


def substitute(text, pattern, replacement, count=None):
    """re.subn that fails unless the pattern matched (count times if given)."""
    new, n = re.subn(pattern, replacement, text)
    if n == 0 or (count is not None and n != count):
        raise ValueError("alertmanager.yml: %r matched %d times" % (pattern, n))
    return new


def write_local_config(directory, http_url, smtp_address, edit=None, source_dir=AM_DIR):
    """Writes directory/alertmanager.yml (+ templates/, secrets/) from
    source_dir's (default: the shipped alertmanager/); returns its path.
    edit(text) -> text may change timings further."""
    os.makedirs(directory, exist_ok=True)
    templates = os.path.join(directory, "templates")
    shutil.rmtree(templates, ignore_errors=True)
    shutil.copytree(os.path.join(source_dir, "templates"), templates)
    os.makedirs(os.path.join(directory, "secrets"), exist_ok=True)
    # Alertmanager 0.25 trims the Slack URL and the bearer token files but
    # not the SMTP password file (alertmanager/README.md).
    secrets = {"slack_api_url": http_url + SLACK_PATH + "\n",
               "smtp_password": SMTP_PASSWORD,
               "webhook_token": WEBHOOK_TOKEN + "\n"}
    for name, value in secrets.items():
        with open(os.path.join(directory, "secrets", name), "w",
                  encoding="utf-8") as f:
            f.write(value)
    with open(os.path.join(source_dir, "alertmanager.yml"), encoding="utf-8") as f:
        text = f.read()
    text = substitute(text, r"(?m)^(\s*smtp_smarthost:).*$",
                      r"\1 %s" % smtp_address, 1)
    text = substitute(text, r"(?m)^(\s*smtp_require_tls:).*$", r"\1 false", 1)
    text = substitute(text, r"(?m)^(\s*- url:) https://hooks\.example\.org/\S*$",
                      r"\1 %s" % (http_url + WEBHOOK_PATH), 1)
    if edit:
        text = edit(text)
    path = os.path.join(directory, "alertmanager.yml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--http-url", required=True)
    parser.add_argument("--smtp", required=True, help="host:port")
    args = parser.parse_args()
    print(write_local_config(args.dir, args.http_url, args.smtp))


if __name__ == "__main__":
    sys.exit(main())
