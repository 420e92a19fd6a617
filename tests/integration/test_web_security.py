"""Endpoint security: basic auth from --web.config-file, TLS (native through
civetweb and through the documented stunnel proxy), request limits and the
closed set of endpoints.

Run by ctest as: python3 test_web_security.py --binary PATH --source-dir DIR

Native TLS: Debian 12's civetweb 1.15 cannot load OpenSSL 3 (it asks libssl
for SSL_get_peer_certificate, which OpenSSL 3 no longer exports), so there
the exporter must refuse tls_server_config with a clear error. The native
TLS code path itself is exercised with a one-function shim libssl built
here (when a C compiler and the OpenSSL headers are present); the shipped
way to serve TLS is deploy/tls-proxy/ (stunnel), tested when stunnel4 is
installed.
"""

import base64
import os
import re
import shutil
import socket
import ssl
import tempfile
import unittest
import urllib.error
import urllib.request
import warnings

import pe_testlib as lib

ARGS = lib.parse_args()

# bcrypt (cost 4, fast) of "s3cret"; cost does not change the protocol.
ALICE_HASH = "$2b$04$3C8AuH1JsFJeco6nh6C7z.Qu.AWHBunCBQLZKjAum7hcaOEC3fECy"
REALM = 'Basic realm="pipeline_exporter"'
ENDPOINTS = ["/metrics", "/", "/-/healthy", "/-/ready"]
PROXY_CONF = os.path.join("deploy", "tls-proxy", "pipeline_exporter.conf")
QUICK_EXIT_SECONDS = 15

SHIM_SOURCE = """
#include <openssl/ssl.h>
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *s) {
  return SSL_get1_peer_certificate(s);
}
"""


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + token}


