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
trap cleanup_server EXIT

skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}
command -v node > /dev/null || skip "node is not installed"
if [[ ! -d "$npm_dir/node_modules/@platformatic/kafka" ]]; then
  command -v npm > /dev/null || skip "npm is not installed"
  mkdir -p "$npm_dir"
  timeout 180 npm install --prefix "$npm_dir" --no-audit --no-fund @platformatic/kafka > "$work/npm.log" 2>&1 ||
    skip "npm install @platformatic/kafka failed: $(tail -3 "$work/npm.log")"
fi

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
