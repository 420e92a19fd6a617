#!/usr/bin/env bash
# A database benchmark before and after a change, in one run: builds TARGET
# (bench_worker_idle or bench_poll) of BASELINE_REF (default: the last commit
# before issue #10) in a temporary git worktree, then runs it and this
# checkout's TARGET, each on its own freshly generated database of the same
# shape (the simulator's bulk load, seed 42).
#
#   bash bench/run_before_after.sh bench_worker_idle --rounds 20
#   bash bench/run_before_after.sh bench_poll --rounds 30
#       [--terminal 190000] [--active 10000]
#
# Prints the two markdown tables (docs/benchmarks.md).
#
#   bash bench/run_before_after.sh startup [ROUNDS]
#   bash bench/run_before_after.sh memory
#   bash bench/run_before_after.sh scrape [ROUNDS] [SECONDS]
#
# The daemon itself: both pipeline_exporter binaries, alternately ROUNDS
# times (default 7) on one bulk database (190,000 terminal + 10,000 active
# runs, ~1M events; the worker off, so neither writes to it), each started
# and timed from exec to the first 200 of /-/ready by bench/time_to_ready.py
# (one process polling every 2 ms); prints every time and the medians.
# WORKER=on starts both with the completion worker, each on a fresh copy of
# the database (the worker writes to it).
#
# memory: each daemon with the worker on, its VmRSS once ready and its VmHWM
# after wrk -t2 -c8 10 s identity then 10 s gzip.
#
# scrape: /metrics with wrk -t2 -c8 --latency, SECONDS (default 10) per
# measurement, ROUNDS (default 3) rounds, alternating both daemons (worker
# off) with nginx serving this checkout's body (and its gzip -1 form) as a
# static file: the fastest this machine serves those bytes. Needs nginx
# (apt-get install nginx-light). Prints the median p50, p99 and requests/s.
#
# SHAPE: the database's shape as `simulate` flags (default: the nominal
# "--bulk 190000 --bulk-active 10000", the simulator's own names and
# lengths). bench/shapes/ holds named shapes; `pipeline_exporter db-shape
# --db FILE` prints the flags for your own file:
#
#   SHAPE="$(cat bench/shapes/user-like.flags)" \
#       bash bench/run_before_after.sh startup 7
#
# DB=FILE: startup, memory and scrape on a copy of FILE instead of a
# generated database (your own state file, or one of bench/contract_db.py).
#
# BASELINE_BUILD=DIR reuses (and keeps) a build directory of the baseline
# instead of building BASELINE_REF in a temporary worktree each time; the
# caller answers for it being a build of that revision.
#
# With a SHAPE, the bench_* targets run on copies of one database that this
# checkout's simulator generates (their own bulk load is the nominal shape).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASELINE_REF="${BASELINE_REF:-cd3cacb}"
SHAPE_GIVEN="${SHAPE:+yes}"
SHAPE="${SHAPE:---bulk 190000 --bulk-active 10000}"
WORK="${WORK:-$(mktemp -d /tmp/before-after.XXXXXX)}"
TARGET="${1:?usage: run_before_after.sh TARGET [bench flags]}"
shift
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(--rounds 20)

