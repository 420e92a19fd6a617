"""The pipeline_exporter command line: version, help, bad configuration, a
busy listen address (exit status 2 for every start-up error), and a daemon
that starts without its database.

Run by ctest as: python3 test_cli.py --binary PATH --source-dir DIR
"""

import os
import signal
import socket
import tempfile
import time
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

# Every flag the exporter documents in --help.
FLAGS = [
    "--config.file",
    "--state.db",
    "--state.poll-interval",
    "--web.listen-address",
    "--web.telemetry-path",
    "--log.level",
    "--log.format",
    "--version",
    "--help",
]

# How long a command that must fail on its configuration may take.
QUICK_EXIT_SECONDS = 15


class CliTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-cli-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        # Should a bad configuration be accepted by mistake, the daemon must
        # still not touch a real database or bind a public address.
        self.safe_flags = [
            "--state.db=" + os.path.join(self.tmp, "absent.db"),
            "--web.listen-address=" + lib.loopback_address(lib.free_port()),
        ]

    def run_exporter(self, *flags):
        return lib.run([ARGS.binary] + list(flags), timeout=QUICK_EXIT_SECONDS)

    def write_file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_version_exits_zero_and_prints_the_project_version(self):
        result = self.run_exporter("--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        version = lib.project_version(ARGS.source_dir)
        self.assertIn(version, result.stdout + result.stderr)

    def test_help_exits_zero_and_mentions_every_flag(self):
        result = self.run_exporter("--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout + result.stderr
        for flag in FLAGS:
            with self.subTest(flag=flag):
                self.assertIn(flag, text)

    def test_bad_configuration_exits_2_naming_the_key(self):
        unknown_nested_key = self.write_file("unknown_key.yml", "state:\n  dbx: 1\n")
        syntax_error = self.write_file("syntax_error.yml", "state: {db: x\nweb: [\n")
        cases = [
            # (description, flags, text stderr must contain)
            ("unknown flag", ["--state.dbb=x.db"], "state.dbb"),
            ("invalid duration", ["--state.poll-interval=ten"], "state.poll-interval"),
            ("unknown nested YAML key", ["--config.file=" + unknown_nested_key],
             "state.dbx"),
            ("YAML syntax error", ["--config.file=" + syntax_error], syntax_error),
            ("unknown log format", ["--log.format=xml"], "log.format"),
        ]
        for description, flags, key in cases:
            with self.subTest(description):
                result = self.run_exporter(*(self.safe_flags + flags))
                self.assertEqual(result.returncode, 2,
                                 "stdout: %s\nstderr: %s" % (result.stdout, result.stderr))
                self.assertIn(key, result.stderr)

    def test_a_listen_address_in_use_exits_2_naming_the_address(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind((lib.LOOPBACK, 0))
            busy.listen()
            address = lib.loopback_address(busy.getsockname()[1])
            result = self.run_exporter(
                "--state.db=" + os.path.join(self.tmp, "absent.db"),
                "--web.listen-address=" + address)
        self.assertEqual(result.returncode, 2,
                         "stdout: %s\nstderr: %s" % (result.stdout, result.stderr))
        self.assertIn("cannot start the web server", result.stderr)
        self.assertIn(address, result.stderr)

    def test_help_documents_the_exit_status(self):
        result = self.run_exporter("--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Exit status:", result.stdout)
        self.assertIn("2 for an invalid configuration or any other start-up",
                      result.stdout)


class MissingDatabaseTest(unittest.TestCase):
    """A daemon whose database does not exist (yet) keeps serving."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-cli-")
        self.addCleanup(tmp.cleanup)
        self.db = os.path.join(tmp.name, "state", "orchestration.db")
        self.base = "http://" + lib.loopback_address(lib.free_port())
        self.daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + self.db,
            "--state.poll-interval=200ms",
            "--web.listen-address=" + self.base[len("http://"):],
        ])
        lib.wait_for_http(self.base + "/-/healthy", timeout=30, daemon=self.daemon)

    def scrape_state_up(self):
        return lib.sample(lib.scrape(self.base + "/metrics"), "pipeline_exporter_state_up")

    def test_is_healthy_but_never_ready_and_reports_state_down(self):
        status, _, _ = lib.http_get(self.base + "/-/healthy")
        self.assertEqual(status, 200)
        # Wait for a poll to have failed, then watch several more poll cycles.
        state_up = lib.wait_until(lambda: self.scrape_state_up() is not None,
                                  timeout=15, message="pipeline_exporter_state_up",
                                  daemon=self.daemon)
        self.assertTrue(state_up)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            status, _, _ = lib.http_get(self.base + "/-/ready")
            self.assertEqual(status, 503, "ready without a database")
            self.assertEqual(self.scrape_state_up(), 0.0)
            time.sleep(0.25)
        self.assertTrue(self.daemon.alive(), self.daemon.describe())
        self.assertFalse(os.path.exists(self.db),
                         "the exporter must not create the orchestrator's database")

    def test_logs_once_that_it_waits_for_the_database(self):
        # Several polls (200ms apart) without a database, then look at the log.
        lib.wait_until(lambda: (lib.sample(lib.scrape(self.base + "/metrics"),
                                           "pipeline_exporter_polls_total",
                                           result="error") or 0) >= 5,
                       timeout=15, message="five failed polls", daemon=self.daemon)
        log = self.daemon.stderr()
        self.assertEqual(log.count("waiting for the state database"), 1, log)
        self.assertIn("condition=missing", log)
        self.assertNotIn("last good data", log, "there never was any data")
        self.assertNotIn("level=warn", log)

    def test_sigterm_stops_the_daemon_cleanly(self):
        self.daemon.signal(signal.SIGTERM)
        status = self.daemon.wait(timeout=10)
        self.assertIsNotNone(status, "still running 10s after SIGTERM")
        self.assertEqual(status, 0, self.daemon.describe())


class WebFlagsTest(unittest.TestCase):
    def test_telemetry_path_moves_the_metrics_endpoint(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-cli-")
        self.addCleanup(tmp.cleanup)
        base = "http://" + lib.loopback_address(lib.free_port())
        daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + os.path.join(tmp.name, "absent.db"),
            "--state.poll-interval=200ms",
            "--web.listen-address=" + base[len("http://"):],
            "--web.telemetry-path=/custom-metrics",
        ])
        lib.wait_for_http(base + "/-/healthy", status=200, timeout=30, daemon=daemon)
        samples = lib.wait_until(
            lambda: lib.sample(lib.scrape(base + "/custom-metrics"),
                               "pipeline_exporter_state_up") is not None,
            timeout=15, message="state_up on /custom-metrics", daemon=daemon)
        self.assertTrue(samples)
        self.assertEqual(lib.http_get(base + "/metrics")[0], 404)
        status, _, body = lib.http_get(base + "/")
        self.assertEqual(status, 200)
        self.assertIn(b"/custom-metrics", body, "landing page links to the telemetry path")


if __name__ == "__main__":
    lib.main()
