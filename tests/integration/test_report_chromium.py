"""The HTML run report in a real browser (headless Chromium).

The page is rendered by the real C++ code: the unit test
ReportHtmlTest.RendersTheHostileReportForTheBrowserTest writes it to
$PE_REPORT_OUT (and the JSON to $PE_REPORT_JSON_OUT). Its failed steps carry
error texts that try to run script (<script>, </pre><img onerror=...>, both
setting document.title to PWNED), plus quotes, non-ASCII, invalid UTF-8 and
a 50 KB traceback. Chromium must show all of it as text, run nothing, and
render a non-trivial page.

Run by ctest as:
  python3 test_report_chromium.py --binary PATH --source-dir DIR
The unit test binary is found at <build dir>/tests/unit_tests, where the
build dir is dirname(dirname(--binary)).
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

GTEST_FILTER = "ReportHtmlTest.RendersTheHostileReportForTheBrowserTest"
CHROMIUM_TIMEOUT_SECONDS = 60
WINDOW = (1200, 1600)
HOSTILE_RUN_ID = "01JHOSTILE0000000000000000"


def unit_tests_path():
    build_dir = os.path.dirname(os.path.dirname(ARGS.binary))
    return os.path.join(build_dir, "tests", "unit_tests")


def chromium_path():
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_group(args, timeout, env=None, cwd=None):
    """Runs a command in its own process group and returns
    (returncode, stdout bytes, stderr text). On timeout the whole group
    (a browser's helpers too) is killed and TimeoutError raised."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, env=env, cwd=cwd,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError("%s did not finish in %ss" % (args[0], timeout))
        finally:
            # Also reaps helpers that outlive the main process.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read(),
                err.read().decode("utf-8", "replace"))


