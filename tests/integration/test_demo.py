"""scripts/demo.sh, as a new user runs it: every link it prints answers 200
(without a redirect) while the demo runs, whatever the installed Prometheus
serves (Debian's has no React UI: /classic/targets, not /targets); the
exporter's log does not open with warnings about a database the simulator is
still creating; Ctrl-C (SIGINT) stops everything it started.

Runs the demo with DEMO_SKIP_SETUP=1, DEMO_EXPORTER=--binary and DEMO_DIR in a
temporary folder, so it neither builds nor touches the repository's .demo/.

Run by ctest as: python3 test_demo.py --binary PATH --source-dir DIR
"""

import os
import re
import shutil
import signal
import tempfile
import unittest
import urllib.error
import urllib.request

import pe_testlib as lib

ARGS = lib.parse_args()
DEMO = os.path.join(ARGS.source_dir, "scripts", "demo.sh")
RUNNING = "==> The demo is running"
READY = "Press Ctrl-C to stop."


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx comes back as an HTTPError


def status_without_redirect(url):
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


class DemoTest(unittest.TestCase):
    def setUp(self):
        for tool in ("prometheus", "prometheus-alertmanager"):
            if shutil.which(tool) is None:
                self.fail("%s is not installed (scripts/setup.sh installs it)" % tool)
        tmp = tempfile.TemporaryDirectory(prefix="pe-demo-")
        self.addCleanup(tmp.cleanup)
        self.demo_dir = os.path.join(tmp.name, "demo")
        env = dict(os.environ, DEMO_SKIP_SETUP="1", DEMO_EXPORTER=ARGS.binary,
                   DEMO_DIR=self.demo_dir, DEMO_READY_TIMEOUT="120")
        self.demo = lib.start_daemon(self, ["bash", DEMO], cwd=ARGS.source_dir,
                                     env=env, name="demo")
        lib.wait_until(lambda: READY in self.demo.stdout(), timeout=300,
                       interval=0.5, message="the demo to be running", daemon=self.demo)

    def printed_links(self):
        text = self.demo.stdout()
        return re.findall(r"https?://\S+", text[text.index(RUNNING):])

    def test_every_printed_link_answers_200_and_ctrl_c_stops_everything(self):
        links = self.printed_links()
        for page in ("/metrics", "/graph", "/targets", "/alerts"):
            self.assertTrue(any(re.search(re.escape(page) + r"(\?|$)", link)
                                for link in links),
                            "no %s link among %s" % (page, links))
        for link in links:
            with self.subTest(link=link):
                self.assertEqual(status_without_redirect(link), 200)

        with open(os.path.join(self.demo_dir, "exporter.log"), encoding="utf-8",
                  errors="replace") as f:
            log = f.read()
        # The exporter may start before the simulator created the tables.
        self.assertNotIn("last good data", log, "the exporter never had data yet")
        self.assertNotIn("cannot read state database", log)
        self.assertNotIn("cannot open the state database", log)
        self.assertLessEqual(log.count("waiting for the state database"), 1, log)

        started = re.findall(r"^started (\S+) +pid (\d+)", self.demo.stdout(), re.M)
        self.assertEqual([name for name, _ in started],
                         ["simulator", "exporter", "notifications", "alertmanager",
                          "prometheus"])
        self.demo.signal(signal.SIGINT)
        self.assertEqual(self.demo.wait(timeout=60), 130, self.demo.describe())
        for name, pid in started:
            with self.subTest(stopped=name):
                self.assertIn("stopped %s (pid %s)" % (name, pid), self.demo.stdout())
                with self.assertRaises(ProcessLookupError):
                    os.kill(int(pid), 0)


if __name__ == "__main__":
    lib.main()
