#!/usr/bin/env bash
# Runs a local demo: a simulated orchestrator writing a state database,
# pipeline_exporter reading it, Prometheus scraping the exporter, and
# Alertmanager when alertmanager/alertmanager.yml exists.
#
#   scripts/demo.sh        (Ctrl-C stops everything it started)
#
# Everything lives in .demo/ (recreated on each start), every server listens
# on 127.0.0.1 only, on free ports. Logs: .demo/*.log. Environment:
#   DEMO_SKIP_SETUP=1     do not run scripts/setup.sh (use the existing build/)
#   DEMO_READY_TIMEOUT    seconds to wait for each server (default 120)
#   DEMO_EXPORTER         the pipeline_exporter binary (default
#                         build/exporter/pipeline_exporter)
#   DEMO_DIR              the demo's folder, relative to the repository or
#                         absolute (default .demo; recreated on each start)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's interpreter: python3-aiosmtpd (the SMTP stand-in) comes from apt.
PYTHON3="$(command -v /usr/bin/python3 || command -v python3)"
DEMO_DIR="${DEMO_DIR:-.demo}"  # relative to REPO_ROOT, where every process runs
EXPORTER="${DEMO_EXPORTER:-build/exporter/pipeline_exporter}"
TEMPLATE="deploy/demo/prometheus.yml.tmpl"
ALERTMANAGER_CONFIG="alertmanager/alertmanager.yml"
READY_TIMEOUT="${DEMO_READY_TIMEOUT:-120}"
HOST="127.0.0.1"

PIDS=()   # processes this script started, in start order
NAMES=()  # their names, same order

step() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'demo.sh: error: %s\n' "$*" >&2
  exit 1
}

