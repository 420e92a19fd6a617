#!/usr/bin/env bash
# Archive + verify of one ~100 MiB run tree (200 text logs of ~0.3 MiB,
# 40 MiB of random binary, 20 gzip files), side by side in one run:
#   - pipeline_exporter's ArchiveWriter (bench_archive; includes its
#     built-in VerifyArchive: CRC, sizes, SHA-256 manifest, fsyncs),
#     at deflate level 6 with and without deflate threads, and at the
#     default level 3,
#   - Python shutil.make_archive + zipfile.testzip (the seed's method),
#   - Info-ZIP zip -r -6 + unzip -t.
# Each method runs REPS times (default 3) on the same tree; the table shows
# the median.
#
#   bash bench/run_archive_benchmark.sh
#
# Environment: BUILD_DIR (default build), BENCH_DIR (default a temp dir,
# kept so the tree is reused), REPS (default 3), SEED (default 42).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-${REPO_ROOT}/build}"
BENCH_ARCHIVE="${BUILD_DIR}/bench/bench_archive"
BENCH_DIR="${BENCH_DIR:-$(mktemp -d /tmp/pe-archive-bench.XXXXXX)}"
REPS="${REPS:-3}"
SEED="${SEED:-42}"
TREE="${BENCH_DIR}/bench-run"
OUT="${BENCH_DIR}/out"

[[ -x "${BENCH_ARCHIVE}" ]] || { echo "missing ${BENCH_ARCHIVE}: build first" >&2; exit 1; }
for tool in zip unzip python3; do
  command -v "${tool}" >/dev/null || { echo "${tool} is not installed" >&2; exit 1; }
done
mkdir -p "${OUT}"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"${BENCH_ARCHIVE}" --tree "${TREE}" --seed "${SEED}" --generate-only
echo "== tree: ${TREE}: $(find "${TREE}" -type f | wc -l) files, $(du -sm --apparent-size "${TREE}" | cut -f1) MiB"
# Warm the page cache once so every method reads the tree from memory.
cat $(find "${TREE}" -type f) >/dev/null

# Methods, run round-robin REPS times so background load spreads evenly;
# each run prints "seconds=<s> archive_bytes=<n> ...".
NAMES=(
  "Python shutil.make_archive + testzip"
  "Info-ZIP zip -r -6 + unzip -t"
  "ArchiveWriter, level 6, deflate threads = cores"
  "ArchiveWriter, level 6, no deflate threads"
  "ArchiveWriter, level 3 (default), deflate threads = cores"
)
run_one() {
  case "$1" in
    0) python3 "${REPO_ROOT}/bench/archive_baseline.py" --tree "${TREE}" --out "${OUT}/python.zip" --method python ;;
    1) python3 "${REPO_ROOT}/bench/archive_baseline.py" --tree "${TREE}" --out "${OUT}/infozip.zip" --method infozip ;;
    2) "${BENCH_ARCHIVE}" --tree "${TREE}" --out "${OUT}/pe6.zip" --level 6 ;;
    3) "${BENCH_ARCHIVE}" --tree "${TREE}" --out "${OUT}/pe6-1.zip" --level 6 --threads -1 ;;
    4) "${BENCH_ARCHIVE}" --tree "${TREE}" --out "${OUT}/pe3.zip" --level 3 ;;
  esac
}

declare -A TIMES BYTES
echo "== running (${REPS} repetitions each, round-robin)"
for rep in $(seq 1 "${REPS}"); do
  for i in "${!NAMES[@]}"; do
    line="$(run_one "${i}")"
    echo "  ${NAMES[$i]} #${rep}: ${line}" >&2
    TIMES[$i]+="$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"${line}") "
    BYTES[$i]="$(sed -n 's/.*archive_bytes=\([0-9]*\).*/\1/p' <<<"${line}")"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

PY_SECONDS="$(median "${TIMES[0]}")"
echo
echo "| method | seconds (median of ${REPS}) | archive MiB | speed-up vs Python | size vs Python |"
echo "|---|---:|---:|---:|---:|"
for i in "${!NAMES[@]}"; do
  awk -v n="${NAMES[$i]}" -v s="$(median "${TIMES[$i]}")" -v b="${BYTES[$i]}" \
      -v ps="${PY_SECONDS}" -v pb="${BYTES[0]}" \
      'BEGIN { printf "| %s | %.2f | %.1f | %.2fx | %+.1f%% |\n", n, s, b/1048576, ps/s, (b/pb-1)*100 }'
done
