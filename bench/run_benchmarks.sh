#!/usr/bin/env bash
# Runs the exporter core's benchmarks side by side with the Python baseline,
# on one freshly built database of 200k runs (1.6M steps, ~1M events, 10k
# active), and prints the figures recorded in docs/benchmarks.md.
#
#   bash bench/run_benchmarks.sh            (after scripts/setup.sh)
#
# Environment: BUILD_DIR (default build), BENCH_DIR (default a temp dir),
# WRK_SECONDS (default 20).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-${REPO_ROOT}/build}"
EXPORTER="${BUILD_DIR}/exporter/pipeline_exporter"
BENCH_POLL="${BUILD_DIR}/bench/bench_poll"
WRK_SECONDS="${WRK_SECONDS:-20}"
BENCH_DIR="${BENCH_DIR:-$(mktemp -d /tmp/pe-bench.XXXXXX)}"
DB="${BENCH_DIR}/orchestration.db"
EXPORTER_PID=""

cleanup() {
  if [[ -n "${EXPORTER_PID}" ]]; then
    kill -TERM "${EXPORTER_PID}" 2>/dev/null || true
    wait "${EXPORTER_PID}" 2>/dev/null || true
  fi
}
trap cleanup EXIT

for tool in "${EXPORTER}" "${BENCH_POLL}"; do
  [[ -x "${tool}" ]] || { echo "missing ${tool}: run scripts/setup.sh" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "== building the database (${DB})"
rm -f "${DB}" "${DB}-wal" "${DB}-shm"
start=$(date +%s%N)
"${EXPORTER}" simulate --db "${DB}" --seed 42 --bulk 190000 --bulk-active 10000 \
  --no-artifacts >/dev/null 2>"${BENCH_DIR}/simulate.log"
echo "bulk load: $(( ($(date +%s%N) - start) / 1000000 )) ms"
sqlite3 "${DB}" "SELECT 'runs: ' || (SELECT COUNT(*) FROM runs) || ', steps: ' ||
  (SELECT COUNT(*) FROM steps) || ', events: ' || (SELECT COUNT(*) FROM events) ||
  ', active runs: ' || (SELECT COUNT(*) FROM runs WHERE state IN ('pending','running'))"

echo
echo "== poll: Python baseline (re-queries every active run)"
python3 "${REPO_ROOT}/bench/baseline_poll.py" --db "${DB}" --rounds 5

echo
echo "== poll: pipeline_exporter (on a copy; the benchmark advances runs)"
cp "${DB}" "${BENCH_DIR}/poll.db"
"${BENCH_POLL}" --db "${BENCH_DIR}/poll.db" --rounds 30

echo
echo "== /metrics: 8 concurrent clients for ${WRK_SECONDS}s (wrk -t2 -c8)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${EXPORTER}" --state.db="${DB}" --web.listen-address="127.0.0.1:${port}" \
  --log.level=warn 2>"${BENCH_DIR}/exporter.log" &
EXPORTER_PID=$!
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:${port}/-/ready" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:${port}/-/ready" >/dev/null
body_bytes=$(curl -fsS "http://127.0.0.1:${port}/metrics" | wc -c)
gzip_bytes=$(curl -fsS -H 'Accept-Encoding: gzip' "http://127.0.0.1:${port}/metrics" | wc -c)
series=$(curl -fsS "http://127.0.0.1:${port}/metrics" | grep -vc '^#')
echo "body: ${series} series, ${body_bytes} bytes (${gzip_bytes} gzipped)"
echo "RSS after start-up: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/${EXPORTER_PID}/status")"
echo "-- identity"
wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:${port}/metrics" |
  grep -E 'Latency|50%|90%|99%|Requests/sec|requests in|Socket errors|Non-2xx'
echo "-- Accept-Encoding: gzip (what Prometheus sends)"
wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency -H 'Accept-Encoding: gzip' \
  "http://127.0.0.1:${port}/metrics" |
  grep -E 'Latency|50%|90%|99%|Requests/sec|requests in|Socket errors|Non-2xx'
echo "peak RSS of the exporter (VmHWM): $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/${EXPORTER_PID}/status")"
