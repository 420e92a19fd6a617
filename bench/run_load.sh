#!/usr/bin/env bash
# Load suite (issue #5): /metrics hammered by concurrent clients while the
# simulator churns runs and the completion worker marks, archives and
# reports them, with the exporter's memory sampled every second.
#
#   bash bench/run_load.sh [path/to/pipeline_exporter]
#
# (default build/exporter/pipeline_exporter; nothing is built). Steps:
#   1. bulk-load a database (100k finished runs, 2k active ones);
#   2. mark that history as already handled in the worker's job queue, so
#      the worker spends the window on live runs instead of a 100k backlog;
#   3. start the simulator live (600 runs/min, 1 s steps, runs left
#      `running` for the worker to mark complete, artifact folders for every
#      live run) and the exporter (worker on with 2 archive lanes, 16 HTTP
#      threads, 1 s polls, a 1m recent window so the tracked set levels off);
#   4. warm up, then `wrk -t4 -c16 --latency` on /metrics, identity and
#      then Accept-Encoding: gzip, WRK_SECONDS each;
#   5. the same wrk load against a reference server on the same machine:
#      `python3 -m http.server` serving static copies of the exporter's
#      /metrics body (identity and gzipped) taken at the end of step 4;
#   6. print the figures recorded in docs/benchmarks.md.
# civetweb serves one keep-alive connection per worker thread, so the wrk
# connections (16) must not exceed --web.threads (16).
#
# Exit status: 0, or 1 when an exporter scrape failed (non-2xx answer or
# socket error) or its RSS grew more than RSS_GROWTH_LIMIT_PCT between the
# 30 s mark of the scrape window and its end.
#
# Environment: LOAD_DIR (default a temp dir; its bulky files are removed at
# the end, its logs and rss.csv kept), WRK_SECONDS (default 60), WARMUP_SECONDS
# (default 90: the adopted runs end in the first ~20 s and leave the 1m
# recent window by ~80 s, after which the tracked set is steady), BULK (100000), BULK_ACTIVE (2000), RUNS_PER_MINUTE (600),
# WORKER_CONCURRENCY (2),
# RECENT_WINDOW (1m), RSS_GROWTH_LIMIT_PCT (10), KEEP_DATA (1: keep the
# database, worktrees and archives).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXPORTER="${1:-${REPO_ROOT}/build/exporter/pipeline_exporter}"
WRK_SECONDS="${WRK_SECONDS:-60}"
WARMUP_SECONDS="${WARMUP_SECONDS:-90}"
BULK="${BULK:-100000}"
BULK_ACTIVE="${BULK_ACTIVE:-2000}"
RUNS_PER_MINUTE="${RUNS_PER_MINUTE:-600}"
RECENT_WINDOW="${RECENT_WINDOW:-1m}"
RSS_GROWTH_LIMIT_PCT="${RSS_GROWTH_LIMIT_PCT:-10}"
KEEP_DATA="${KEEP_DATA:-0}"
WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-2}"
LOAD_DIR="${LOAD_DIR:-$(mktemp -d /tmp/pe-load.XXXXXX)}"
mkdir -p "${LOAD_DIR}"
DB="${LOAD_DIR}/orchestration.db"
WORKTREES="${LOAD_DIR}/worktrees"
ARCHIVES="${LOAD_DIR}/archive"
REPORTS="${LOAD_DIR}/reports"
RSS_CSV="${LOAD_DIR}/rss.csv"
PHASE_FILE="${LOAD_DIR}/phase"
SIM_PID="" EXPORTER_PID="" SAMPLER_PID="" BASELINE_PID=""

stop() {  # stop PID: TERM, wait up to 10 s, then KILL
  local pid="$1"
  [[ -n "${pid}" ]] || return 0
  kill -TERM "${pid}" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}
