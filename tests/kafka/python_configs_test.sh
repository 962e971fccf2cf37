#!/usr/bin/env bash
# Runs python_configs_test.py (confluent-kafka's AdminClient) against `strata serve` with server-wide defaults;
# the script checks retention on the server's disk. Exit 77 (skipped) without the module.
#   usage: python_configs_test.sh PATH_TO_STRATA
set -uo pipefail
strata=$1
python=/usr/bin/python3  # Debian's python3-confluent-kafka is installed for the system interpreter
"$python" -c "import confluent_kafka" 2> /dev/null || { echo "python3-confluent-kafka missing: skipped"; exit 77; }
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-python-configs.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
trap cleanup_server EXIT
start_server --partitions 1 --retention-ms 86400000 --segment-bytes 2MiB
timeout 150 "$python" "$(dirname "$0")/python_configs_test.py" "127.0.0.1:$port" "$work/log" || {
  sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}
stop_server