cleanup() {
  git -C "${REPO_ROOT}" worktree remove --force "${WORK}/baseline-src" \
    >/dev/null 2>&1 || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

BUILD_TARGET="${TARGET}"
[[ "${TARGET}" != startup && "${TARGET}" != memory &&
  "${TARGET}" != scrape ]] || BUILD_TARGET=pipeline_exporter
cmake --build "${REPO_ROOT}/build" -j2 --target "${BUILD_TARGET}" >/dev/null

BASE_BUILD="${BASELINE_BUILD:-${WORK}/baseline-build}"
if [[ -z "${BASELINE_BUILD:-}" ]]; then
  git -C "${REPO_ROOT}" worktree add --detach "${WORK}/baseline-src" \
    "${BASELINE_REF}" >/dev/null 2>&1
  cmake -S "${WORK}/baseline-src" -B "${BASE_BUILD}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "${BASE_BUILD}" -j2 --target "${BUILD_TARGET}" >/dev/null

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [[ "${TARGET}" == startup || "${TARGET}" == memory ||
  "${TARGET}" == scrape ]]; then
  NEW_BIN="${REPO_ROOT}/build/exporter/pipeline_exporter"
  BASE_BIN="${BASE_BUILD}/exporter/pipeline_exporter"
  if [[ -n "${DB:-}" ]]; then
    for suffix in "" -wal -shm; do
      [[ ! -e "${DB}${suffix}" ]] || cp "${DB}${suffix}" "${WORK}/startup.db${suffix}"
    done
  else
    # shellcheck disable=SC2086  # SHAPE is a list of flags
    "${NEW_BIN}" simulate --db "${WORK}/startup.db" --seed 42 ${SHAPE} \
      --no-artifacts >/dev/null
  fi
fi

if [[ "${TARGET}" == memory ]]; then
  kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$2/status"; }
  mib() { python3 -c "print(f'{$1 / 1024:.1f}')"; }
  echo "| daemon (worker on, 200k runs) | VmRSS ready | VmHWM after wrk | VmRSS after wrk |"
  echo "|---|---:|---:|---:|"
  for which in base new; do
    bin="${BASE_BIN}" label="${BASELINE_REF}"
    if [[ "${which}" == new ]]; then
      bin="${NEW_BIN}" label="$(git -C "${REPO_ROOT}" rev-parse --short HEAD)"
    fi
    dir="${WORK}/${which}" port="$(free_port)"
    mkdir -p "${dir}"
    for suffix in "" -wal -shm; do
      [[ ! -e "${WORK}/startup.db${suffix}" ]] ||
        cp "${WORK}/startup.db${suffix}" "${dir}/state.db${suffix}"
    done
    "${bin}" --state.db="${dir}/state.db" --worker.enabled \
      --worker.worktrees-dir="${dir}/wt" --worker.archive-dir="${dir}/ar" \
      --worker.reports-dir="${dir}/rep" --web.threads=16 \
      --web.listen-address="127.0.0.1:${port}" --log.level=warn \
      >"${dir}/log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:${port}/-/ready" >/dev/null; do
      sleep 0.05
    done
    sleep 5
    ready=$(kib VmRSS "${pid}")
    wrk -t2 -c8 -d10s "http://127.0.0.1:${port}/metrics" >/dev/null
    wrk -t2 -c8 -d10s -H 'Accept-Encoding: gzip' \
      "http://127.0.0.1:${port}/metrics" >/dev/null
    echo "| ${label} | $(mib "${ready}") MiB | $(mib "$(kib VmHWM "${pid}")") MiB | $(mib "$(kib VmRSS "${pid}")") MiB |"
    kill "${pid}"
    wait "${pid}" 2>/dev/null || true
  done
  exit 0
fi

if [[ "${TARGET}" == scrape ]]; then
  bash "${REPO_ROOT}/bench/scrape_vs_nginx.sh" "${BASE_BIN}" "${NEW_BIN}" \
    "${WORK}/startup.db" "${BASELINE_REF}" "$@"
  exit 0
fi

if [[ "${TARGET}" == startup ]]; then
  ROUNDS="${1:-7}"
  # Seconds from exec to the first 200 of /-/ready.
  time_to_ready() {
    local bin=$1 port db="${WORK}/startup.db" worker=(--no-worker.enabled)
    port=$(free_port)
    if [[ "${WORKER:-off}" == on ]]; then
      # The worker writes to its database: a fresh copy for every start.
      rm -rf "${WORK}/run" && mkdir -p "${WORK}/run"
      for suffix in "" -wal -shm; do
        [[ ! -e "${db}${suffix}" ]] || cp "${db}${suffix}" "${WORK}/run/state.db${suffix}"
      done
      sync  # the copy's writeback is not the daemon's start-up
      db="${WORK}/run/state.db"
      worker=(--worker.enabled --worker.worktrees-dir="${WORK}/run/wt"
        --worker.archive-dir="${WORK}/run/ar" --worker.reports-dir="${WORK}/run/rep")
    fi
    python3 "${REPO_ROOT}/bench/time_to_ready.py" "${port}" "${bin}" \
      --state.db="${db}" "${worker[@]}" \
      --web.listen-address="127.0.0.1:${port}" --log.level=warn
  }
  base=() new=()
  for ((i = 0; i < ROUNDS; i++)); do
    base+=("$(time_to_ready "${BASE_BIN}")")
    new+=("$(time_to_ready "${NEW_BIN}")")
  done
  median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
  echo "| start-up to /-/ready, s (${ROUNDS} alternating runs, worker ${WORKER:-off}) | median | all |"
  echo "|---|---:|---|"
  echo "| ${BASELINE_REF} | $(median "${base[@]}") | ${base[*]} |"
  echo "| $(git -C "${REPO_ROOT}" rev-parse --short HEAD) | $(median "${new[@]}") | ${new[*]} |"
  exit 0
fi

if [[ -n "${SHAPE_GIVEN}" ]]; then
  cmake --build "${REPO_ROOT}/build" -j2 --target pipeline_exporter >/dev/null
  # shellcheck disable=SC2086  # SHAPE is a list of flags
  "${REPO_ROOT}/build/exporter/pipeline_exporter" simulate \
    --db "${WORK}/shaped.db" --seed 42 ${SHAPE} --no-artifacts >/dev/null
  for copy in base new; do
    for suffix in "" -wal -shm; do
      [[ ! -e "${WORK}/shaped.db${suffix}" ]] ||
        cp "${WORK}/shaped.db${suffix}" "${WORK}/${copy}.db${suffix}"
    done
  done
fi

echo "### baseline: ${BASELINE_REF} ($(git -C "${REPO_ROOT}" log -1 \
  --format=%s "${BASELINE_REF}" | cut -c1-60))"
"${BASE_BUILD}/bench/${TARGET}" --db "${WORK}/base.db" \
  "${ARGS[@]}"
echo
echo "### this checkout: $(git -C "${REPO_ROOT}" rev-parse --short HEAD)"
"${REPO_ROOT}/build/bench/${TARGET}" --db "${WORK}/new.db" \
  "${ARGS[@]}"
