#!/usr/bin/env bash
# Runs a confluent-kafka script (python_test.py by default) against `strata serve` started with SERVE_ARGS
# (--partitions 1 by default); exit 77 (skipped) without the module.
#   usage: python_test.sh PATH_TO_STRATA [SCRIPT [SERVE_ARGS...]]
set -uo pipefail
strata=$1
script=${2:-python_test.py}
shift $(($# < 2 ? $# : 2))
serve_args=("$@")
[[ ${#serve_args[@]} -gt 0 ]] || serve_args=(--partitions 1)
python=/usr/bin/python3  # Debian's python3-confluent-kafka is installed for the system interpreter
"$python" -c "import confluent_kafka" 2> /dev/null || { echo "python3-confluent-kafka missing: skipped"; exit 77; }
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-python.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
trap cleanup_server EXIT
start_server "${serve_args[@]}"
timeout 100 "$python" "$(dirname "$0")/$script" "127.0.0.1:$port" || {
  sed 's/^/  serve: /' "$work/serve.err" >&2
  exit 1
}
stop_server
