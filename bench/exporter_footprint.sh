#!/usr/bin/env bash
# What one exporter costs a Prometheus: the series it exposes, the bytes of a
# scrape (identity and gzip) and the median time of 20 identity scrapes, on
# an existing state database (docs/scale-out.md).
#
#   bash bench/exporter_footprint.sh DB [exporter flags...]
#
# Environment: PIPELINE_EXPORTER (default build/exporter/pipeline_exporter).
set -euo pipefail
B=${PIPELINE_EXPORTER:-build/exporter/pipeline_exporter}
db=$1; shift
body=$(mktemp)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$B --state.db=$db --web.listen-address=127.0.0.1:$port --log.level=warn "$@" & pid=$!
trap 'kill $pid; wait $pid 2>/dev/null; rm -f "$body"' EXIT
until curl -sf -o /dev/null 127.0.0.1:$port/-/ready; do sleep 0.2; done
curl -s 127.0.0.1:$port/metrics > "$body"
series=$(grep -vc '^#' "$body")
ident=$(stat -c %s "$body")
gz=$(curl -s -H 'Accept-Encoding: gzip' 127.0.0.1:$port/metrics | wc -c)
times=$(for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' 127.0.0.1:$port/metrics; done | sort -n | sed -n 10p)
tracked=$(grep '^pipeline_exporter_tracked_runs ' "$body" | cut -d' ' -f2)
echo "series=$series identity_bytes=$ident gzip_bytes=$gz identity_p50_s=$times tracked=$tracked"