ALICE = basic("alice", "s3cret")


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1; returns (cert, key) paths."""
    cert = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    result = lib.run(["openssl", "req", "-x509", "-newkey", "ec",
                      "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", key, "-out", cert, "-days", "2",
                      "-subj", "/CN=127.0.0.1",
                      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
    if result.returncode != 0:
        raise AssertionError("openssl req failed: " + result.stderr)
    return cert, key


def make_client_certificate(directory):
    """A CA and a client certificate it signed; returns (ca, cert, key)."""
    ca_cert = os.path.join(directory, "client-ca.crt")
    ca_key = os.path.join(directory, "client-ca.key")
    cert = os.path.join(directory, "client.crt")
    key = os.path.join(directory, "client.key")
    csr = os.path.join(directory, "client.csr")
    commands = [
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
         "-out", ca_cert, "-days", "2", "-subj", "/CN=test client CA"],
        ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
         "-out", csr, "-subj", "/CN=prometheus"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2"],
    ]
    for command in commands:
        result = lib.run(command)
        if result.returncode != 0:
            raise AssertionError("%s failed: %s" % (command[:2], result.stderr))
    return ca_cert, cert, key


def https_get(url, cafile, headers=None, timeout=5.0, minimum=None,
              client_cert=None):
    """Like lib.http_get over TLS, verifying the server against cafile."""
    context = ssl.create_default_context(cafile=cafile)
    if minimum is not None:
        context.minimum_version = minimum
    if client_cert is not None:
        context.load_cert_chain(*client_cert)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout,
                                    context=context) as response:
            return response.status, {k.lower(): v for k, v in
                                     response.headers.items()}, response.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes, returns everything read until the server closes."""
    with socket.create_connection((lib.LOOPBACK, port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may close while we still send
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def simulated_db(directory):
    db = os.path.join(directory, "state.db")
    result = lib.run([ARGS.binary, "simulate", "--db", db, "--seed", "3",
                      "--bulk", "50", "--bulk-active", "5", "--no-artifacts"],
                     timeout=120)
    if result.returncode != 0:
        raise AssertionError("simulate failed: " + result.stderr)
    return db


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class SecurityTestCase(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="pe-websec-")
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name

    def start_exporter(self, web_config, port=None, env=None):
        port = port or lib.free_port()
        daemon = lib.start_daemon(self, [
            ARGS.binary,
            "--state.db=" + self.db,
            "--state.poll-interval=200ms",
            "--web.listen-address=" + lib.loopback_address(port),
            "--web.config-file=" + web_config,
        ], env=env)
        return daemon, port


class BasicAuthTest(SecurityTestCase):
    """Plain HTTP with basic_auth_users."""

    def setUp(self):
        super().setUp()
        self.db = simulated_db(self.tmp)
        config = write(self.tmp, "web.yml",
                       "basic_auth_users:\n  alice: '%s'\n" % ALICE_HASH)
        self.daemon, self.port = self.start_exporter(config)
        self.base = "http://" + lib.loopback_address(self.port)
        lib.wait_until(lambda: lib.http_get(self.base + "/-/ready",
                                            headers=ALICE)[0] == 200,
                       timeout=60, message="ready with credentials",
                       daemon=self.daemon)

    def test_every_endpoint_demands_credentials(self):
        for path in ENDPOINTS + ["/not-an-endpoint"]:
            for name, headers in [("none", {}),
                                  ("wrong password", basic("alice", "s3cre")),
                                  ("unknown user", basic("bob", "s3cret")),
                                  ("malformed", {"Authorization": "Basic ???"}),
                                  ("other scheme", {"Authorization": "Bearer x"})]:
                with self.subTest(path=path, credentials=name):
                    status, headers_out, body = lib.http_get(self.base + path,
                                                             headers=headers)
                    self.assertEqual(status, 401, body)
                    self.assertEqual(headers_out.get("www-authenticate"), REALM)
                    self.assertNotIn(b"pipeline_", body)

    def test_the_right_credentials_open_every_endpoint(self):
        for path in ENDPOINTS:
            with self.subTest(path=path):
                status, _, body = lib.http_get(self.base + path, headers=ALICE)
                self.assertEqual(status, 200, body)
        samples = lib.parse_metrics(
            lib.http_get(self.base + "/metrics", headers=ALICE)[2].decode())
        self.assertGreater(len(samples), 10)

    def test_only_the_documented_endpoints_exist(self):
        for path in ["/metrics/", "/metrics.gz", "/-/", "/-/reload/",
                     "/index.html", "/etc/passwd", "/../../etc/passwd",
                     "/%2e%2e/%2e%2e/etc/passwd", "/tmp/", "/debug/pprof"]:
            with self.subTest(path=path):
                status, _, body = lib.http_get(self.base + path, headers=ALICE)
                self.assertEqual(status, 404, body)
                self.assertNotIn(b"Index of", body)
                self.assertNotIn(b"root:", body)

    def test_reload_takes_only_an_authorized_post(self):
        status, headers, _ = lib.http_get(self.base + "/-/reload", headers=ALICE)
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "POST")
        request = urllib.request.Request(self.base + "/-/reload", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        self.assertEqual(status, 401)
        request = urllib.request.Request(self.base + "/-/reload", headers=ALICE,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def test_only_get_and_head_are_allowed(self):
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"]:
            with self.subTest(method=method):
                request = urllib.request.Request(self.base + "/metrics",
                                                 headers=ALICE, method=method)
                try:
                    with urllib.request.urlopen(request, timeout=5) as r:
                        status = r.status
                except urllib.error.HTTPError as e:
                    status = e.code
                # civetweb itself answers 400 to TRACE.
                self.assertIn(status, (400, 405, 413))

    def test_request_bodies_are_refused(self):
        request = urllib.request.Request(self.base + "/metrics", headers=ALICE,
                                         data=b"x" * (1 << 20), method="GET")
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except (ConnectionError, urllib.error.URLError):
            status = None  # closed before the body was read: also refused
        self.assertIn(status, (413, None))

    def test_huge_headers_are_refused(self):
        for size in (9000, 100000, 2000000):
            with self.subTest(size=size):
                request = ("GET /metrics HTTP/1.1\r\nHost: x\r\n"
                           "Authorization: %s\r\nX-Big: %s\r\n\r\n"
                           % (ALICE["Authorization"], "a" * size)).encode()
                reply = raw_exchange(self.port, request)
                status = reply.split(b" ", 2)[1] if reply.startswith(b"HTTP/") else b""
                self.assertTrue(reply == b"" or status in (b"400", b"413", b"431"),
                                reply[:200])
        self.assertTrue(self.daemon.alive(), self.daemon.describe())
        self.assertEqual(lib.http_get(self.base + "/-/healthy", headers=ALICE)[0],
                         200)


class InvalidWebConfigTest(SecurityTestCase):
    """Errors in the web config file exit 2 and name the key or file."""

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.tmp, "absent.db")

    def run_with(self, config_path):
        return lib.run([ARGS.binary, "--state.db=" + self.db,
                        "--web.listen-address=" +
                        lib.loopback_address(lib.free_port()),
                        "--web.config-file=" + config_path],
                       timeout=QUICK_EXIT_SECONDS)

    def test_exits_2_naming_the_problem(self):
        cases = [
            ("plain text password", "basic_auth_users:\n  alice: s3cret\n",
             "basic_auth_users.alice"),
            ("unknown key", "basic_auth_users: {}\ntls_config: {}\n",
             "tls_config: unknown key"),
            ("unknown tls key",
             "tls_server_config:\n  cert_file: a\n  keyfile: b\n",
             "tls_server_config."),
            ("unsupported toolkit key",
             "http_server_config:\n  http2: false\n", "http_server_config"),
            ("missing cert file",
             "tls_server_config:\n  cert_file: absent.crt\n  key_file: absent.key\n",
             "tls_server_config.cert_file"),
        ]
        for name, text, expected in cases:
            with self.subTest(case=name):
                path = write(self.tmp, "web.yml", text)
                result = self.run_with(path)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(expected, result.stderr)
                self.assertIn(path, result.stderr)

    def test_a_missing_file_exits_2_naming_it(self):
        path = os.path.join(self.tmp, "nowhere.yml")
        result = self.run_with(path)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(path, result.stderr)


class TlsChecks:
    """Checks shared by native TLS and the proxy; needs .tls_port, .cert."""

    def url(self, path):
        return "https://%s%s" % (lib.loopback_address(self.tls_port), path)

    def test_serves_metrics_over_tls_to_the_right_user(self):
        status, headers, body = https_get(self.url("/metrics"), self.cert,
                                          headers=ALICE)
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        self.assertGreater(len(lib.parse_metrics(body.decode())), 10)
        status, headers, _ = https_get(self.url("/metrics"), self.cert)
        self.assertEqual(status, 401)
        self.assertEqual(headers.get("www-authenticate"), REALM)

    def test_curl_verifies_the_certificate(self):
        if shutil.which("curl") is None:
            self.skipTest("curl is not installed")
        result = lib.run(["curl", "-sS", "--cacert", self.cert, "-u",
                          "alice:s3cret", "-o", "/dev/null", "-w", "%{http_code}",
                          self.url("/-/healthy")])
        self.assertEqual(result.stdout, "200", result.stderr)

    def test_an_untrusted_client_refuses_the_handshake(self):
        with self.assertRaises(urllib.error.URLError) as caught:
            https_get(self.url("/metrics"), cafile=None, headers=ALICE)
        self.assertIsInstance(caught.exception.reason, ssl.SSLError)

    def test_plain_http_gets_no_http_answer(self):
        reply = raw_exchange(self.tls_port,
                             b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertFalse(reply.startswith(b"HTTP/1.1 200"), reply[:200])
        self.assertNotIn(b"pipeline_", reply)

    def test_tls_1_1_is_refused(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(self.cert)
        try:
            with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
                context.maximum_version = ssl.TLSVersion.TLSv1_1
            context.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            self.skipTest("this OpenSSL cannot even offer TLS 1.1")
        with socket.create_connection((lib.LOOPBACK, self.tls_port), timeout=5) as s:
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                with context.wrap_socket(s, server_hostname="127.0.0.1"):
                    pass


def build_shim(directory):
    """A libssl.so exporting SSL_get_peer_certificate; None if impossible."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None or not os.path.exists("/usr/include/openssl/ssl.h"):
        return None
    shim_dir = os.path.join(directory, "shim")
    os.mkdir(shim_dir)
    source = write(directory, "shim.c", SHIM_SOURCE)
    result = lib.run([compiler, "-shared", "-fPIC", "-o",
                      os.path.join(shim_dir, "libssl.so"), source,
                      "-Wl,--no-as-needed", "-l:libssl.so.3", "-l:libcrypto.so.3"],
                     timeout=60)
    return shim_dir if result.returncode == 0 else None


class NativeTlsTest(SecurityTestCase, TlsChecks):
    """tls_server_config served by civetweb."""

    def setUp(self):
        super().setUp()
        self.db = simulated_db(self.tmp)
        self.cert, _ = make_certificate(self.tmp)
        # Paths relative to the config file's directory.
        self.config = write(self.tmp, "web.yml",
                            "tls_server_config:\n"
                            "  cert_file: server.crt\n"
                            "  key_file: server.key\n"
                            "basic_auth_users:\n  alice: '%s'\n" % ALICE_HASH)
        probe, _ = self.start_exporter(self.config)
        status = probe.wait(QUICK_EXIT_SECONDS)
        if status is not None:
            # This civetweb cannot use this OpenSSL: a clean refusal.
            self.assertNotEqual(status, 0, probe.describe())
            self.assertIn("native TLS is unavailable", probe.stderr())
            self.assertIn("deploy/tls-proxy", probe.stderr())
            shim = build_shim(self.tmp)
            if shim is None:
                self.skipTest("native TLS unavailable and no shim could be built")
            env = dict(os.environ, LD_LIBRARY_PATH=shim)
        else:
            probe.stop()
            env = None
        self.daemon, self.tls_port = self.start_exporter(self.config, env=env)
        lib.wait_until(lambda: https_get(self.url("/-/ready"), self.cert,
                                         headers=ALICE)[0] == 200,
                       timeout=60, message="ready over TLS", daemon=self.daemon)

    def start_native(self, name, text):
        """Another exporter with the environment of self.daemon."""
        config = write(self.tmp, name, text)
        env = None
        shim = os.path.join(self.tmp, "shim")
        if os.path.isdir(shim):
            env = dict(os.environ, LD_LIBRARY_PATH=shim)
        return self.start_exporter(config, env=env)

    def test_client_certificates_are_verified_when_required(self):
        ca, cert, key = make_client_certificate(self.tmp)
        daemon, port = self.start_native(
            "mtls.yml",
            "tls_server_config:\n  cert_file: server.crt\n"
            "  key_file: server.key\n"
            "  client_auth_type: RequireAndVerifyClientCert\n"
            "  client_ca_file: %s\n" % os.path.basename(ca))
        url = "https://%s/-/healthy" % lib.loopback_address(port)
        status = lib.wait_until(
            lambda: https_get(url, self.cert, client_cert=(cert, key))[0],
            timeout=30, message="mTLS server", daemon=daemon)
        self.assertEqual(status, 200)
        # Without a certificate, or with one the CA did not sign: no answer.
        server_key = os.path.join(self.tmp, "server.key")
        for client_cert in (None, (self.cert, server_key)):
            with self.subTest(client_cert=client_cert):
                with self.assertRaises((ssl.SSLError, urllib.error.URLError,
                                        ConnectionError)):
                    https_get(url, self.cert, client_cert=client_cert)

    def test_min_version_tls13_refuses_tls12(self):
        daemon, port = self.start_native(
            "web13.yml", "tls_server_config:\n  cert_file: server.crt\n"
            "  key_file: server.key\n  min_version: TLS13\n")
        url = "https://%s/-/healthy" % lib.loopback_address(port)
        lib.wait_until(lambda: https_get(url, self.cert)[0] == 200, timeout=30,
                       message="TLS 1.3 server", daemon=daemon)
        context = ssl.create_default_context(cafile=self.cert)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection((lib.LOOPBACK, port), timeout=5) as s:
            with self.assertRaises(ssl.SSLError):
                with context.wrap_socket(s, server_hostname="127.0.0.1"):
                    pass


class TlsProxyTest(SecurityTestCase, TlsChecks):
    """deploy/tls-proxy/pipeline_exporter.conf (stunnel) in front of the
    exporter, which listens on loopback and checks basic auth itself."""

    def setUp(self):
        super().setUp()
        stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
        if stunnel is None:
            self.skipTest("stunnel4 is not installed (apt-get install stunnel4)")
        self.db = simulated_db(self.tmp)
        self.cert, key = make_certificate(self.tmp)
        config = write(self.tmp, "web.yml",
                       "basic_auth_users:\n  alice: '%s'\n" % ALICE_HASH)
        exporter, exporter_port = self.start_exporter(config)
        self.tls_port = lib.free_port()
        conf = self.proxy_config(exporter_port, key)
        self.proxy = lib.start_daemon(self, [stunnel, conf], name="stunnel")
        lib.wait_until(lambda: https_get(self.url("/-/ready"), self.cert,
                                         headers=ALICE)[0] == 200,
                       timeout=60, message="ready through the proxy",
                       daemon=exporter)
        self.assertTrue(self.proxy.alive(), self.proxy.describe())

    def proxy_config(self, exporter_port, key):
        """The shipped file with this test's ports and paths."""
        with open(os.path.join(ARGS.source_dir, PROXY_CONF), encoding="utf-8") as f:
            text = f.read()
        replacements = {
            "accept": lib.loopback_address(self.tls_port),
            "connect": lib.loopback_address(exporter_port),
            "cert": self.cert,
            "key": key,
        }
        for name, value in replacements.items():
            text, count = re.subn(r"(?m)^%s = .*$" % name,
                                  "%s = %s" % (name, value), text)
            self.assertEqual(count, 1, "%s must be set once in %s" % (name, PROXY_CONF))
        # The test does not run as root: no privilege drop.
        text = re.sub(r"(?m)^set[ug]id = .*$", "", text)
        return write(self.tmp, "stunnel.conf", text)


if __name__ == "__main__":
    lib.main()
