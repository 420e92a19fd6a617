"""The deployment files under deploy/ are valid for the tools that read them
and consistent with the exporter, the repository and each other:

* systemd: the unit passes `systemd-analyze verify` (alone and with the
  read-only drop-in) without a single warning, is hardened, and makes
  writable exactly the folders its config.yml writes; the sysusers.d entry
  creates the user the unit runs as;
* every exporter configuration shipped (systemd, compose, Kubernetes) is
  accepted by the real binary;
* every Prometheus configuration passes `promtool check config` with the
  repository's rules/*.yml in place of the paths it names, and loads exactly
  those rule files;
* the container image definition: bookworm stages, a non-root numeric user,
  the runtime packages that own every library `ldd` lists, and a HEALTHCHECK
  that passes against the real exporter;
* the compose file: its services, builds and mounts (every bind mount exists
  in the repository and lands where the service's configuration looks), its
  Alertmanager configuration (`amtool check-config`, and the shipped one with
  only its addresses changed), its Grafana data source, its webhook sink;
* the Kubernetes manifests: kinds, selectors, ports, probes, security
  context, ServiceMonitor, and a PrometheusRule carrying exactly the groups
  and rules of rules/*.yml (regenerated in memory).

Run by ctest as: python3 test_deploy.py --binary PATH --source-dir DIR
Needs PyYAML (Debian python3-yaml); systemd-analyze, systemd-sysusers,
promtool, amtool, dpkg and kubectl are each used when installed (the tests
that need a missing one are skipped, saying which).
"""

import glob
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import yaml

import pe_testlib as lib

ARGS = lib.parse_args()
SRC = ARGS.source_dir
DEPLOY = os.path.join(SRC, "deploy")
SYSTEMD_DIR = os.path.join(DEPLOY, "systemd")
UNIT = os.path.join(SYSTEMD_DIR, "pipeline-exporter.service")
UNIT_BINARY = "/usr/local/bin/pipeline_exporter"
COMPOSE_DIR = os.path.join(DEPLOY, "compose")
COMPOSE_FILE = os.path.join(COMPOSE_DIR, "compose.yml")
K8S_DIR = os.path.join(DEPLOY, "kubernetes")
DOCKERFILE = os.path.join(DEPLOY, "container", "Dockerfile")
JOB = "pipeline_exporter"


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def load_yaml_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def tool(name, test_case):
    """The path of a tool, or skip the test saying it is missing."""
    path = shutil.which(name)
    if not path:
        test_case.skipTest("%s not installed" % name)
    return path


def run(args, cwd=None, timeout=120, env=None):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, timeout=timeout,
                          capture_output=True, text=True)


def rule_file_names():
    """Base names of the repository's rule files (rules/*.yml)."""
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(SRC, "rules", "*.yml")))


def default_listen_port():
    """The exporter's default port, read from its --help."""
    out = run([ARGS.binary, "--help"]).stdout
    match = re.search(r"--web\.listen-address=.*?\(default: [^:)]*:(\d+)\)", out, re.S)
    if not match:
        raise AssertionError("no default of --web.listen-address in --help:\n" + out)
    return int(match.group(1))


def port_of(listen_address):
    return int(str(listen_address).rsplit(":", 1)[1])


# ---------------------------------------------------------------------------
# systemd

def parse_unit(path):
    """{section: [(key, value), ...]} of a unit file (keys may repeat)."""
    sections, current = {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], [])
                continue
            key, _, value = line.partition("=")
            current.append((key.strip(), value.strip()))
    return sections


def unit_values(sections, section, key):
    """Every value of key, with an empty assignment resetting the list."""
    values = []
    for k, v in sections.get(section, []):
        if k == key:
            values = [] if v == "" else values + [v]
    return values


def unit_value(sections, section, key):
    values = [v for k, v in sections.get(section, []) if k == key]
    return values[-1] if values else None


