"""Shared helpers for the integration tests (python3 standard library only).

The tests drive the real pipeline_exporter binary. ctest runs every
tests/integration/test_*.py as

    python3 test_x.py --binary PATH --source-dir DIR

so a test module starts with

    import pe_testlib
    ARGS = pe_testlib.parse_args()       # .binary, .source_dir
    ...
    if __name__ == "__main__":
        pe_testlib.main()                # unittest with the remaining argv

What is here:
  free_port()                     a free TCP port on 127.0.0.1
  Daemon / start_daemon(...)      a child process with its output in files,
                                  stopped (TERM, then KILL) by stop() or cleanup
  http_get(url)                   (status, headers, body) without raising on 4xx/5xx
  wait_for_http(url, ...)         poll until a URL answers (optionally a given status)
  wait_until(predicate, ...)      poll any condition
  scrape(url) / parse_metrics(t)  the text format as {(name, frozenset(labels.items())): value}
  StalledClients(port, n)         n connections stalled in their request headers
  timed_get(url, timeout)         (seconds, status or None) of one GET
  run_promtool(...) / promtool_check_metrics(text)

Every process started here listens on loopback only: pass
loopback_address(port) as --web.listen-address.

Run `python3 pe_testlib.py` to run this module's own self-tests.
"""

import argparse
import gzip
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

LOOPBACK = "127.0.0.1"

# ---------------------------------------------------------------------------
# Command line shared by every integration test.

_ARGS = None
_REST = None


def parse_args(argv=None):
    """Parses --binary and --source-dir; keeps the rest for unittest.

    Returns a namespace with absolute .binary and .source_dir. Safe to call
    more than once (the first parse wins).
    """
    global _ARGS, _REST
    if _ARGS is not None:
        return _ARGS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--binary", required=True,
                        help="path to the pipeline_exporter executable")
    parser.add_argument("--source-dir", required=True,
                        help="the repository root")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    args.binary = os.path.abspath(args.binary)
    args.source_dir = os.path.abspath(args.source_dir)
    _ARGS, _REST = args, rest
    return args


def main():
    """Runs unittest.main with argv minus --binary/--source-dir."""
    parse_args()
    unittest.main(argv=[sys.argv[0]] + _REST, verbosity=2)


def project_version(source_dir):
    """The VERSION from the top-level CMakeLists.txt project() call."""
    with open(os.path.join(source_dir, "CMakeLists.txt"), encoding="utf-8") as f:
        match = re.search(r"project\(\s*pipeline_exporter\s+VERSION\s+([0-9][0-9.]*)",
                          f.read())
    if not match:
        raise RuntimeError("no project(pipeline_exporter VERSION ...) in CMakeLists.txt")
    return match.group(1)


# ---------------------------------------------------------------------------
# Ports and processes.

def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def loopback_address(port):
    return "%s:%d" % (LOOPBACK, port)