cleanup() {
  stop "${BASELINE_PID}"
  stop "${SAMPLER_PID}"
  stop "${EXPORTER_PID}"
  stop "${SIM_PID}"
  if [[ "${KEEP_DATA}" != 1 ]]; then
    rm -rf "${DB}" "${DB}-wal" "${DB}-shm" "${WORKTREES}" "${ARCHIVES}" \
      "${REPORTS}" "${LOAD_DIR}/static"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x "${EXPORTER}" ]] || { echo "missing ${EXPORTER}: build first" >&2; exit 1; }
for tool in wrk sqlite3 curl python3; do
  command -v "${tool}" >/dev/null || { echo "${tool} is not installed" >&2; exit 1; }
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() {  # wait_for URL: up to 60 s for a 2xx answer
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2
  return 1
}
max_event_id() { sqlite3 -cmd '.timeout 10000' "${DB}" 'SELECT COALESCE(MAX(id), 0) FROM events'; }
metric() {  # metric NAME: the exporter's current value of an unlabelled series
  curl -fsS "http://127.0.0.1:${PORT}/metrics" | awk -v n="$1" '$1 == n && !seen {print $2; seen = 1}'
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/${EXPORTER_PID}/status"; }
set_phase() { echo "$1" >"${PHASE_FILE}"; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "== $(lscpu | sed -n 's/^Model name: *//p')"
echo "== load before: $(uptime)"
echo "== directory: ${LOAD_DIR}"

echo "== bulk load: ${BULK} finished and ${BULK_ACTIVE} active runs"
rm -f "${DB}" "${DB}-wal" "${DB}-shm"
"${EXPORTER}" simulate --db "${DB}" --worktrees "${WORKTREES}" --seed 42 \
  --bulk "${BULK}" --bulk-active "${BULK_ACTIVE}" 2>"${LOAD_DIR}/bulk.log"
tail -n 1 "${LOAD_DIR}/bulk.log"

# The worker queues every terminal run, oldest first; at ~20 skipped runs per
# second, 100k historical runs (which have no worktree) would keep it busy
# for over an hour. A short first start creates its tables; the history is
# then recorded as handled, as a previous exporter would have left it.
echo "== job queue: bulk history marked as handled"
PORT="$(free_port)"
"${EXPORTER}" --state.db="${DB}" --web.listen-address="127.0.0.1:${PORT}" \
  --web.threads=2 --worker.enabled --worker.worktrees-dir="${WORKTREES}" \
  --worker.archive-dir="${ARCHIVES}" --worker.reports-dir="${REPORTS}" \
  --log.level=warn 2>"${LOAD_DIR}/prepare.log" &
EXPORTER_PID=$!
wait_for "http://127.0.0.1:${PORT}/-/ready"
for _ in $(seq 1 100); do
  sqlite3 -cmd '.timeout 10000' "${DB}" \
    "SELECT 1 FROM sqlite_master WHERE name = 'exporter_jobs'" | grep -q 1 && break
  sleep 0.1
done
stop "${EXPORTER_PID}"
EXPORTER_PID=""
sqlite3 -cmd '.timeout 10000' "${DB}" "
  BEGIN IMMEDIATE;
  UPDATE exporter_jobs SET stage = 'skipped', lease_owner = NULL,
    lease_expires_at = NULL WHERE stage NOT IN ('done', 'skipped', 'failed');
  INSERT OR IGNORE INTO exporter_jobs (run_id, stage, attempts, updated_at,
      run_ended_at, enqueued_at)
    SELECT run_id, 'skipped', 0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ended_at,
      strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    FROM runs WHERE state IN ('succeeded', 'partial', 'failed', 'quarantined', 'canceled');
  COMMIT;
  SELECT 'jobs marked handled: ' || COUNT(*) FROM exporter_jobs;"

echo "== simulator live: ${RUNS_PER_MINUTE} runs/min, 1 s steps, 200 ms ticks, no pending or stalled runs"
"${EXPORTER}" simulate --db "${DB}" --worktrees "${WORKTREES}" --seed 43 --live \
  --runs-per-minute "${RUNS_PER_MINUTE}" --step-seconds 1 --tick 200ms \
  --no-complete-runs --pending-rate 0 --stall-rate 0 2>"${LOAD_DIR}/simulate.log" &
SIM_PID=$!

echo "== exporter: worker on (concurrency ${WORKER_CONCURRENCY}), 16 HTTP threads, 1 s polls, recent window ${RECENT_WINDOW}"
PORT="$(free_port)"
start_ms=$(date +%s%3N)
"${EXPORTER}" --state.db="${DB}" --web.listen-address="127.0.0.1:${PORT}" \
  --web.threads=16 --state.poll-interval=1s --metrics.recent-window="${RECENT_WINDOW}" \
  --worker.enabled --worker.interval=1s --worker.concurrency="${WORKER_CONCURRENCY}" \
  --worker.worktrees-dir="${WORKTREES}" \
  --worker.archive-dir="${ARCHIVES}" --worker.reports-dir="${REPORTS}" \
  --log.level=warn 2>"${LOAD_DIR}/exporter.log" &
EXPORTER_PID=$!
set_phase startup
echo "epoch_ms,seconds,phase,vmrss_kib,vmhwm_kib,tracked_runs" >"${RSS_CSV}"
(
  while [[ -r "/proc/${EXPORTER_PID}/status" ]]; do
    now=$(date +%s%3N)
    phase="$(cat "${PHASE_FILE}")"
    tracked=""
    # Not while wrk holds all 16 keep-alive connections: a 17th client waits
    # for a free HTTP thread (every such curl timed out in a trial run).
    if [[ "${phase}" != identity && "${phase}" != gzip ]]; then
      tracked=$(curl -s --max-time 2 "http://127.0.0.1:${PORT}/metrics" |
        awk '$1 == "pipeline_exporter_tracked_runs" {v = $2} END {print v}' || true)
    fi
    awk -v t="${now}" -v s="${start_ms}" -v p="${phase}" -v k="${tracked}" '
      /^VmRSS/ {r = $2} /^VmHWM/ {h = $2}
      END {if (r != "") printf "%s,%.1f,%s,%s,%s,%s\n", t, (t - s) / 1000, p, r, h, k}' \
      "/proc/${EXPORTER_PID}/status" >>"${RSS_CSV}" 2>/dev/null || true
    sleep 1
  done
) &
SAMPLER_PID=$!
wait_for "http://127.0.0.1:${PORT}/-/ready"
echo "ready after $(( $(date +%s%3N) - start_ms )) ms; RSS $(( $(rss_kib) / 1024 )) MiB"
RSS_START=$(rss_kib)

set_phase warmup
echo "== warm-up: ${WARMUP_SECONDS}s (adopted runs finish and leave the recent window)"
sleep "${WARMUP_SECONDS}"
RSS_WARM=$(rss_kib)
TRACKED_START=$(metric pipeline_exporter_tracked_runs)
body_bytes=$(curl -fsS "http://127.0.0.1:${PORT}/metrics" | wc -c)
gzip_bytes=$(curl -fsS -H 'Accept-Encoding: gzip' "http://127.0.0.1:${PORT}/metrics" | wc -c)
series=$(curl -fsS "http://127.0.0.1:${PORT}/metrics" | grep -vc '^#')
echo "after warm-up: RSS $(( RSS_WARM / 1024 )) MiB, ${TRACKED_START} tracked runs, ${series} series, ${body_bytes} bytes (${gzip_bytes} gzipped)"

# wrk_run NAME URL [wrk args...]: runs wrk, keeps its output in NAME.wrk.
wrk_run() {
  local name="$1" url="$2"
  shift 2
  wrk -t4 -c16 -d"${WRK_SECONDS}s" --latency "$@" "${url}" >"${LOAD_DIR}/${name}.wrk" 2>&1 || true
  grep -E 'requests in|Requests/sec|Latency  |50%|90%|99%|Socket errors|Non-2xx' \
    "${LOAD_DIR}/${name}.wrk" | sed 's/^/    /'
}
# wrk_fields NAME: "requests req_per_s p50_ms p90_ms p99_ms max_ms non2xx socket_errors"
wrk_fields() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v * 0.001
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    /^ *Latency / && !max {max = ms($4)}
    / 50% / {p50 = ms($2)} / 90% / {p90 = ms($2)} / 99% / {p99 = ms($2)}
    /requests in/ {req = $1}
    /Requests\/sec/ {rps = $2}
    /Non-2xx/ {non2xx = $NF}
    /Socket errors/ {gsub(",", ""); sock = $4 + $6 + $8 + $10}
    END {printf "%d %.1f %.2f %.2f %.2f %.2f %d %d\n", req, rps, p50, p90, p99, max, non2xx, sock}
  ' "${LOAD_DIR}/$1.wrk"
}

URL="http://127.0.0.1:${PORT}/metrics"
ARCHIVED_BEFORE=$(metric pipeline_worker_archives_created_total)
EVENT_ID_START=$(max_event_id)
WINDOW_START_MS=$(date +%s%3N)
echo "== exporter, identity: wrk -t4 -c16 -d${WRK_SECONDS}s --latency ${URL}"
set_phase identity
wrk_run identity "${URL}"
echo "== exporter, gzip: wrk -t4 -c16 -d${WRK_SECONDS}s --latency -H 'Accept-Encoding: gzip' ${URL}"
set_phase gzip
wrk_run gzip "${URL}" -H 'Accept-Encoding: gzip'
WINDOW_END_MS=$(date +%s%3N)
EVENT_ID_END=$(max_event_id)
set_phase baseline
HWM_END=$(awk '/^VmHWM/ {print $2}' "/proc/${EXPORTER_PID}/status")
TRACKED_END=$(metric pipeline_exporter_tracked_runs)
ARCHIVED_AFTER=$(metric pipeline_worker_archives_created_total)
BACKLOG_END=$(metric pipeline_worker_backlog_runs)
read -r ARCHIVED_EVENTS MARKED_EVENTS REPORT_EVENTS NEW_RUNS < <(sqlite3 -cmd '.timeout 10000' -separator ' ' "${DB}" "
  SELECT SUM(event_type = 'run_archived'), SUM(event_type = 'run_completed'),
         SUM(event_type = 'report_generated'), SUM(event_type = 'run_created')
  FROM events WHERE id > ${EVENT_ID_START} AND id <= ${EVENT_ID_END}")

# Reference server: static copies of the body, taken now, same sizes.
mkdir -p "${LOAD_DIR}/static"
curl -fsS -o "${LOAD_DIR}/static/metrics" "${URL}"
curl -fsS -H 'Accept-Encoding: gzip' -o "${LOAD_DIR}/static/metrics.gz" "${URL}"
BASE_PORT="$(free_port)"
python3 -m http.server "${BASE_PORT}" --bind 127.0.0.1 \
  --directory "${LOAD_DIR}/static" >"${LOAD_DIR}/baseline.log" 2>&1 &
BASELINE_PID=$!
wait_for "http://127.0.0.1:${BASE_PORT}/metrics"
echo "== reference: python3 -m http.server, static copy of the body ($(wc -c <"${LOAD_DIR}/static/metrics") bytes)"
wrk_run base-identity "http://127.0.0.1:${BASE_PORT}/metrics"
echo "== reference: static copy of the gzipped body ($(wc -c <"${LOAD_DIR}/static/metrics.gz") bytes)"
wrk_run base-gzip "http://127.0.0.1:${BASE_PORT}/metrics.gz"
stop "${BASELINE_PID}"
BASELINE_PID=""
echo "== load after: $(uptime)"

# Memory over the scrape window (identity + gzip): the 30 s mark, the end,
# and the least-squares slope over its second half.
read -r RSS_30 RSS_WIN_END SLOPE < <(awk -F, -v a="${WINDOW_START_MS}" -v b="${WINDOW_END_MS}" '
  NR > 1 && $1 >= a && $1 <= b {
    if (!first) first = $4
    if (!r30 && $1 >= a + 30000) r30 = $4
    last = $4
    if ($1 >= (a + b) / 2) {x = ($1 - a) / 60000; n++; sx += x; sy += $4; sxx += x * x; sxy += x * $4}
  }
  END {
    if (!r30) r30 = first  # a window shorter than 30 s: its first sample
    slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
    printf "%d %d %.1f\n", r30, last, slope
  }' "${RSS_CSV}")
# After the window (the reference runs): churn and archiving go on, no scrapes.
read -r RSS_IDLE_END IDLE_SLOPE < <(awk -F, -v a="${WINDOW_END_MS}" '
  NR > 1 && $1 > a {
    last = $4; x = ($1 - a) / 60000; n++; sx += x; sy += $4; sxx += x * x; sxy += x * $4
  }
  END {
    slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
    printf "%d %.1f\n", last, slope
  }' "${RSS_CSV}")
GROWTH_PCT=$(awk -v a="${RSS_30}" -v b="${RSS_WIN_END}" 'BEGIN {printf "%.1f", a ? (b / a - 1) * 100 : 0}')

echo
echo "== results (exporter: ${WRK_SECONDS}s per client kind, 16 connections, 4 wrk threads)"
echo "| target | client | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
failed=0
for row in "identity|pipeline_exporter|identity" "gzip|pipeline_exporter|Accept-Encoding: gzip" \
           "base-identity|python3 -m http.server (static copy)|identity" \
           "base-gzip|python3 -m http.server (static copy)|gzipped body"; do
  IFS='|' read -r name target client <<<"${row}"
  read -r req rps p50 p90 p99 max non2xx sock <<<"$(wrk_fields "${name}")"
  echo "| ${target} | ${client} | ${req} | ${rps} | ${p50} | ${p90} | ${p99} | ${max} | ${non2xx} | ${sock} |"
  if [[ "${name}" != base-* ]] && (( non2xx > 0 || sock > 0 || req == 0 )); then failed=1; fi
done
echo
echo "window: $(( (WINDOW_END_MS - WINDOW_START_MS) / 1000 )) s; runs created ${NEW_RUNS}, marked complete ${MARKED_EVENTS},"
echo "archived ${ARCHIVED_EVENTS} (run_archived events; counter +$(awk -v a="${ARCHIVED_BEFORE}" -v b="${ARCHIVED_AFTER}" 'BEGIN {print b - a}')),"
echo "reported ${REPORT_EVENTS}; worker backlog at the end ${BACKLOG_END}; tracked runs ${TRACKED_START} -> ${TRACKED_END}"
echo "RSS (MiB): start $(( RSS_START / 1024 )), after warm-up $(awk -v k="${RSS_WARM}" 'BEGIN {printf "%.1f", k/1024}'),"
echo "  30 s into the window $(awk -v k="${RSS_30}" 'BEGIN {printf "%.1f", k/1024}'), end of the window $(awk -v k="${RSS_WIN_END}" 'BEGIN {printf "%.1f", k/1024}') (${GROWTH_PCT}%),"
echo "  peak (VmHWM) $(awk -v k="${HWM_END}" 'BEGIN {printf "%.1f", k/1024}'); slope over the second half of the window ${SLOPE} KiB/min"
echo "after the window (churn and archiving, no scrapes, $(( ($(date +%s%3N) - WINDOW_END_MS) / 1000 )) s): RSS $(awk -v k="${RSS_IDLE_END}" 'BEGIN {printf "%.1f", k/1024}') MiB, slope ${IDLE_SLOPE} KiB/min"
echo "rss samples: ${RSS_CSV}"
if awk -v g="${GROWTH_PCT}" -v l="${RSS_GROWTH_LIMIT_PCT}" 'BEGIN {exit !(g > l)}'; then
  echo "FAIL: RSS grew ${GROWTH_PCT}% (> ${RSS_GROWTH_LIMIT_PCT}%) between the 30 s mark and the end"
  failed=1
else
  echo "memory: no growth beyond ${RSS_GROWTH_LIMIT_PCT}% (${GROWTH_PCT}%)"
fi
if (( failed )); then
  echo "FAIL" >&2
  exit 1
fi
echo "PASS: zero failed scrapes, no memory growth"
