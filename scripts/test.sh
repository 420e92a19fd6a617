#!/usr/bin/env bash
# Builds pipeline_exporter and runs every check: the ctest suite (unit and
# integration tests) and the clang-format check. Exits non-zero if any fails.
#
#   scripts/test.sh
#
# Environment:
#   CTEST_JOBS      parallel tests (default 2)
#   CTEST_TIMEOUT   per-test timeout in seconds for tests without their own
#                   (default 900)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REPO_ROOT}/build"
FORMAT_DIRS=(exporter tests bench fuzz)

step() { printf '\n==> %s\n' "$*"; }

cd "${REPO_ROOT}"

step "Setting up and building (scripts/setup.sh)"
bash scripts/setup.sh

failures=()

step "Running tests (ctest)"
if ! ctest --test-dir "${BUILD_DIR}" --output-on-failure --no-tests=error \
  -j "${CTEST_JOBS:-2}" --timeout "${CTEST_TIMEOUT:-900}"; then
  failures+=("ctest")
fi

# libFuzzer targets (clang): the regression inputs, then a short run of each
# target; longer campaigns: fuzz/README.md.
step "Fuzzing (fuzz/run.sh, ${FUZZ_SECONDS:-5}s per target)"
if ! FUZZ_SECONDS="${FUZZ_SECONDS:-5}" bash fuzz/run.sh; then
  failures+=("fuzz")
fi

step "Checking formatting (clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -n 1))"
sources=()
for dir in "${FORMAT_DIRS[@]}"; do
  if [[ -d "${dir}" ]]; then
    while IFS= read -r -d '' file; do
      sources+=("${file}")
    done < <(find "${dir}" -type f \( -name '*.cc' -o -name '*.h' \) -print0 | sort -z)
  fi
done
unformatted=()
for file in "${sources[@]}"; do
  if ! clang-format --dry-run --Werror "${file}" >/dev/null 2>&1; then
    unformatted+=("${file}")
  fi
done
if ((${#unformatted[@]} == 0)); then
  printf '%d files are formatted.\n' "${#sources[@]}"
else
  printf 'Not formatted (fix with: clang-format -i FILE...):\n' >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  failures+=("clang-format (${#unformatted[@]} files)")
fi

if ((${#failures[@]} != 0)); then
  step "FAILED: $(printf '%s; ' "${failures[@]}")"
  exit 1
fi
step "All checks passed"