class SystemdUnitTest(unittest.TestCase):
    def setUp(self):
        self.unit = parse_unit(UNIT)
        self.config = load_yaml(os.path.join(SYSTEMD_DIR, "config.yml"))

    def verify_copy(self, with_dropin):
        """Runs systemd-analyze verify on a copy of the unit (and drop-in)
        whose ExecStart names the binary under test."""
        analyze = tool("systemd-analyze", self)
        tmp = tempfile.mkdtemp(prefix="pe-unit-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        files = {"pipeline-exporter.service": UNIT}
        if with_dropin:
            os.makedirs(os.path.join(tmp, "pipeline-exporter.service.d"))
            files["pipeline-exporter.service.d/read-only.conf"] = os.path.join(
                SYSTEMD_DIR, "read-only.conf")
        for name, source in files.items():
            with open(source, encoding="utf-8") as f:
                text = f.read()
            self.assertIn(UNIT_BINARY, text, source)
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text.replace(UNIT_BINARY, ARGS.binary))
        result = run([analyze, "verify", os.path.join(tmp, "pipeline-exporter.service")])
        # verify exits 0 on unknown keys and bad values: it only warns.
        self.assertEqual((result.returncode, result.stderr.strip(), result.stdout.strip()),
                         (0, "", ""))
        return tmp

    def test_unit_passes_systemd_analyze_verify_without_warnings(self):
        self.verify_copy(with_dropin=False)

    def test_unit_with_read_only_dropin_passes_verify(self):
        self.verify_copy(with_dropin=True)

    def test_unit_exposure_is_low_for_systemd_analyze_security(self):
        tmp = self.verify_copy(with_dropin=False)
        # Exposure 0-10 is printed; --threshold is the same scale times 10.
        result = run([tool("systemd-analyze", self), "security", "--offline=yes",
                      "--threshold=20", os.path.join(tmp, "pipeline-exporter.service")])
        self.assertEqual(result.returncode, 0, result.stdout[-3000:] + result.stderr)
        self.assertRegex(result.stdout, r"Overall exposure level .*: [01]\.\d")

    def test_unit_is_hardened(self):
        expected = {
            "Restart": "on-failure",
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "MemoryDenyWriteExecute": "yes",
            "RestrictSUIDSGID": "yes",
            "LockPersonality": "yes",
            "ProtectKernelTunables": "yes",
            "ProtectKernelModules": "yes",
            "ProtectControlGroups": "yes",
            "RestrictNamespaces": "yes",
            "SystemCallArchitectures": "native",
            "CapabilityBoundingSet": "",
            "AmbientCapabilities": "",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        }
        for key, value in expected.items():
            with self.subTest(key=key):
                self.assertEqual(unit_value(self.unit, "Service", key), value)
        self.assertIn("@system-service", unit_values(self.unit, "Service", "SystemCallFilter"))
        self.assertRegex(unit_value(self.unit, "Service", "TimeoutStopSec") or "", r"^\d+s$")

    def test_unit_runs_as_the_dedicated_user_sysusers_creates(self):
        user = unit_value(self.unit, "Service", "User")
        self.assertNotIn(user, (None, "root", "0"))
        self.assertIsNone(unit_value(self.unit, "Service", "DynamicUser"))
        sysusers = tool("systemd-sysusers", self)
        root = tempfile.mkdtemp(prefix="pe-sysusers-")
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        os.makedirs(os.path.join(root, "etc"))
        result = run([sysusers, "--root=" + root,
                      os.path.join(SYSTEMD_DIR, "pipeline-exporter.sysusers.conf")])
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(root, "etc", "passwd"), encoding="utf-8") as f:
            users = {line.split(":")[0]: line.split(":") for line in f if line.strip()}
        self.assertIn(user, users)
        self.assertEqual(users[user][6].strip(), "/usr/sbin/nologin")

    def test_unit_starts_the_binary_with_the_config_file(self):
        self.assertEqual(unit_value(self.unit, "Service", "ExecStart"),
                         UNIT_BINARY + " --config.file=/etc/pipeline_exporter/config.yml")

    def test_read_write_paths_are_exactly_what_the_exporter_writes(self):
        worker = self.config["worker"]
        self.assertTrue(worker["enabled"])
        written = {os.path.dirname(self.config["state"]["db"]), worker["worktrees-dir"],
                   worker["archive-dir"], worker["reports-dir"]}
        read_write = " ".join(unit_values(self.unit, "Service", "ReadWritePaths")).split()
        self.assertEqual(sorted(read_write), sorted(written))
        # Archives and reports live in the StateDirectory, which creates them.
        state_dirs = {"/var/lib/" + d for d in
                      unit_value(self.unit, "Service", "StateDirectory").split()}
        self.assertIn(worker["archive-dir"], state_dirs)
        self.assertIn(worker["reports-dir"], state_dirs)

    def test_read_only_dropin_disables_the_worker_and_keeps_only_the_database_folder(self):
        dropin = parse_unit(os.path.join(SYSTEMD_DIR, "read-only.conf"))
        exec_start = unit_values(dropin, "Service", "ExecStart")
        self.assertEqual(len(exec_start), 1)
        self.assertIn("--no-worker.enabled", exec_start[0])
        self.assertEqual(unit_values(dropin, "Service", "ReadWritePaths"),
                         [os.path.dirname(self.config["state"]["db"])])