class Daemon:
    """A child process whose stdout/stderr go to files (no pipe can fill up).

    stop() sends SIGTERM, waits, then SIGKILLs; it is idempotent, so tests
    register it with addCleanup and may also call it themselves.
    """

    def __init__(self, args, cwd=None, env=None, name=None):
        self.args = [str(a) for a in args]
        self.name = name or os.path.basename(self.args[0])
        self._dir = tempfile.mkdtemp(prefix="pe-%s-" % self.name)
        self.stdout_path = os.path.join(self._dir, "stdout")
        self.stderr_path = os.path.join(self._dir, "stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.args, cwd=cwd, env=env,
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err,
                                         start_new_session=True)
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stdout(self):
        return _read_text(self.stdout_path)

    def stderr(self):
        return _read_text(self.stderr_path)

    def describe(self):
        """Command, status and output, for assertion messages."""
        state = "running" if self.alive() else "exited %s" % self.proc.returncode
        return "%s (%s)\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args), state, _tail(self.stdout()), _tail(self.stderr()))

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout):
        """Waits for exit; returns the status or None on timeout."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def stop(self, timeout=10.0):
        """SIGTERM, wait up to timeout, then SIGKILL the process group.

        Returns the exit status (negative for a signal, as in subprocess).
        """
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self._kill_group()
        self.returncode = self.proc.wait()
        return self.returncode

    def cleanup(self):
        """stop() plus removal of the output files."""
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _kill_group(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.proc.kill()


def start_daemon(test_case, args, **kwargs):
    """Starts a Daemon that the test case stops at cleanup (even on failure)."""
    daemon = Daemon(args, **kwargs)
    test_case.addCleanup(daemon.cleanup)
    return daemon


def run(args, timeout=30, **kwargs):
    """Runs a command to completion; a hang is killed after timeout seconds."""
    return subprocess.run([str(a) for a in args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _tail(text, limit=4000):
    return text if len(text) <= limit else "...\n" + text[-limit:]


# ---------------------------------------------------------------------------
# HTTP.

def http_get(url, timeout=5.0, headers=None):
    """GET url; returns (status, headers as a dict with lower-case keys, body bytes).

    4xx/5xx come back as values, not exceptions; connection errors raise
    OSError (urllib.error.URLError is one).
    """
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (response.status, _lower_keys(response.headers), response.read())
    except urllib.error.HTTPError as e:
        body = e.read() if e.fp is not None else b""
        return (e.code, _lower_keys(e.headers), body)


def _lower_keys(headers):
    return {k.lower(): v for k, v in (headers.items() if headers else [])}


def wait_until(predicate, timeout=30.0, interval=0.1, message="condition",
               daemon=None):
    """Polls predicate() until it returns a truthy value, which is returned.

    Raises AssertionError on timeout, or at once if daemon has exited.
    Exceptions from predicate count as "not yet".
    """
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - "not yet"
            last_error = e
        if daemon is not None and not daemon.alive():
            raise AssertionError("%s: process exited while waiting for %s\n%s"
                                 % (daemon.name, message, daemon.describe()))
        if time.monotonic() >= deadline:
            detail = "" if last_error is None else " (last error: %r)" % (last_error,)
            extra = "" if daemon is None else "\n" + daemon.describe()
            raise AssertionError("timed out after %.1fs waiting for %s%s%s"
                                 % (timeout, message, detail, extra))
        time.sleep(interval)


def wait_for_http(url, status=None, timeout=30.0, daemon=None):
    """Waits until url answers (with the given status if one is given).

    Returns (status, headers, body) of the answer that ended the wait.
    """
    def attempt():
        result = http_get(url, timeout=2.0)
        return result if status is None or result[0] == status else None
    wanted = url if status is None else "%s to answer %d" % (url, status)
    return wait_until(attempt, timeout=timeout, message=wanted, daemon=daemon)


# ---------------------------------------------------------------------------
# Prometheus text format (0.0.4).

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(r"^(%s)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$" % _NAME)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class ParseError(ValueError):
    pass


def parse_metrics(text):
    """Parses an exposition into {(name, frozenset(labels.items())): value}.

    Comments (# HELP/# TYPE) are skipped; values are floats (NaN and +/-Inf
    included). A malformed line or a duplicate series raises ParseError.
    """
    samples = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ParseError("line %d: not a sample: %r" % (number, line))
        name, label_text, value_text, _timestamp = match.groups()
        labels = _parse_labels(label_text[1:-1], number) if label_text else {}
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ParseError("line %d: duplicate series %r" % (number, line))
        samples[key] = _parse_value(value_text, number)
    return samples


def _parse_labels(text, number):
    labels = {}
    pos = 0
    while pos < len(text):
        match = _LABEL.match(text, pos)
        if not match:
            raise ParseError("line %d: bad labels: {%s}" % (number, text))
        name, raw, _ = match.groups()
        if name in labels:
            raise ParseError("line %d: duplicate label %r" % (number, name))
        labels[name] = re.sub(r"\\[\\\"n]", lambda m: _ESCAPES[m.group(0)], raw)
        pos = match.end()
    return labels


def _parse_value(text, number):
    special = {"+Inf": math.inf, "Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    if text in special:
        return special[text]
    try:
        return float(text)
    except ValueError:
        raise ParseError("line %d: bad value %r" % (number, text)) from None


def sample(samples, name, **labels):
    """The value of one series, or None if absent."""
    return samples.get((name, frozenset(labels.items())))


def series(samples, name):
    """{frozenset(labels.items()): value} for every series of a metric name."""
    return {labels: v for (n, labels), v in samples.items() if n == name}


def scrape_text(url, timeout=5.0, accept_gzip=False):
    """GETs a metrics URL, asserting 200; returns the body as text."""
    headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
    status, response_headers, body = http_get(url, timeout=timeout, headers=headers)
    if status != 200:
        raise AssertionError("GET %s: status %d: %r" % (url, status, body[:500]))
    if response_headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8")


def scrape(url, timeout=5.0):
    """GET + parse_metrics."""
    return parse_metrics(scrape_text(url, timeout=timeout))


class StalledClients:
    """count TCP connections to 127.0.0.1:port that each send the start of a
    request header and then nothing more (a client stalled in its headers,
    or a slowloris). A context manager: every socket is closed on exit.
    """

    PARTIAL_HEADER = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: st"

    def __init__(self, port, count):
        self.sockets = []
        try:
            for _ in range(count):
                s = socket.create_connection((LOOPBACK, port), timeout=5.0)
                self.sockets.append(s)
                s.sendall(self.PARTIAL_HEADER)
        except BaseException:
            self.close()
            raise

    def closed_by_server(self):
        """How many of the connections the server has closed (EOF or reset)."""
        closed = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                while s.recv(65536):  # an error answer (408) may come first
                    pass
                closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed

    def close(self):
        for s in self.sockets:
            s.close()
        self.sockets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def timed_get(url, timeout):
    """GET url; returns (seconds until the whole answer was read, status);
    status is None when the request failed or timed out."""
    start = time.monotonic()
    try:
        status = http_get(url, timeout=timeout)[0]
    except OSError:
        status = None
    return time.monotonic() - start, status


# ---------------------------------------------------------------------------
# promtool.

def promtool_path():
    """promtool's path, or None when it is not installed."""
    return shutil.which("promtool")