def chromium(tmp, *args):
    """Headless Chromium with a fresh profile and no network chatter."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    command = [
        chromium_path(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile,
    ] + list(args)
    return run_group(command, CHROMIUM_TIMEOUT_SECONDS, cwd=tmp)


def dump_dom(tmp, html_path):
    rc, out, err = chromium(tmp, "--dump-dom", "file://" + html_path)
    if rc != 0:
        raise AssertionError("chromium --dump-dom exited %d:\n%s" % (rc, err[-4000:]))
    return out.decode("utf-8")


def dom_title(dom):
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    return match.group(1) if match else None


class ReportInChromiumTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if chromium_path() is None:
            raise AssertionError(
                "chromium is not installed (scripts/setup.sh installs it)")
        unit_tests = unit_tests_path()
        if not os.access(unit_tests, os.X_OK):
            raise AssertionError("no unit test binary at %s" % unit_tests)
        cls._tmp = tempfile.TemporaryDirectory(prefix="pe-report-chromium-")
        cls.tmp = cls._tmp.name
        cls.html_path = os.path.join(cls.tmp, HOSTILE_RUN_ID + "_summary.html")
        cls.json_path = os.path.join(cls.tmp, HOSTILE_RUN_ID + "_summary.json")
        env = dict(os.environ, PE_REPORT_OUT=cls.html_path,
                   PE_REPORT_JSON_OUT=cls.json_path)
        rc, out, err = run_group(
            [unit_tests, "--gtest_filter=" + GTEST_FILTER], 120, env=env)
        out = out.decode("utf-8", "replace")
        if rc != 0 or "[  PASSED  ] 1 test." not in out:
            raise AssertionError("%s failed (%d):\n%s\n%s" % (
                GTEST_FILTER, rc, out[-4000:], err[-4000:]))
        with open(cls.html_path, "rb") as f:
            cls.html = f.read().decode("utf-8")
        cls.dom = dump_dom(cls.tmp, cls.html_path)
        cls.png_path = os.path.join(cls.tmp, "report.png")
        rc, _, err = chromium(cls.tmp, "--screenshot=" + cls.png_path,
                              "--window-size=%d,%d" % WINDOW,
                              "file://" + cls.html_path)
        if rc != 0:
            raise AssertionError("chromium --screenshot exited %d:\n%s" % (
                rc, err[-4000:]))

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def test_screenshot_is_a_real_png_of_the_window(self):
        with open(self.png_path, "rb") as f:
            png = f.read()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 10 * 1024, "a blank page is much smaller")
        width, height = struct.unpack(">II", png[16:24])  # IHDR
        self.assertEqual((width, height), WINDOW)

    def test_no_script_ran(self):
        self.assertEqual(dom_title(self.dom),
                         "Run %s · failed" % HOSTILE_RUN_ID)
        self.assertNotIn("PWNED", dom_title(self.dom))

    def test_no_element_was_injected(self):
        lower = self.dom.lower()
        for tag in ("<script", "<img", "<iframe", "<b>", "<x>"):
            self.assertNotIn(tag, lower)
        # The <pre> the error text tried to close holds all of it.
        self.assertEqual(self.dom.count("<pre"), 5)
        self.assertEqual(self.dom.count("</pre>"), 5)

    def test_hostile_error_text_is_shown_as_text(self):
        for text in (
                "&lt;script&gt;alert(1)&lt;/script&gt;",
                "&lt;script&gt;document.title='PWNED'&lt;/script&gt;",
                "&lt;/pre&gt;&lt;img src=x onerror=\"document.title='PWNED'\"&gt;",
                "He said \"don't\" &amp; left — naïve café 日本語 ✓ 🚀",
                "bytes: \ufffd\ufffd then \ufffd( and a NUL \ufffd end",
                "&lt;iframe src=x&gt;&lt;/iframe&gt;render",
                "&lt;b&gt;bold project&lt;/b&gt;",
                "\"&gt;&lt;script&gt;document.title='PWNED'&lt;/script&gt;",
                "failed: crc mismatch in 'logs/&lt;b&gt;.txt'"):
            self.assertIn(text, self.dom)

    def test_a_50_kb_error_text_is_kept_whole(self):
        match = re.search(r"<pre[^>]*>(Traceback.*?)</pre>", self.dom, re.S)
        self.assertIsNotNone(match)
        self.assertGreater(len(match.group(1)), 50 * 1024)
        self.assertTrue(match.group(1).endswith("RuntimeError: END-OF-HUGE-TEXT"))

    def test_page_forbids_scripts_and_loads_nothing(self):
        self.assertIn('<meta http-equiv="Content-Security-Policy" '
                      'content="default-src \'none\'; '
                      'style-src \'unsafe-inline\'">', self.html)
        self.assertNotRegex(self.html, r"(?i)<(script|link|img|iframe)\b")

    def test_the_detector_sees_a_script_that_does_run(self):
        # Control: without escaping or CSP the same payload does set the
        # title, so the checks above can fail.
        path = os.path.join(self.tmp, "control.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write("<!DOCTYPE html><title>clean</title>"
                    "<pre><script>document.title='PWNED'</script></pre>")
        self.assertEqual(dom_title(dump_dom(self.tmp, path)), "PWNED")

    def test_json_report_parses_and_round_trips_hostile_text(self):
        with open(self.json_path, "rb") as f:
            report = json.loads(f.read().decode("utf-8"))
        self.assertEqual(report["schema_version"], 1)
        self.assertEqual(report["run_id"], HOSTILE_RUN_ID)
        errors = [s["error_message"] for s in report["failed_steps"]]
        self.assertEqual(errors[0], "<script>alert(1)</script>\n"
                         "<script>document.title='PWNED'</script>")
        self.assertEqual(errors[3],
                         "bytes: \ufffd\ufffd then \ufffd( and a NUL \x00 end")
        self.assertTrue(errors[4].endswith("END-OF-HUGE-TEXT"))
        self.assertEqual(report["created_at"], "2025-12-05T10:00:00Z")


class GoldenReportJsonTest(unittest.TestCase):
    def test_golden_json_parses_with_keys_in_schema_order(self):
        path = os.path.join(ARGS.source_dir, "tests", "data", "golden",
                            "report.json")
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        self.assertEqual(list(report), [
            "schema_version", "run_id", "project", "phase", "workstream",
            "status", "created_at", "started_at", "ended_at",
            "duration_seconds", "steps", "failed_steps", "events", "archive",
            "generated_at"])
        self.assertEqual(list(report["archive"]),
                         ["path", "size_bytes", "sha256", "integrity"])


if __name__ == "__main__":
    lib.main()
