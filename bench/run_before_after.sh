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
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASELINE_REF="${BASELINE_REF:-cd3cacb}"
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

cmake --build "${REPO_ROOT}/build" -j2 --target "${TARGET}" >/dev/null

git -C "${REPO_ROOT}" worktree add --detach "${WORK}/baseline-src" \
  "${BASELINE_REF}" >/dev/null 2>&1
cmake -S "${WORK}/baseline-src" -B "${WORK}/baseline-build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "${WORK}/baseline-build" -j2 --target "${TARGET}" \
  >/dev/null

echo "### baseline: ${BASELINE_REF} ($(git -C "${REPO_ROOT}" log -1 \
  --format=%s "${BASELINE_REF}" | cut -c1-60))"
"${WORK}/baseline-build/bench/${TARGET}" --db "${WORK}/base.db" \
  "${ARGS[@]}"
echo
echo "### this checkout: $(git -C "${REPO_ROOT}" rev-parse --short HEAD)"
"${REPO_ROOT}/build/bench/${TARGET}" --db "${WORK}/new.db" \
  "${ARGS[@]}"
