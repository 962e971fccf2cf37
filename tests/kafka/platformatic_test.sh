#!/usr/bin/env bash
# npm's @platformatic/kafka against `strata serve`: a client that uses only flexible versions (KIP-482).
# Skips (exit 77) when node or npm is missing, or when the package can be neither found nor installed
# (no network). The package is installed once into $STRATA_NPM_DIR (default: the build's npm/ folder).
#   usage: platformatic_test.sh PATH_TO_STRATA NPM_DIR
set -uo pipefail
strata=$1
npm_dir=${STRATA_NPM_DIR:-$2}
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-platformatic.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
source "$(dirname "$0")/npm_helpers.sh"
trap cleanup_server EXIT
require_npm_package "$npm_dir" @platformatic/kafka

start_server --partitions 1
cp "$(dirname "$0")/platformatic_client.mjs" "$npm_dir/"  # resolves the package from $npm_dir/node_modules
if ! timeout 120 node "$npm_dir/platformatic_client.mjs" "127.0.0.1:$port" > "$work/client.log" 2>&1; then
  sed 's/^/  client: /' "$work/client.log" | tail -40 >&2
  sed 's/^/  serve: /' "$work/serve.err" >&2
  echo "FAILED: @platformatic/kafka against strata serve" >&2
  exit 1
fi
cat "$work/client.log"
stop_server
echo "PASSED"
