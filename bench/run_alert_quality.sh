#!/usr/bin/env bash
# Alert quality on a simulated day (issue 9): scenarios/day.yml (24 simulated
# hours, about 1,000 runs, 34 incidents, 6 minutes of wall time each) played
# through the real exporter, Prometheus and Alertmanager with two seeds, each
# scored by scripts/alert_quality/run.py; prints the Markdown tables of
# docs/alert-quality.md.
#
#   bash bench/run_alert_quality.sh [TABLE.md] [path/to/pipeline_exporter]
#
# TABLE.md (optional) receives the tables too; the exporter defaults to
# build/exporter/pipeline_exporter (nothing is built). Needs root (the archive
# volume is a tmpfs), prometheus, prometheus-alertmanager and python3-aiosmtpd
# (scripts/setup.sh). Takes about 13 minutes.
#
# Environment: SCENARIO (default scenarios/day.yml), SEEDS (default "1 2"),
# AQ_DIR (where each run's results go, default a new temp dir; kept).
#
# Exit status: 0 when every run passes, 1 when a run's score does not pass
# (its reasons are printed), 2 when a run could not be carried out.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TABLE="${1:-}"
EXPORTER="${2:-${REPO_ROOT}/build/exporter/pipeline_exporter}"
SCENARIO="${SCENARIO:-${REPO_ROOT}/scenarios/day.yml}"
SEEDS="${SEEDS:-1 2}"
AQ_DIR="${AQ_DIR:-$(mktemp -d /tmp/alert-quality.XXXXXX)}"
# Debian's interpreter: python3-yaml and python3-aiosmtpd come from apt.
PYTHON="$(command -v /usr/bin/python3 || command -v python3)"

status=0
outs=()
for seed in ${SEEDS}; do
  out="${AQ_DIR}/$(basename "${SCENARIO}" .yml)-seed-${seed}"
  echo "==> $(basename "${SCENARIO}") seed ${seed} -> ${out}" >&2
  rc=0
  "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/run.py" --scenario "${SCENARIO}" \
    --binary "${EXPORTER}" --seed "${seed}" --out "${out}" >"${out}.txt" 2>"${out}.log" || rc=$?
  if [[ ${rc} -eq 2 ]]; then
    cat "${out}.log" >&2
    exit 2
  fi
  grep -v '^|' "${out}.txt" | sed '/^$/d; /^Latency/d' >&2 || true
  [[ ${rc} -eq 0 ]] || status=1
  outs+=("${out}")
done

if [[ -n "${TABLE}" ]]; then
  "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/report.py" "${outs[@]}" | tee "${TABLE}"
else
  "${PYTHON}" "${REPO_ROOT}/scripts/alert_quality/report.py" "${outs[@]}"
fi
echo "results: ${AQ_DIR}" >&2
exit ${status}