def run_promtool(*args, input_text=None, timeout=60):
    """Runs promtool with args; returns subprocess.CompletedProcess (text)."""
    path = promtool_path()
    if path is None:
        raise AssertionError("promtool is not installed (scripts/setup.sh installs it)")
    return subprocess.run([path] + [str(a) for a in args], input=input_text,
                          capture_output=True, text=True, timeout=timeout)


def promtool_check_metrics(text):
    """promtool check metrics (lint of an exposition read from stdin)."""
    return run_promtool("check", "metrics", input_text=text)


# ---------------------------------------------------------------------------
# Self-tests: python3 pe_testlib.py

class _ParseMetricsTest(unittest.TestCase):
    def test_parses_names_labels_values_and_skips_comments(self):
        text = ('# HELP a_total Things.\n# TYPE a_total counter\n'
                'a_total{state="ok",project="p1"} 3\n'
                'up 1\n'
                'b{x=""} +Inf\n'
                'c -Inf 1700000000000\n'
                'd NaN\n'
                'e 1.5e3\n')
        samples = parse_metrics(text)
        self.assertEqual(samples[("a_total", frozenset({"state": "ok", "project": "p1"}.items()))], 3.0)
        self.assertEqual(sample(samples, "up"), 1.0)
        self.assertEqual(sample(samples, "b", x=""), math.inf)
        self.assertEqual(sample(samples, "c"), -math.inf)
        self.assertTrue(math.isnan(sample(samples, "d")))
        self.assertEqual(sample(samples, "e"), 1500.0)
        self.assertEqual(len(samples), 6)

    def test_unescapes_label_values(self):
        samples = parse_metrics('m{reason="a \\"q\\" \\\\ b\\nc, d=e}"} 1\n')
        self.assertEqual(sample(samples, "m", reason='a "q" \\ b\nc, d=e}'), 1.0)

    def test_accepts_trailing_comma_in_labels(self):
        self.assertEqual(sample(parse_metrics('m{a="1",} 2\n'), "m", a="1"), 2.0)

    def test_rejects_malformed_lines_and_duplicates(self):
        for text in ('m{a="1" 2\n', "m\n", "m abc\n", 'm{a=1} 2\n',
                     'm{a="1",a="2"} 1\n', "m 1\nm 2\n", "9m 1\n"):
            with self.subTest(text=text):
                with self.assertRaises(ParseError):
                    parse_metrics(text)

    def test_series_lists_every_label_set_of_a_name(self):
        samples = parse_metrics('m{a="1"} 1\nm{a="2"} 2\nn 3\n')
        self.assertEqual(series(samples, "m"), {frozenset({("a", "1")}): 1.0,
                                                frozenset({("a", "2")}): 2.0})


class _DaemonTest(unittest.TestCase):
    def test_stop_terminates_and_reports_status(self):
        daemon = start_daemon(self, [sys.executable, "-c", "import time; time.sleep(60)"])
        self.assertTrue(daemon.alive())
        self.assertEqual(daemon.stop(timeout=5), -signal.SIGTERM)
        self.assertFalse(daemon.alive())

    def test_stop_kills_a_process_that_ignores_term(self):
        code = ("import signal, sys, time\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                "print('ready', flush=True)\n"
                "time.sleep(60)\n")
        daemon = start_daemon(self, [sys.executable, "-c", code])
        wait_until(lambda: "ready" in daemon.stdout(), timeout=10, daemon=daemon)
        self.assertEqual(daemon.stop(timeout=0.5), -signal.SIGKILL)

    def test_wait_until_fails_fast_when_the_daemon_exits(self):
        daemon = start_daemon(self, [sys.executable, "-c", "import sys; sys.exit(3)"])
        with self.assertRaisesRegex(AssertionError, "exited"):
            wait_until(lambda: False, timeout=30, daemon=daemon)

    def test_http_helpers_return_error_statuses_as_values(self):
        port = free_port()
        code = ("import http.server, sys\n"
                "class H(http.server.BaseHTTPRequestHandler):\n"
                "    def do_GET(self):\n"
                "        code = 200 if self.path == '/metrics' else 503\n"
                "        body = b'up 1\\n'\n"
                "        self.send_response(code)\n"
                "        self.send_header('Content-Length', str(len(body)))\n"
                "        self.end_headers()\n"
                "        self.wfile.write(body)\n"
                "    def log_message(self, *a): pass\n"
                "http.server.HTTPServer(('127.0.0.1', %d), H).serve_forever()\n" % port)
        daemon = start_daemon(self, [sys.executable, "-c", code])
        base = "http://%s" % loopback_address(port)
        wait_for_http(base + "/metrics", status=200, timeout=10, daemon=daemon)
        self.assertEqual(http_get(base + "/-/ready")[0], 503)
        self.assertEqual(sample(scrape(base + "/metrics"), "up"), 1.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
