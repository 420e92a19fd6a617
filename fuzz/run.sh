#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (into build-fuzz/) and runs each one
# for FUZZ_SECONDS. Exits non-zero if the build fails, a regression input
# fails, or any target finds a crash or a property violation.
#
#   bash fuzz/run.sh                      # every target, 20 s each
#   FUZZ_SECONDS=3600 bash fuzz/run.sh    # a longer campaign
#   bash fuzz/run.sh timestamp_fuzzer     # only the named targets
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_BUILD_DIR  build directory (default <repo>/build-fuzz)
#   FUZZ_JOBS       build jobs (default 2)
#   FUZZ_MERGE      1: merge the new interesting inputs back into
#                   fuzz/corpus/<target>/ (minimised) after the run
#
# Each target starts from fuzz/corpus/<target>/ (checked in, read-only here)
# plus a working corpus under $FUZZ_BUILD_DIR/corpus/<target>/ that persists
# between runs; crashes are written to $FUZZ_BUILD_DIR/artifacts/<target>/.
# Inputs in fuzz/regressions/<target>/ are replayed first.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="${REPO_ROOT}/fuzz"
BUILD_DIR="${FUZZ_BUILD_DIR:-${REPO_ROOT}/build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-20}"
TARGETS=(timestamp_fuzzer label_value_fuzzer duration_fuzzer byte_size_fuzzer
  config_yaml_fuzzer config_args_fuzzer)
if (($# > 0)); then TARGETS=("$@"); fi

# Longest input per target: the formats are short, config files are not.
max_len() {
  case "$1" in
    timestamp_fuzzer | duration_fuzzer | byte_size_fuzzer) echo 64 ;;
    label_value_fuzzer) echo 2048 ;;
    config_args_fuzzer) echo 512 ;;
    config_yaml_fuzzer) echo 4096 ;;
    *) echo 4096 ;;
  esac
}

step() { printf '\n==> %s\n' "$*"; }

CXX_COMPILER="${CXX:-clang++}"
if ! command -v "${CXX_COMPILER}" >/dev/null 2>&1 ||
  ! "${CXX_COMPILER}" --version 2>/dev/null | grep -q clang; then
  printf 'fuzz/run.sh: error: clang++ is needed (Debian package clang)\n' >&2
  exit 1
fi

step "Building fuzz targets with ${CXX_COMPILER} into ${BUILD_DIR}"
cmake -S "${FUZZ_DIR}" -B "${BUILD_DIR}" -DCMAKE_CXX_COMPILER="${CXX_COMPILER}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "${BUILD_DIR}" -j "${FUZZ_JOBS:-2}" --target "${TARGETS[@]}"

failures=()
summary=()
for target in "${TARGETS[@]}"; do
  binary="${BUILD_DIR}/${target}"
  seeds="${FUZZ_DIR}/corpus/${target}"
  work="${BUILD_DIR}/corpus/${target}"
  artifacts="${BUILD_DIR}/artifacts/${target}/"
  regressions="${FUZZ_DIR}/regressions/${target}"
  dict="${FUZZ_DIR}/dict/${target%_fuzzer}.dict"
  log="${BUILD_DIR}/logs/${target}.log"
  mkdir -p "${work}" "${artifacts}" "$(dirname "${log}")"

  if [[ -d "${regressions}" ]] && [[ -n "$(ls -A "${regressions}")" ]]; then
    step "${target}: replaying fuzz/regressions/${target}/"
    if ! "${binary}" -runs=0 "${regressions}"/* >"${log}.regressions" 2>&1; then
      grep -E 'PROPERTY VIOLATED|detail:|ERROR: |SUMMARY: |^Running: ' \
        "${log}.regressions" >&2 || tail -n 40 "${log}.regressions" >&2
      failures+=("${target} (regression)")
      summary+=("$(printf '%-20s FAILED a regression input (log %s)' \
        "${target}" "${log}.regressions")")
      continue  # fuzzing would only find the same failure again
    fi
  fi

  step "${target}: fuzzing for ${SECONDS_EACH}s"
  flags=(-max_total_time="${SECONDS_EACH}" -max_len="$(max_len "${target}")"
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="${artifacts}")
  [[ -f "${dict}" ]] && flags+=(-dict="${dict}")
  status=0
  "${binary}" "${flags[@]}" "${work}" "${seeds}" >"${log}" 2>&1 || status=$?
  execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "${log}" | grep -o '[0-9]*$' || true)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "${log}" | grep -o '[0-9]*$' || true)"
  cov="$(grep -o 'cov: [0-9]* ft: [0-9]*' "${log}" | tail -n 1 || true)"
  line="$(printf '%-20s %10s execs %8s execs/s  %s' "${target}" "${execs:-?}" \
    "${rate:-?}" "${cov:-cov: ?}")"
  if ((status != 0)); then
    grep -E 'PROPERTY VIOLATED|detail:|ERROR: |SUMMARY: |Test unit written' \
      "${log}" >&2 || tail -n 40 "${log}" >&2
    failures+=("${target}")
    line+="  FAILED (exit ${status}, log ${log})"
  fi
  summary+=("${line}")
  printf '%s\n' "${line}"

  if [[ "${FUZZ_MERGE:-0}" == 1 ]] && ((status == 0)); then
    step "${target}: merging new inputs into fuzz/corpus/${target}/"
    "${binary}" -merge=1 -max_len="$(max_len "${target}")" "${seeds}" \
      "${work}" >>"${log}" 2>&1
  fi
done

step "Summary (${SECONDS_EACH}s per target)"
printf '%s\n' "${summary[@]}"
if ((${#failures[@]} != 0)); then
  step "FAILED: $(printf '%s; ' "${failures[@]}")"
  printf 'Reproduce with: %s/<target> <artifact>  (see fuzz/README.md)\n' \
    "${BUILD_DIR}" >&2
  exit 1
fi
step "All fuzz targets passed"