# ---------------------------------------------------------------------------
# Exporter configuration files

def k8s_documents():
    kustomization = load_yaml(os.path.join(K8S_DIR, "kustomization.yaml"))
    docs = []
    for name in kustomization["resources"]:
        docs.extend(load_yaml_all(os.path.join(K8S_DIR, name)))
    return docs


def k8s_one(kind, docs=None):
    found = [d for d in (docs or k8s_documents()) if d["kind"] == kind]
    if len(found) != 1:
        raise AssertionError("expected one %s, found %d" % (kind, len(found)))
    return found[0]


def exporter_configs():
    """{name: text} of every exporter configuration shipped under deploy/."""
    configs = {}
    for path in (os.path.join(SYSTEMD_DIR, "config.yml"),
                 os.path.join(COMPOSE_DIR, "exporter.yml")):
        with open(path, encoding="utf-8") as f:
            configs[os.path.relpath(path, SRC)] = f.read()
    configmap = k8s_one("ConfigMap")
    configs["deploy/kubernetes/configmap.yaml"] = configmap["data"]["config.yml"]
    return configs


class ExporterConfigTest(unittest.TestCase):
    def test_every_shipped_config_is_accepted_by_the_exporter(self):
        for name, text in exporter_configs().items():
            with self.subTest(config=name):
                tmp = tempfile.mkdtemp(prefix="pe-deploy-config-")
                self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
                path = os.path.join(tmp, "config.yml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                port = lib.free_port()
                # Flags win over the file: only the paths and the address move
                # into the sandbox; every key of the file is parsed and checked.
                daemon = lib.start_daemon(self, [
                    ARGS.binary, "--config.file=" + path,
                    "--state.db=" + os.path.join(tmp, "missing.db"),
                    "--worker.worktrees-dir=" + os.path.join(tmp, "worktrees"),
                    "--worker.archive-dir=" + os.path.join(tmp, "archive"),
                    "--worker.reports-dir=" + os.path.join(tmp, "reports"),
                    "--web.listen-address=" + lib.loopback_address(port)])
                lib.wait_for_http("http://%s/-/healthy" % lib.loopback_address(port),
                                  status=200, daemon=daemon)
                daemon.stop()

    def test_every_shipped_config_listens_on_the_default_port(self):
        default = default_listen_port()
        for name, text in exporter_configs().items():
            with self.subTest(config=name):
                self.assertEqual(port_of(yaml.safe_load(text)["web"]["listen-address"]),
                                 default)


# ---------------------------------------------------------------------------
# Prometheus

def prometheus_files():
    files = sorted(glob.glob(os.path.join(DEPLOY, "prometheus", "*.yml")))
    files.append(os.path.join(COMPOSE_DIR, "prometheus.yml"))
    return files


class PrometheusConfigTest(unittest.TestCase):
    def check_config(self, config, where):
        """promtool check config on config (a dict) written into where."""
        promtool = tool("promtool", self)
        path = os.path.join(where, "prometheus.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(config, f)
        result = run([promtool, "check", "config", path])
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertNotIn("WARNING", output)
        self.assertIn("SUCCESS: %d rule files found" % len(rule_file_names()), output)

    def test_every_prometheus_file_loads_exactly_the_repository_rules(self):
        for path in prometheus_files():
            with self.subTest(file=os.path.relpath(path, SRC)):
                config = load_yaml(path)
                self.assertEqual(sorted(os.path.basename(p) for p in config["rule_files"]),
                                 rule_file_names())
                jobs = [job["job_name"] for job in config["scrape_configs"]]
                self.assertIn(JOB, jobs)
                self.assertTrue(config["alerting"]["alertmanagers"])

    def test_example_files_pass_promtool_check_config(self):
        # They name the install paths of rules/README.md and of file_sd:
        # point those at the repository's files.
        for path in sorted(glob.glob(os.path.join(DEPLOY, "prometheus", "*.yml"))):
            with self.subTest(file=os.path.relpath(path, SRC)):
                config = load_yaml(path)
                config["rule_files"] = [
                    os.path.join(SRC, "rules", os.path.basename(p))
                    for p in config["rule_files"]]
                for job in config["scrape_configs"]:
                    for sd in job.get("file_sd_configs", []):
                        sd["files"] = [os.path.join(DEPLOY, "prometheus", "file_sd",
                                                    os.path.basename(p))
                                       for p in sd["files"]]
                        for target in sd["files"]:
                            self.assertTrue(os.path.isfile(target), target)
                tmp = tempfile.mkdtemp(prefix="pe-prom-")
                self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
                self.check_config(config, tmp)

    def test_example_scrape_job_targets_the_default_port(self):
        config = load_yaml(os.path.join(DEPLOY, "prometheus", "prometheus.yml"))
        job = [j for j in config["scrape_configs"] if j["job_name"] == JOB][0]
        targets = [t for c in job["static_configs"] for t in c["targets"]]
        self.assertTrue(targets)
        for target in targets:
            self.assertEqual(port_of(target), default_listen_port())

    def test_compose_prometheus_passes_promtool_in_its_container_layout(self):
        # The rule files are read where compose mounts rules/.
        root = materialize_service("prometheus", self)
        config = load_yaml(os.path.join(root, "etc/prometheus/prometheus.yml"))
        config["rule_files"] = [root + p for p in config["rule_files"]]
        for p in config["rule_files"]:
            self.assertTrue(os.path.isfile(p), "compose mounts no rule file at " + p)
        self.check_config(config, root)


# ---------------------------------------------------------------------------
# Container image

def dockerfile_instructions():
    """[(INSTRUCTION, arguments)] with continuation lines joined."""
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        instructions.append((word.upper(), rest.strip()))
    return instructions


def dockerfile_stages():
    """[(base image with ARGs substituted, [(INSTRUCTION, args), ...])]."""
    args, stages = {}, []
    for word, rest in dockerfile_instructions():
        if word == "ARG" and not stages:
            name, _, value = rest.partition("=")
            args[name] = value
        elif word == "FROM":
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest.split()[0])
            stages.append((image, []))
        elif stages:
            stages[-1][1].append((word, rest))
    return stages


def runtime_packages_of(binary):
    """Debian packages owning the libraries `ldd binary` resolves."""
    out = run(["ldd", binary]).stdout
    libraries = re.findall(r"=> (/\S+)", out)
    packages = set()
    for library in libraries:
        # Merged /usr: dpkg knows each file under one of /lib and /usr/lib.
        candidates = []
        for path in (library, os.path.realpath(library)):
            candidates += [path, re.sub(r"^/usr/lib/", "/lib/", path),
                           re.sub(r"^/lib/", "/usr/lib/", path)]
        for path in candidates:
            result = run(["dpkg", "-S", path])
            if result.returncode == 0:
                packages.add(result.stdout.split(":")[0])
                break
        else:
            raise AssertionError("no package owns %s" % library)
    return packages


class ContainerImageTest(unittest.TestCase):
    def setUp(self):
        self.stages = dockerfile_stages()
        self.final = dict(self.stages[-1][1])

    def test_stages_are_debian_bookworm_and_the_runtime_is_slim(self):
        self.assertGreaterEqual(len(self.stages), 2)
        self.assertEqual(self.stages[0][0].split(" ")[0], "debian:bookworm")
        self.assertEqual(self.stages[-1][0], "debian:bookworm-slim")

    def test_runtime_runs_as_a_numeric_non_root_user(self):
        user = self.final["USER"].split(":")
        self.assertTrue(user[0].isdigit(), "numeric USER lets runAsNonRoot verify it")
        self.assertNotEqual(int(user[0]), 0)
        k8s = k8s_one("Deployment")["spec"]["template"]["spec"]["securityContext"]
        self.assertEqual(k8s["runAsUser"], int(user[0]))

    def test_image_exposes_the_default_port_and_runs_the_exporter(self):
        self.assertEqual(self.final["EXPOSE"], str(default_listen_port()))
        self.assertEqual(json.loads(self.final["ENTRYPOINT"]),
                         ["/usr/local/bin/pipeline_exporter"])

    def test_build_stage_copies_only_what_exists_and_the_ignore_file_lets_in(self):
        copies = [rest.split() for word, rest in self.stages[0][1] if word == "COPY"]
        self.assertTrue(copies)
        with open(DOCKERFILE + ".dockerignore", encoding="utf-8") as f:
            allowed = [line.strip()[1:] for line in f if line.strip().startswith("!")]
        for words in copies:
            source = words[0]
            with self.subTest(copy=source):
                self.assertTrue(os.path.exists(os.path.join(SRC, source)))
                self.assertIn(source, allowed)

    def test_runtime_installs_the_packages_owning_every_linked_library(self):
        tool("dpkg", self)
        needed = runtime_packages_of(ARGS.binary)
        # In every Debian image already: the C and C++ runtimes.
        needed -= {"libc6", "libstdc++6", "libgcc-s1"}
        installs = " ".join(rest for word, rest in self.stages[-1][1] if word == "RUN")
        listed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", installs.split("install", 1)[1]))
        self.assertEqual(needed - listed, set())

    def test_healthcheck_passes_against_the_running_exporter(self):
        healthcheck = self.final["HEALTHCHECK"]
        command = json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())
        self.assertIn("/-/healthy", " ".join(command))
        port = lib.free_port()
        command = [c.replace(str(default_listen_port()), str(port)) for c in command]
        tmp = tempfile.mkdtemp(prefix="pe-health-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        daemon = lib.start_daemon(self, [ARGS.binary, "--state.db=" + os.path.join(tmp, "x.db"),
                                         "--web.listen-address=" + lib.loopback_address(port)])
        lib.wait_for_http("http://%s/-/healthy" % lib.loopback_address(port), daemon=daemon)
        self.assertEqual(run(command).returncode, 0)
        daemon.stop()
        self.assertNotEqual(run(command).returncode, 0, "healthy with nothing listening")


