#!/usr/bin/env bash
# sarama (Go) against `strata serve` on a sasl_ssl listener with --authorize: SCRAM-SHA-512 over TLS, produce
# and consume in a group, a wrong password and a user without an ACL refused (see sarama_client.go). The client
# is built once into GO_DIR, named by its source's hash, offline from Debian's Go packages (golang-go,
# golang-github-shopify-sarama-dev, golang-github-xdg-go-scram-dev); skips (exit 77) when any is missing.
#   usage: sarama_security_test.sh PATH_TO_STRATA GO_DIR
set -uo pipefail
strata=$1
go_dir=$(mkdir -p "$2" && cd "$2" && pwd) || exit 1  # absolute: GOCACHE must be
here=$(dirname "$0")
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-sarama.XXXXXX")
source "$here/serve_helpers.sh"
trap cleanup_server EXIT

gopath=/usr/share/gocode
command -v go > /dev/null || skip "go is not installed (golang-go)"
for package in github.com/Shopify/sarama github.com/xdg-go/scram; do
  [[ -d $gopath/src/$package ]] || skip "$package is not in $gopath (Debian's golang-*-dev packages)"
done
client=$go_dir/sarama_client-$(sha256sum "$here/sarama_client.go" | cut -c1-16)
if [[ ! -x $client ]]; then
  GO111MODULE=off GOPATH=$gopath GOCACHE=$go_dir/cache GOENV=off GOFLAGS= go build -o "$client.$$" "$here/sarama_client.go" \
    > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; echo "FAILED: go build sarama_client.go" >&2; exit 1; }
  mv "$client.$$" "$client"
fi

start_secure_server orders billing
if ! timeout 120 "$client" "127.0.0.1:$port" "$work/certs/ca.pem" orders billing alice alice-secret bob \
  bob-secret > "$work/client.log" 2>&1; then
  sed 's/^/  client: /' "$work/client.log" | tail -40 >&2
  sed 's/^/  serve: /' "$work/serve.err" >&2
  echo "FAILED: sarama against strata serve (sasl_ssl)" >&2
  exit 1
fi
cat "$work/client.log"
stop_server
echo "PASSED"
