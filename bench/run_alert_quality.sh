#!/usr/bin/env bash
# Alert quality (issues 9 and 21): scenarios played through the real
# exporter, Prometheus and Alertmanager, each with two seeds, each run scored
# by scripts/alert_quality/run.py; prints the Markdown tables of
# docs/alert-quality.md.
#
#   bash bench/run_alert_quality.sh [TABLE.md] [path/to/pipeline_exporter]
#
# TABLE.md (optional) receives the tables too; the exporter defaults to
# build/exporter/pipeline_exporter (nothing is built). Needs root (the archive
# volume is a tmpfs), prometheus, prometheus-alertmanager and python3-aiosmtpd
# (scripts/setup.sh). scenarios/day.yml takes about 6.5 minutes a seed,
# short.yml about 2, outages.yml about 2.5.
#
# Environment:
#   SCENARIOS     scenario files (default scenarios/day.yml; the old SCENARIO
#                 is read too)
#   SEEDS         default "1 2"
#   BASELINE_REF  a git ref: each scenario and seed is also played with the
#                 rules/ and alertmanager/ of that commit (the same exporter
#                 binary and scenario), right before the current ones, and
#                 the tables show both ("before" rows are named
#                 <scenario>@<ref>)
#   AQ_DIR        where each run's results go (default a new temp dir; kept)
#
# Exit status: 0 when every run of the current configuration passes, 1 when
# one does not (its reasons are printed), 2 when a run could not be carried
# out. Baseline runs are expected to fail where the baseline had defects;
# their reasons are printed, not counted.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TABLE="${1:-}"
EXPORTER="${2:-${REPO_ROOT}/build/exporter/pipeline_exporter}"
SCENARIOS="${SCENARIOS:-${SCENARIO:-${REPO_ROOT}/scenarios/day.yml}}"
SEEDS="${SEEDS:-1 2}"
BASELINE_REF="${BASELINE_REF:-}"
AQ_DIR="${AQ_DIR:-$(mktemp -d /tmp/alert-quality.XXXXXX)}"
# Debian's interpreter: python3-yaml and python3-aiosmtpd come from apt.
PYTHON="$(command -v /usr/bin/python3 || command -v python3)"
mkdir -p "${AQ_DIR}"

baseline_args=()
if [[ -n "${BASELINE_REF}" ]]; then
  base="${AQ_DIR}/baseline-${BASELINE_REF//\//_}"
  rm -rf "${base}"
  mkdir -p "${base}"
  git -C "${REPO_ROOT}" archive "${BASELINE_REF}" rules alertmanager | tar -x -C "${base}"
  baseline_args=(--rules-dir "${base}/rules" --alertmanager-dir "${base}/alertmanager")
fi

# play NAME EXTRA_ARGS...: one scored run into ${AQ_DIR}/NAME; prints its
# reasons; returns its exit status (2 aborts everything).
play() {
  local name="$1" scenario="$2" seed="$3"
  shift 3
  local out="${AQ_DIR}/${name}" rc=0
  echo "==> ${name} -> ${out}" >&2
  "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/run.py" --scenario "${scenario}" \
    --binary "${EXPORTER}" --seed "${seed}" --out "${out}" "$@" \
    >"${out}.txt" 2>"${out}.log" || rc=$?
  if [[ ${rc} -eq 2 ]]; then
    cat "${out}.log" >&2
    exit 2
  fi
  grep -v '^|' "${out}.txt" | sed '/^$/d; /^Latency/d' >&2 || true
  return ${rc}
}

status=0
outs=()
base_outs=()
for scenario in ${SCENARIOS}; do
  stem="$(basename "${scenario}" .yml)"
  for seed in ${SEEDS}; do
    if [[ -n "${BASELINE_REF}" ]]; then
      play "${stem}-seed-${seed}-baseline" "${scenario}" "${seed}" "${baseline_args[@]}" || true
      # The rows of the baseline carry its ref in the scenario column.
      "${PYTHON}" - "${AQ_DIR}/${stem}-seed-${seed}-baseline/score.json" "${stem}@${BASELINE_REF}" <<'EOF'
import json, sys
path, name = sys.argv[1:]
with open(path, encoding="utf-8") as f:
    score = json.load(f)
score["scenario"] = name
with open(path, "w", encoding="utf-8") as f:
    json.dump(score, f, indent=1, sort_keys=True)
EOF
      base_outs+=("${AQ_DIR}/${stem}-seed-${seed}-baseline")
    fi
    play "${stem}-seed-${seed}" "${scenario}" "${seed}" || status=1
    outs+=("${AQ_DIR}/${stem}-seed-${seed}")
  done
done

report() {
  "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/report.py" "${outs[@]}"
  if ((${#base_outs[@]} != 0)); then
    printf '\nThe same scenarios and seeds with the rules and routes of %s:\n\n' "${BASELINE_REF}"
    "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/report.py" "${base_outs[@]}"
  fi
}
if [[ -n "${TABLE}" ]]; then
  report | tee "${TABLE}"
else
  report
fi
echo "results: ${AQ_DIR}" >&2
exit ${status}
