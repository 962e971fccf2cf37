#!/usr/bin/env bash
# Test certificates, made by the openssl command in DIR: a CA (ca.pem, ca.key), a server certificate it signs
# for localhost and 127.0.0.1 (server.pem, server.key) and, per NAME given, a client certificate with CN=NAME
# (NAME.pem, NAME.key). P-256 keys, valid two days. Exits 77 (ctest's "skipped") when openssl is missing.
#   usage: make_certificates.sh DIR [CLIENT_NAME...]
set -uo pipefail
command -v openssl > /dev/null || { echo "no openssl command: skipped" >&2; exit 77; }
cd "$1" || exit 1
shift
fail() {
  echo "make_certificates.sh: $1 failed: $(cat openssl.err)" >&2
  exit 1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=strata-test-ca \
  -keyout ca.key -out ca.pem 2> openssl.err || fail "the CA"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.cnf
signed() {  # NAME CN
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" \
    2> openssl.err || fail "$1's request"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.cnf \
    -out "$1.pem" 2> openssl.err || fail "$1's certificate"
}
signed server localhost
for name in "$@"; do signed "$name" "$name"; done
rm -f openssl.err
