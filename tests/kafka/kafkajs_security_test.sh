#!/usr/bin/env bash
# kafkajs against `strata serve` on a sasl_ssl listener with --authorize: SCRAM-SHA-512 over TLS, produce and
# consume, a wrong password and a user without an ACL refused (see kafkajs_client.mjs). Skips (exit 77) like
# platformatic_test.sh when node, npm or the network is missing; kafkajs is installed once into NPM_DIR.
#   usage: kafkajs_security_test.sh PATH_TO_STRATA NPM_DIR
set -uo pipefail
strata=$1
npm_dir=${STRATA_NPM_DIR:-$2}
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-kafkajs.XXXXXX")
source "$(dirname "$0")/serve_helpers.sh"
source "$(dirname "$0")/npm_helpers.sh"
trap cleanup_server EXIT
require_npm_package "$npm_dir" kafkajs

start_secure_server orders billing
cp "$(dirname "$0")/kafkajs_client.mjs" "$npm_dir/"  # resolves the package from $npm_dir/node_modules
if ! timeout 120 node "$npm_dir/kafkajs_client.mjs" "127.0.0.1:$port" "$work/certs/ca.pem" orders billing \
  alice:alice-secret bob:bob-secret > "$work/client.log" 2>&1; then
  sed 's/^/  client: /' "$work/client.log" | tail -40 >&2
  sed 's/^/  serve: /' "$work/serve.err" >&2
  echo "FAILED: kafkajs against strata serve (sasl_ssl)" >&2
  exit 1
fi
cat "$work/client.log"
stop_server
echo "PASSED"