# Stops what this script started, newest first: SIGTERM, up to 10 s, SIGKILL.
cleanup() {
  local status=$?
  trap - INT TERM EXIT
  if ((${#PIDS[@]} > 0)); then
    step "Stopping the demo"
    local i pid deadline
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
      kill -TERM "${PIDS[i]}" 2>/dev/null || true
    done
    deadline=$((SECONDS + 10))
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
      pid="${PIDS[i]}"
      while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
      done
      if kill -0 "${pid}" 2>/dev/null; then
        printf '%s (pid %s) ignored SIGTERM; killing it\n' "${NAMES[i]}" "${pid}"
        kill -KILL "${pid}" 2>/dev/null || true
      fi
      wait "${pid}" 2>/dev/null || true
      printf 'stopped %s (pid %s)\n' "${NAMES[i]}" "${pid}"
    done
  fi
  rm -f "${DEMO_DIR}/demo.pid"
  exit "${status}"
}
trap 'exit 130' INT
trap 'exit 143' TERM
trap cleanup EXIT

# start NAME COMMAND...: runs COMMAND in the background, output in .demo/NAME.log.
start() {
  local name="$1"
  shift
  local log="${DEMO_DIR}/${name}.log"
  printf '$ %s\n' "$*" >"${log}"
  "$@" >>"${log}" 2>&1 </dev/null &
  PIDS+=("$!")
  NAMES+=("${name}")
  printf 'started %-12s pid %-7s log %s\n' "${name}" "$!" "${log}"
}

# http_ok URL: true when URL answers 2xx.
http_ok() {
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "$1" >/dev/null 2>&1
}

# wait_ready NAME URL: waits until URL answers 2xx while NAME keeps running.
wait_ready() {
  local name="$1" url="$2" pid="${PIDS[-1]}" i
  for i in "${!NAMES[@]}"; do
    [[ "${NAMES[i]}" == "${name}" ]] && pid="${PIDS[i]}"
  done
  local deadline=$((SECONDS + READY_TIMEOUT))
  printf 'waiting for %s at %s ' "${name}" "${url}"
  until http_ok "${url}"; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      printf '\n'
      show_log "${name}"
      fail "${name} exited before it was ready (log: ${DEMO_DIR}/${name}.log)"
    fi
    if ((SECONDS >= deadline)); then
      printf '\n'
      show_log "${name}"
      fail "${name} not ready after ${READY_TIMEOUT}s (log: ${DEMO_DIR}/${name}.log)"
    fi
    printf '.'
    sleep 0.5
  done
  printf ' ready\n'
}

show_log() {
  printf -- '--- last lines of %s/%s.log ---\n' "${DEMO_DIR}" "$1" >&2
  tail -n 30 "${DEMO_DIR}/$1.log" >&2 || true
  printf -- '---\n' >&2
}

# Three free TCP ports on the loopback interface, held together so they differ.
free_ports() {
  python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()'
}

# yaml_string TEXT: TEXT as a double-quoted YAML scalar.
yaml_string() {
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}

# render_template TEMPLATE OUT NAME=VALUE...: replaces each @NAME@ by VALUE.
render_template() {
  local template="$1" out="$2" text pair
  shift 2
  text="$(<"${template}")"
  for pair in "$@"; do
    text="${text//"@${pair%%=*}@"/"${pair#*=}"}"
  done
  if [[ "${text}" =~ @[A-Z_]+@ ]]; then
    fail "${template}: no value for ${BASH_REMATCH[0]}"
  fi
  printf '%s\n' "${text}" >"${out}"
}

urlencode() {
  python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

cd "${REPO_ROOT}"
# The folder is removed and recreated: never the repository or a parent.
DEMO_PATH="$(realpath -m -- "${DEMO_DIR}")"  # absolute, for the paths printed
case "${DEMO_PATH}" in
  / | "${REPO_ROOT}" | "$(dirname "${REPO_ROOT}")")
    trap - EXIT
    fail "DEMO_DIR=${DEMO_DIR}: the demo needs a folder of its own"
    ;;
esac

if [[ "${DEMO_SKIP_SETUP:-0}" != "1" ]]; then
  step "Setting up and building (scripts/setup.sh)"
  bash scripts/setup.sh
fi
[[ -x "${EXPORTER}" ]] || fail "${EXPORTER} not found; run scripts/setup.sh"
command -v prometheus >/dev/null 2>&1 || fail "prometheus not installed; run scripts/setup.sh"

step "Preparing ${DEMO_DIR}/"
if [[ -f "${DEMO_DIR}/demo.pid" ]] && kill -0 "$(<"${DEMO_DIR}/demo.pid")" 2>/dev/null; then
  trap - EXIT
  fail "another demo is running (pid $(<"${DEMO_DIR}/demo.pid")); stop it first"
fi
rm -rf -- "${DEMO_DIR}"
mkdir -p "${DEMO_DIR}/state" "${DEMO_DIR}/worktrees"
printf '%s\n' "$$" >"${DEMO_DIR}/demo.pid"
DB="${DEMO_DIR}/state/orchestration.db"

read -r EXPORTER_PORT PROMETHEUS_PORT ALERTMANAGER_PORT SINK_HTTP_PORT SINK_SMTP_PORT \
  < <(free_ports)
EXPORTER_ADDRESS="${HOST}:${EXPORTER_PORT}"
PROMETHEUS_ADDRESS="${HOST}:${PROMETHEUS_PORT}"
ALERTMANAGER_ADDRESS="${HOST}:${ALERTMANAGER_PORT}"

with_alertmanager=0
if [[ -f "${ALERTMANAGER_CONFIG}" ]]; then
  with_alertmanager=1
  command -v prometheus-alertmanager >/dev/null 2>&1 ||
    fail "prometheus-alertmanager not installed; run scripts/setup.sh"
fi

shopt -s nullglob
rule_files=(rules/*.yml)
shopt -u nullglob
rules_yaml="[]"
if ((${#rule_files[@]} > 0)); then
  rules_yaml=""
  for file in "${rule_files[@]}"; do
    rules_yaml+="${rules_yaml:+, }$(yaml_string "${REPO_ROOT}/${file}")"
  done
  rules_yaml="[${rules_yaml}]"
fi
alertmanagers_yaml="[]"
if ((with_alertmanager)); then
  alertmanagers_yaml="[{static_configs: [{targets: [$(yaml_string "${ALERTMANAGER_ADDRESS}")]}]}]"
fi

render_template "${TEMPLATE}" "${DEMO_DIR}/prometheus.yml" \
  "EXPORTER_ADDRESS=${EXPORTER_ADDRESS}" \
  "PROMETHEUS_ADDRESS=${PROMETHEUS_ADDRESS}" \
  "RULE_FILES=${rules_yaml}" \
  "ALERTMANAGERS=${alertmanagers_yaml}"
printf 'rule files: %s\n' "${rule_files[*]:-(none: no rules/*.yml)}"
if command -v promtool >/dev/null 2>&1; then
  promtool check config "${DEMO_DIR}/prometheus.yml" >"${DEMO_DIR}/promtool.log" 2>&1 || {
    cat "${DEMO_DIR}/promtool.log" >&2
    fail "promtool check config ${DEMO_DIR}/prometheus.yml failed"
  }
  printf 'promtool check config: ok\n'
fi

step "Starting the simulated orchestrator (500 finished runs, then live)"
start simulator "${EXPORTER}" simulate \
  --db "${DB}" --worktrees "${DEMO_DIR}/worktrees" \
  --seed 42 --bulk 500 --bulk-active 20 \
  --live --runs-per-minute 30 --step-seconds 3 --no-complete-runs

# The completion worker marks the simulator's finished runs complete, then
# archives and reports every finished run (the bulk-loaded history has no
# worktree folders: those runs are reported and their archival skipped).
step "Starting pipeline_exporter (with the completion worker)"
start exporter "${EXPORTER}" \
  --state.db="${DB}" \
  --state.poll-interval=2s \
  --web.listen-address="${EXPORTER_ADDRESS}" \
  --worker.enabled \
  --worker.interval=2s \
  --worker.worktrees-dir="${DEMO_DIR}/worktrees" \
  --worker.archive-dir="${DEMO_DIR}/archive" \
  --worker.reports-dir="${DEMO_DIR}/reports"

if ((with_alertmanager)); then
  # Slack and email stand-ins on loopback: every notification the shipped
  # routes send is printed to .demo/notifications.log.
  step "Starting the notification sinks (Slack webhook and SMTP stand-ins)"
  start notifications "${PYTHON3}" scripts/notification_sinks.py \
    --http-port "${SINK_HTTP_PORT}" --smtp-port "${SINK_SMTP_PORT}"
  # The shipped alertmanager.yml with its receivers pointed at the sinks.
  "${PYTHON3}" scripts/local_alertmanager.py --dir "${DEMO_DIR}/alertmanager" \
    --http-url "http://${HOST}:${SINK_HTTP_PORT}" \
    --smtp "${HOST}:${SINK_SMTP_PORT}" >/dev/null ||
    fail "cannot write ${DEMO_DIR}/alertmanager/alertmanager.yml"
  # What amtool check-config lets through: a missing or empty secret file.
  "${PYTHON3}" alertmanager/check_secrets.py "${DEMO_DIR}/alertmanager/alertmanager.yml" \
    --cwd "${DEMO_DIR}/alertmanager" ||
    fail "the secret files of ${DEMO_DIR}/alertmanager/alertmanager.yml are not all there"
  step "Starting Alertmanager"
  # Alertmanager 0.25 resolves slack_api_url_file and smtp_auth_password_file
  # against its working directory: it runs in its configuration's folder
  # (env -C keeps the recorded pid the server's).
  start alertmanager env -C "${DEMO_DIR}/alertmanager" prometheus-alertmanager \
    --config.file=alertmanager.yml \
    --storage.path="${DEMO_PATH}/alertmanager-data" \
    --web.listen-address="${ALERTMANAGER_ADDRESS}" \
    --cluster.listen-address=
fi

step "Starting Prometheus"
start prometheus prometheus \
  --config.file="${DEMO_DIR}/prometheus.yml" \
  --storage.tsdb.path="${DEMO_DIR}/prometheus-data" \
  --web.listen-address="${PROMETHEUS_ADDRESS}"

step "Waiting for the servers"
wait_ready exporter "http://${EXPORTER_ADDRESS}/-/ready"
if ((with_alertmanager)); then
  wait_ready alertmanager "http://${ALERTMANAGER_ADDRESS}/-/ready"
fi
wait_ready prometheus "http://${PROMETHEUS_ADDRESS}/-/ready"

# Prometheus' pages where this Prometheus serves them: Debian's build has no
# React UI, answers 404 at /targets and /alerts and serves the classic pages
# under /classic/ instead.
prometheus_ui="http://${PROMETHEUS_ADDRESS}"
if ! http_ok "${prometheus_ui}/targets" && http_ok "${prometheus_ui}/classic/targets"; then
  prometheus_ui+="/classic"
fi

query='sum by (state) (pipeline_runs)'
step "The demo is running"
printf '  Exporter metrics:   http://%s/metrics\n' "${EXPORTER_ADDRESS}"
printf '  Prometheus UI:      %s/graph\n' "${prometheus_ui}"
printf '  Scrape targets:     %s/targets\n' "${prometheus_ui}"
printf '  Example query:      %s/graph?g0.expr=%s&g0.tab=1\n' \
  "${prometheus_ui}" "$(urlencode "${query}")"
printf '                      (%s)\n' "${query}"
if ((${#rule_files[@]} > 0)); then
  printf '  Alerts:             %s/alerts\n' "${prometheus_ui}"
fi
if ((with_alertmanager)); then
  printf '  Alertmanager UI:    http://%s/\n' "${ALERTMANAGER_ADDRESS}"
  printf '  Notifications:      %s/notifications.log (Slack, email, webhook)\n' \
    "${DEMO_PATH}"
fi
printf '  Run reports:        %s/reports/*_summary.html\n' "${DEMO_PATH}"
printf '  Run archives:       %s/archive/*.zip\n' "${DEMO_PATH}"
printf '  Logs:               %s/*.log\n' "${DEMO_PATH}"
printf '\nPress Ctrl-C to stop.\n'

# Wait until Ctrl-C or until a process ends. The simulator may finish on its
# own (status 0); any other exit ends the demo.
running=("${PIDS[@]}")
while ((${#running[@]} > 0)); do
  exited=""
  code=0
  wait -n -p exited "${running[@]}" || code=$?
  [[ -n "${exited}" ]] || continue
  for i in "${!PIDS[@]}"; do
    [[ "${PIDS[i]}" == "${exited}" ]] && name="${NAMES[i]}"
  done
  next=()
  for pid in "${running[@]}"; do
    [[ "${pid}" == "${exited}" ]] || next+=("${pid}")
  done
  running=("${next[@]}")
  if [[ "${name}" == "simulator" && "${code}" == "0" ]]; then
    printf 'simulator finished; the other servers keep running\n'
    continue
  fi
  show_log "${name}"
  fail "${name} exited with status ${code} (log: ${DEMO_DIR}/${name}.log)"
done
