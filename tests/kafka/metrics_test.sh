#!/usr/bin/env bash
# Runs metrics_test.py (confluent-kafka and Prometheus' own parser) against `strata serve --metrics`;
# exit 77 (skipped) without the modules.
#   usage: metrics_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
python=/usr/bin/python3  # Debian's python3-confluent-kafka and python3-prometheus-client
"$python" -c "import confluent_kafka, prometheus_client" 2> /dev/null || {
  echo "python3-confluent-kafka or python3-prometheus-client missing: skipped"
  exit 77
}
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-metrics.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
trap cleanup_server EXIT
start_server --partitions 3 --metrics 127.0.0.1:0
metrics=""
for _ in $(seq 1 50); do
  metrics=$(sed -n 's/^metrics on \(127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/serve.err")
  [[ -n "$metrics" ]] && break
  sleep 0.1
done
[[ -n "$metrics" ]] || { cat "$work/serve.err" >&2; echo "FAILED: no 'metrics on' line" >&2; exit 1; }
timeout 150 "$python" "$(dirname "$0")/metrics_test.py" "127.0.0.1:$port" "$metrics" || {
  sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}
stop_server
