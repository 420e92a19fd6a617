#!/usr/bin/env bash
# /metrics of two exporter binaries beside nginx serving the same bytes as a
# static file, in one run (called by run_before_after.sh scrape):
#
#   bash bench/scrape_vs_nginx.sh BASE_BIN NEW_BIN DB BASE_LABEL \
#       [ROUNDS] [SECONDS]
#
# Both daemons serve DB with the worker off. nginx (sendfile, 2 workers)
# serves NEW_BIN's body and its `gzip -1` form: what this machine can do at
# best with those bytes, with the same client. Each round measures the six
# (server, encoding) pairs in turn with wrk -t2 -c8 -d SECONDS --latency;
# prints the median over ROUNDS (default 3, 10 s each) of p50, p99 and
# requests/s, and every round's p50.
set -euo pipefail

BASE_BIN="$1" NEW_BIN="$2" DB="$3" BASE_LABEL="$4"
ROUNDS="${5:-3}" SECONDS_EACH="${6:-10}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NEW_LABEL="$(git -C "${REPO_ROOT}" rev-parse --short HEAD)"
command -v nginx >/dev/null || {
  echo "scrape needs nginx: apt-get install nginx-light" >&2
  exit 1
}
command -v wrk >/dev/null || {
  echo "scrape needs wrk: apt-get install wrk" >&2
  exit 1
}

WORK="$(mktemp -d /tmp/scrape-vs-nginx.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "${p}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${WORK}"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_daemon() { # bin port
  "$1" --state.db="${DB}" --no-worker.enabled \
    --web.listen-address="127.0.0.1:$2" --log.level=warn >/dev/null 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$2/-/ready" >/dev/null; do sleep 0.05; done
}

base_port=$(free_port)
start_daemon "${BASE_BIN}" "${base_port}"
new_port=$(free_port)
start_daemon "${NEW_BIN}" "${new_port}"

www="${WORK}/www"
mkdir -p "${www}" "${WORK}/nginx"
curl -sf "http://127.0.0.1:${new_port}/metrics" >"${www}/metrics"
gzip -1 -c "${www}/metrics" >"${www}/metrics.gz"
# nginx's workers run as nobody.
chmod a+rx "${WORK}" "${www}"
chmod a+r "${www}"/*
nginx_port=$(free_port)
cat >"${WORK}/nginx/nginx.conf" <<NGINX_CONF
worker_processes 2;
daemon off;
pid ${WORK}/nginx/nginx.pid;
error_log ${WORK}/nginx/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${WORK}/nginx;
  proxy_temp_path ${WORK}/nginx;
  fastcgi_temp_path ${WORK}/nginx;
  uwsgi_temp_path ${WORK}/nginx;
  scgi_temp_path ${WORK}/nginx;
  server {
    listen 127.0.0.1:${nginx_port};
    root ${www};
    location = /metrics { default_type text/plain; }
    location = /metrics.gz {
      default_type text/plain;
      add_header Content-Encoding gzip;
    }
  }
}
NGINX_CONF
nginx -c "${WORK}/nginx/nginx.conf" -p "${WORK}/nginx" &
pids+=($!)
until curl -sf -o /dev/null "http://127.0.0.1:${nginx_port}/metrics"; do
  sleep 0.05
done
echo "body: $(wc -c <"${www}/metrics") bytes, gzip -1: $(wc -c <"${www}/metrics.gz") bytes," \
  "$(grep -vc '^#' "${www}/metrics") series"

# "p50_ms p99_ms requests_per_s had_errors" of one wrk run.
measure() { # url [header]
  local out
  out=$(wrk -t2 -c8 -d"${SECONDS_EACH}s" --latency ${2:+-H "$2"} "$1")
  python3 -c '
import re, sys
out = sys.argv[1]
def ms(p):
    v, unit = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % p, out, re.M).groups()
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
errors = "Non-2xx" in out or "Socket errors" in out
print(f"{ms(50):.2f} {ms(99):.2f} {rps:.0f} {int(errors)}")
' "${out}"
}

names=("nginx, static file" "${BASE_LABEL}" "${NEW_LABEL}"
  "nginx, static .gz" "${BASE_LABEL} gzip" "${NEW_LABEL} gzip")
urls=("http://127.0.0.1:${nginx_port}/metrics"
  "http://127.0.0.1:${base_port}/metrics"
  "http://127.0.0.1:${new_port}/metrics"
  "http://127.0.0.1:${nginx_port}/metrics.gz"
  "http://127.0.0.1:${base_port}/metrics"
  "http://127.0.0.1:${new_port}/metrics")
headers=("" "" "" "" "Accept-Encoding: gzip" "Accept-Encoding: gzip")
declare -a p50 p99 rps errs
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!names[@]}"; do
    read -r a b c e <<<"$(measure "${urls[i]}" "${headers[i]}")"
    p50[i]+="${a} " p99[i]+="${b} " rps[i]+="${c} "
    errs[i]=$((${errs[i]:-0} + e))
  done
done

median() { printf '%s\n' $1 | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "| /metrics, wrk -t2 -c8, median of ${ROUNDS} x ${SECONDS_EACH} s | p50 ms | p99 ms | requests/s | p50 of each round, ms |"
echo "|---|---:|---:|---:|---|"
for i in "${!names[@]}"; do
  note=""
  [[ "${errs[i]}" == 0 ]] || note=" (socket errors or non-2xx)"
  echo "| ${names[i]}${note} | $(median "${p50[i]}") | $(median "${p99[i]}") | $(median "${rps[i]}") | ${p50[i]}|"
done