# ---------------------------------------------------------------------------
# Compose

def compose():
    return load_yaml(COMPOSE_FILE)


def bind_mounts(service):
    """[(host path, container path)] of a service's bind mounts."""
    mounts = []
    for volume in service.get("volumes", []):
        parts = volume.split(":")
        if parts[0].startswith((".", "/")):
            mounts.append((os.path.normpath(os.path.join(COMPOSE_DIR, parts[0])), parts[1]))
    return mounts


def materialize_service(name, test_case):
    """A temporary root holding a service's bind mounts at their container
    paths (copies), as the container would see them."""
    root = tempfile.mkdtemp(prefix="pe-compose-%s-" % name)
    test_case.addCleanup(shutil.rmtree, root, ignore_errors=True)
    for host, container in bind_mounts(compose()["services"][name]):
        target = root + container
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(host):
            shutil.copytree(host, target)
        else:
            shutil.copyfile(host, target)
    return root


def container_path(name, host_path):
    """Where the bind mounts of service name put host_path, or None."""
    host_path = os.path.normpath(host_path)
    for host, container in bind_mounts(compose()["services"][name]):
        if host_path == host or host_path.startswith(host + os.sep):
            return container + host_path[len(host):]
    return None


class ComposeTest(unittest.TestCase):
    def setUp(self):
        self.compose = compose()
        self.services = self.compose["services"]

    def test_services_are_the_whole_chain(self):
        self.assertEqual(set(self.services),
                         {"simulator", "exporter", "prometheus", "alertmanager", "mailsink",
                          "webhook-sink", "grafana"})
        for name, service in self.services.items():
            with self.subTest(service=name):
                self.assertTrue(service.get("image") or service.get("build"))

    def test_exporter_and_simulator_are_built_from_the_dockerfile(self):
        for name in ("exporter", "simulator"):
            build = self.services[name]["build"]
            context = os.path.normpath(os.path.join(COMPOSE_DIR, build["context"]))
            self.assertEqual(context, SRC)
            self.assertEqual(os.path.join(context, build["dockerfile"]), DOCKERFILE)
        self.assertEqual(self.services["simulator"]["command"][0], "simulate")

    def test_every_bind_mount_exists_in_the_repository(self):
        for name, service in self.services.items():
            for host, _ in bind_mounts(service):
                with self.subTest(service=name, path=host):
                    self.assertTrue(os.path.exists(host))
                    self.assertTrue(host.startswith(SRC + os.sep))

    def test_named_volumes_are_declared(self):
        declared = set(self.compose.get("volumes") or {})
        for name, service in self.services.items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if not source.startswith((".", "/")):
                    with self.subTest(service=name, volume=source):
                        self.assertIn(source, declared)

    def test_exporter_reads_the_database_the_simulator_writes(self):
        config = load_yaml(os.path.join(COMPOSE_DIR, "exporter.yml"))
        volumes = {s: {v.split(":")[1]: v.split(":")[0] for v in self.services[s]["volumes"]}
                   for s in ("exporter", "simulator")}
        self.assertEqual(volumes["exporter"]["/data"], volumes["simulator"]["/data"])
        self.assertIn("--db=" + config["state"]["db"], self.services["simulator"]["command"])
        self.assertIn("--worktrees=" + config["worker"]["worktrees-dir"],
                      self.services["simulator"]["command"])
        for key in ("worktrees-dir", "archive-dir", "reports-dir"):
            self.assertTrue(config["worker"][key].startswith("/data/"), key)
        self.assertEqual(container_path("exporter", os.path.join(COMPOSE_DIR, "exporter.yml")),
                         self.services["exporter"]["command"][0].split("=", 1)[1])

    def test_exporter_runs_locked_down(self):
        exporter = self.services["exporter"]
        self.assertTrue(exporter["read_only"])
        self.assertEqual(exporter["cap_drop"], ["ALL"])
        self.assertIn("no-new-privileges:true", exporter["security_opt"])
        self.assertIn("127.0.0.1:%d:%d" % ((default_listen_port(),) * 2), exporter["ports"])

    def test_prometheus_scrapes_the_exporter_service_and_alerts_alertmanager(self):
        config = load_yaml(os.path.join(COMPOSE_DIR, "prometheus.yml"))
        job = [j for j in config["scrape_configs"] if j["job_name"] == JOB][0]
        self.assertEqual(job["static_configs"][0]["targets"],
                         ["exporter:%d" % default_listen_port()])
        am = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
        self.assertEqual(am, ["alertmanager:9093"])
        self.assertEqual(container_path("prometheus", os.path.join(SRC, "rules")),
                         "/etc/prometheus/rules")

    def test_alertmanager_config_passes_amtool_in_its_container_layout(self):
        amtool = tool("amtool", self)
        root = materialize_service("alertmanager", self)
        service = self.services["alertmanager"]
        config = [a.split("=", 1)[1] for a in service["command"]
                  if a.startswith("--config.file=")][0]
        result = run([amtool, "check-config", root + config],
                     cwd=root + service["working_dir"])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 templates", result.stdout)
        # The two 0.25 paths relative to the working directory resolve there.
        loaded = load_yaml(root + config)
        for key in ("slack_api_url_file", "smtp_auth_password_file"):
            with self.subTest(key=key):
                self.assertTrue(os.path.isfile(os.path.join(
                    root + service["working_dir"], loaded["global"][key])))

    def test_alertmanager_config_is_the_shipped_one_with_local_addresses(self):
        sys.path.insert(0, os.path.join(SRC, "scripts"))
        try:
            import local_alertmanager
        finally:
            sys.path.pop(0)
        tmp = tempfile.mkdtemp(prefix="pe-compose-am-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        ours = os.path.join(COMPOSE_DIR, "alertmanager")
        config = load_yaml(os.path.join(ours, "alertmanager.yml"))
        smtp = config["global"]["smtp_smarthost"]
        with open(os.path.join(ours, "secrets", "slack_api_url"), encoding="utf-8") as f:
            http_url = f.read().strip().rsplit("/", 1)[0]
        expected = local_alertmanager.write_local_config(tmp, http_url, smtp)
        self.assertEqual(config, load_yaml(expected),
                         "regenerate deploy/compose/alertmanager/alertmanager.yml "
                         "(see its header)")
        for name in sorted(os.listdir(os.path.join(tmp, "secrets"))):
            with self.subTest(secret=name):
                with open(os.path.join(tmp, "secrets", name), encoding="utf-8") as f:
                    want = f.read()
                with open(os.path.join(ours, "secrets", name), encoding="utf-8") as f:
                    self.assertEqual(f.read(), want)
        # Every address is a compose service.
        self.assertEqual(smtp.split(":")[0], "mailsink")
        self.assertEqual(http_url, "http://webhook-sink:8080")
        self.assertIn("--port=8080", self.services["webhook-sink"]["command"])

    def test_grafana_gets_the_shipped_provisioning_and_dashboards(self):
        root = materialize_service("grafana", self)
        provider = load_yaml(os.path.join(
            root, "etc/grafana/provisioning/dashboards/pipeline.yml"))["providers"][0]
        dashboards = os.path.join(root + provider["options"]["path"])
        self.assertEqual(sorted(os.listdir(dashboards)),
                         sorted(os.listdir(os.path.join(SRC, "grafana", "dashboards"))))
        ours = load_yaml(os.path.join(
            root, "etc/grafana/provisioning/datasources/pipeline.yml"))["datasources"][0]
        shipped = load_yaml(os.path.join(SRC, "grafana", "provisioning", "datasources",
                                         "pipeline.yml"))["datasources"][0]
        self.assertEqual(ours["url"], "http://prometheus:9090")
        prometheus = load_yaml(os.path.join(COMPOSE_DIR, "prometheus.yml"))
        self.assertEqual(ours["jsonData"]["timeInterval"],
                         prometheus["global"]["scrape_interval"])
        for key in ("url", "isDefault"):
            ours.pop(key)
            shipped.pop(key)
        ours["jsonData"].pop("timeInterval")
        shipped["jsonData"].pop("timeInterval")
        self.assertEqual(ours, shipped)

    def test_webhook_sink_answers_and_prints_each_notification(self):
        port = lib.free_port()
        daemon = lib.start_daemon(self, [sys.executable, "-u",
                                         os.path.join(COMPOSE_DIR, "webhook_sink.py"),
                                         "--host=127.0.0.1", "--port=%d" % port])
        lib.wait_until(lambda: "listening" in read_text(daemon.stdout_path),
                       timeout=10, message="webhook sink listening")
        body = json.dumps({"status": "firing", "alerts": [
            {"labels": {"alertname": "PipelineRunFailed"}}]}).encode()
        request = urllib.request.Request("http://127.0.0.1:%d/webhook" % port, data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            self.assertEqual(response.status, 200)
        lib.wait_until(lambda: "webhook /webhook firing: PipelineRunFailed"
                       in read_text(daemon.stdout_path), timeout=10,
                       message="the notification printed")


# ---------------------------------------------------------------------------
# Kubernetes

def load_generator():
    spec = importlib.util.spec_from_file_location(
        "generate_prometheusrule", os.path.join(K8S_DIR, "generate_prometheusrule.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rules_of(groups):
    return [(g["name"], [r.get("alert") or r.get("record") for r in g["rules"]])
            for g in groups]


class KubernetesTest(unittest.TestCase):
    def setUp(self):
        self.docs = k8s_documents()
        self.deployment = k8s_one("Deployment", self.docs)
        self.pod = self.deployment["spec"]["template"]["spec"]
        self.container = self.pod["containers"][0]
        self.service = k8s_one("Service", self.docs)

    def test_kustomization_lists_every_manifest(self):
        listed = load_yaml(os.path.join(K8S_DIR, "kustomization.yaml"))["resources"]
        present = sorted(os.path.basename(p) for p in glob.glob(os.path.join(K8S_DIR, "*.yaml"))
                         if os.path.basename(p) != "kustomization.yaml")
        self.assertEqual(sorted(listed), present)

    def test_kinds_and_api_versions(self):
        expected = {"ConfigMap": "v1", "PersistentVolumeClaim": "v1",
                    "Deployment": "apps/v1", "Service": "v1",
                    "ServiceMonitor": "monitoring.coreos.com/v1",
                    "PrometheusRule": "monitoring.coreos.com/v1"}
        kinds = {d["kind"] for d in self.docs}
        self.assertEqual(kinds, set(expected))
        for doc in self.docs:
            with self.subTest(kind=doc["kind"], name=doc["metadata"]["name"]):
                self.assertEqual(doc["apiVersion"], expected[doc["kind"]])

    def test_kustomize_builds_the_manifests(self):
        kubectl = tool("kubectl", self)
        result = run([kubectl, "kustomize", K8S_DIR])
        self.assertEqual(result.returncode, 0, result.stderr)
        built = [d for d in yaml.safe_load_all(result.stdout) if d]
        self.assertEqual(sorted((d["kind"], d["metadata"]["name"]) for d in built),
                         sorted((d["kind"], d["metadata"]["name"]) for d in self.docs))

    def test_selectors_match_the_pod_labels(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        for selector in (self.deployment["spec"]["selector"]["matchLabels"],
                         self.service["spec"]["selector"]):
            self.assertTrue(selector)
            self.assertLessEqual(selector.items(), labels.items())
        monitor = k8s_one("ServiceMonitor", self.docs)
        self.assertLessEqual(monitor["spec"]["selector"]["matchLabels"].items(),
                             self.service["metadata"]["labels"].items())

    def test_ports_are_consistent_with_the_exporter_default(self):
        port = default_listen_port()
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        self.assertEqual(list(ports.values()), [port])
        service_ports = {p["name"]: p for p in self.service["spec"]["ports"]}
        for p in service_ports.values():
            self.assertIn(p["targetPort"], ports)
        monitor = k8s_one("ServiceMonitor", self.docs)
        for endpoint in monitor["spec"]["endpoints"]:
            self.assertIn(endpoint["port"], service_ports)
            self.assertEqual(endpoint["path"], "/metrics")

    def test_service_monitor_names_the_job_the_alerts_expect(self):
        endpoint = k8s_one("ServiceMonitor", self.docs)["spec"]["endpoints"][0]
        relabel = [r for r in endpoint["relabelings"] if r.get("targetLabel") == "job"]
        self.assertEqual(len(relabel), 1)
        self.assertEqual(relabel[0]["replacement"], JOB)

    def test_probes_are_healthy_and_ready_on_the_exporter_port(self):
        ports = {p["name"] for p in self.container["ports"]}
        for probe, path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
            with self.subTest(probe=probe):
                get = self.container[probe]["httpGet"]
                self.assertEqual(get["path"], path)
                self.assertIn(get["port"], ports)

    def test_security_context_is_locked_down(self):
        pod = self.pod["securityContext"]
        self.assertTrue(pod["runAsNonRoot"])
        self.assertNotEqual(pod["runAsUser"], 0)
        self.assertEqual(pod["seccompProfile"]["type"], "RuntimeDefault")
        container = self.container["securityContext"]
        self.assertTrue(container["readOnlyRootFilesystem"])
        self.assertFalse(container["allowPrivilegeEscalation"])
        self.assertEqual(container["capabilities"]["drop"], ["ALL"])
        self.assertFalse(self.pod["automountServiceAccountToken"])

    def test_volumes_exist_and_the_config_writes_only_inside_mounts(self):
        volumes = {v["name"]: v for v in self.pod["volumes"]}
        claims = {d["metadata"]["name"] for d in self.docs
                  if d["kind"] == "PersistentVolumeClaim"}
        configmaps = {d["metadata"]["name"] for d in self.docs if d["kind"] == "ConfigMap"}
        mounts = {}
        for mount in self.container["volumeMounts"]:
            self.assertIn(mount["name"], volumes)
            mounts[mount["mountPath"]] = volumes[mount["name"]]
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                self.assertIn(volume["persistentVolumeClaim"]["claimName"], claims)
            if "configMap" in volume:
                self.assertIn(volume["configMap"]["name"], configmaps)

        def writable_mount(path):
            return [m for m, v in mounts.items()
                    if path.startswith(m + "/") and "persistentVolumeClaim" in v]

        config = yaml.safe_load(k8s_one("ConfigMap", self.docs)["data"]["config.yml"])
        for key, path in (("state.db", config["state"]["db"]),
                          ("worker.worktrees-dir", config["worker"]["worktrees-dir"]),
                          ("worker.archive-dir", config["worker"]["archive-dir"]),
                          ("worker.reports-dir", config["worker"]["reports-dir"])):
            with self.subTest(key=key):
                self.assertTrue(writable_mount(path), "%s=%s is on no volume" % (key, path))
        config_arg = [a for a in self.container["args"] if a.startswith("--config.file=")]
        self.assertEqual(len(config_arg), 1)
        self.assertIn(os.path.dirname(config_arg[0].split("=", 1)[1]), mounts)

    def test_prometheusrule_is_up_to_date_with_rules(self):
        generator = load_generator()
        with open(os.path.join(K8S_DIR, "prometheusrule.yaml"), encoding="utf-8") as f:
            self.assertEqual(f.read(), generator.render(SRC),
                             "run deploy/kubernetes/generate_prometheusrule.py")

    def test_prometheusrule_carries_exactly_the_groups_and_rules_of_rules(self):
        groups = []
        for name in rule_file_names():
            groups.extend(load_yaml(os.path.join(SRC, "rules", name))["groups"])
        rule = k8s_one("PrometheusRule", self.docs)
        self.assertEqual(rules_of(rule["spec"]["groups"]), rules_of(groups))
        self.assertEqual(rule["spec"]["groups"], groups)
        self.assertEqual(sum(len(g["rules"]) for g in groups),
                         sum(len(g["rules"]) for g in rule["spec"]["groups"]))

    def test_prometheusrule_spec_passes_promtool_check_rules(self):
        promtool = tool("promtool", self)
        tmp = tempfile.mkdtemp(prefix="pe-k8s-rules-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(k8s_one("PrometheusRule", self.docs)["spec"], f)
        result = run([promtool, "check", "rules", path])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    lib.main()
