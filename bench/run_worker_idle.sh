#!/usr/bin/env bash
# The completion worker's idle cost before and after issue #10, in one run:
# builds bench_worker_idle of BASELINE_REF (default: the last commit before
# the worker was fed by the poller) in a temporary git worktree, then runs it
# and this checkout's bench_worker_idle, each on its own freshly generated
# database of the same shape (the simulator's bulk load, seed 42).
#
#   bash bench/run_worker_idle.sh [--rounds 20] [--terminal 190000]
#       [--active 10000]
#
# Prints the two markdown tables (docs/benchmarks.md, "Completion worker
# idle cost").
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASELINE_REF="${BASELINE_REF:-cd3cacb}"
WORK="${WORK:-$(mktemp -d /tmp/worker-idle.XXXXXX)}"
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(--rounds 20)

cleanup() {
  git -C "${REPO_ROOT}" worktree remove --force "${WORK}/baseline-src" \
    >/dev/null 2>&1 || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

cmake --build "${REPO_ROOT}/build" -j2 --target bench_worker_idle >/dev/null

git -C "${REPO_ROOT}" worktree add --detach "${WORK}/baseline-src" \
  "${BASELINE_REF}" >/dev/null 2>&1
cmake -S "${WORK}/baseline-src" -B "${WORK}/baseline-build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "${WORK}/baseline-build" -j2 --target bench_worker_idle \
  >/dev/null

echo "### baseline: ${BASELINE_REF} ($(git -C "${REPO_ROOT}" log -1 \
  --format=%s "${BASELINE_REF}" | cut -c1-60))"
"${WORK}/baseline-build/bench/bench_worker_idle" --db "${WORK}/base.db" \
  "${ARGS[@]}"
echo
echo "### this checkout: $(git -C "${REPO_ROOT}" rev-parse --short HEAD)"
"${REPO_ROOT}/build/bench/bench_worker_idle" --db "${WORK}/new.db" \
  "${ARGS[@]}"
