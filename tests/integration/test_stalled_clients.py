"""Many scrapers, some of them bad (issue #23): connections that stall in
their request headers must not keep the exporter, at its defaults, from
answering a scrape, and a slow but live reader still gets a body of
several MB.

Run by ctest as: python3 test_stalled_clients.py --binary PATH --source-dir DIR

At the defaults (32 HTTP threads, 2 s to send the request headers), 16
stalled connections take 16 threads and a scrape gets another at once; 64
take all 32, the next 32 wait in civetweb's queue, and the scrape after
them is served once two rounds have timed out (about 4 s). The old defaults
(4 threads, 10 s) made a scrape beside 16 stalled connections wait 40 s.
"""

import socket
import tempfile
import time
import unittest

import pe_testlib as lib

ARGS = lib.parse_args()

# Prometheus' default scrape_timeout: a scrape must answer within it.
SCRAPE_TIMEOUT = 10.0


def simulated_db(directory, active):
    db = directory + "/state.db"
    result = lib.run([ARGS.binary, "simulate", "--db", db, "--seed", "3",
                      "--bulk", "1000", "--bulk-active", str(active),
                      "--no-artifacts"], timeout=120)
    if result.returncode != 0:
        raise AssertionError("simulate failed: " + result.stderr)
    return db


class StalledClientsTest(unittest.TestCase):
    """The exporter with its default web options beside stalled clients."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pe-stall-")
        # 10k active runs: a /metrics body of several MB.
        cls.db = simulated_db(cls.tmp.name, active=10000)
        cls.port = lib.free_port()
        cls.daemon = lib.Daemon([
            ARGS.binary, "--state.db=" + cls.db,
            "--web.listen-address=" + lib.loopback_address(cls.port)])
        cls.base = "http://" + lib.loopback_address(cls.port)
        try:
            lib.wait_for_http(cls.base + "/-/ready", status=200, timeout=60,
                              daemon=cls.daemon)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.daemon.cleanup()
        cls.tmp.cleanup()

    def setUp(self):
        # Whatever an earlier test left stalled has timed out by now.
        lib.wait_until(lambda: lib.timed_get(self.base + "/-/healthy", 1.0)[1]
                       == 200, timeout=30, message="exporter answers",
                       daemon=self.daemon)

    def assert_answers_within(self, path, seconds):
        elapsed, status = lib.timed_get(self.base + path, timeout=SCRAPE_TIMEOUT)
        self.assertEqual(status, 200, "%s: no answer after %.1f s"
                         % (path, elapsed))
        self.assertLess(elapsed, seconds, "%s took %.2f s" % (path, elapsed))
        return elapsed

    def test_16_stalled_connections_do_not_delay_a_scrape(self):
        with lib.StalledClients(self.port, 16):
            time.sleep(0.3)  # accepted and given threads
            for path in ["/-/healthy", "/metrics", "/-/healthy"]:
                with self.subTest(path=path):
                    self.assert_answers_within(path, 1.0)

    def test_64_stalled_connections_time_out_and_a_scrape_answers(self):
        with lib.StalledClients(self.port, 64) as stalled:
            opened = time.monotonic()
            time.sleep(0.3)
            # Waits behind two rounds of 32 header timeouts, well within
            # Prometheus' scrape timeout.
            self.assert_answers_within("/-/healthy", SCRAPE_TIMEOUT)
            lib.wait_until(lambda: stalled.closed_by_server() == 64,
                           timeout=SCRAPE_TIMEOUT, interval=0.05,
                           message="64 stalled connections closed",
                           daemon=self.daemon)
            self.assertLess(time.monotonic() - opened, SCRAPE_TIMEOUT)
            self.assert_answers_within("/metrics", 1.0)

    def test_a_slow_reader_gets_the_whole_body(self):
        # Small receive buffer: the exporter's writes block on this client.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.settimeout(30)
            s.connect((lib.LOOPBACK, self.port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Connection: close\r\n\r\n")
            received = bytearray()
            started = time.monotonic()
            # Takes nothing for 8 s, then reads 64 KiB every 2 ms. The
            # kernel buffers about 3.8 MB of the body; the exporter's writes
            # then block, gaining a byte at each zero-window probe (0.2 s,
            # then doubling): a 3.2 s gap outlasts civetweb's 2 s write
            # timeout, which WriteAll rides out up to 10 s without progress.
            # (Without that, the body is cut at 3.8 MB; 4 s would not show it.)
            time.sleep(8.0)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
                time.sleep(0.002)
            elapsed = time.monotonic() - started
        head, _, body = bytes(received).partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:200])
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        self.assertEqual(length, [len(body)])
        self.assertGreater(len(body), 2_000_000)
        self.assertTrue(body.endswith(b"\n"))
        self.assertGreater(len(lib.parse_metrics(body.decode())), 10000)
        print("slow reader: %d bytes in %.1f s" % (len(body), elapsed))


if __name__ == "__main__":
    lib.main()
