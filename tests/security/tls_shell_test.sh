#!/usr/bin/env bash
# TlsSession (through tests/security/tls_echo_server) against clients that are not ours: Python's ssl module
# and `openssl s_client`. TLS 1.3 and 1.2 with strong ciphers work; TLS 1.1, a CBC cipher and garbage are
# refused; mutual TLS names the client certificate's subject. Certificates from make_certificates.sh.
#   usage: tls_shell_test.sh PATH_TO_TLS_ECHO_SERVER
set -uo pipefail
echo_server=$1
work=$(mktemp -d "${STRATA_TEST_DIR:-/var/tmp}/strata-tls-shell.XXXXXX")
server_pid=
trap '[[ -n $server_pid ]] && kill $server_pid 2> /dev/null; rm -rf "$work"' EXIT
die() {
  echo "FAILED: $*" >&2
  [[ -f $work/server.out ]] && cat "$work/server.out" >&2
  exit 1
}
bash "$(dirname "$0")/make_certificates.sh" "$work" alice || exit $?  # 77 without openssl
cd "$work" || die "cd"

start_server() {  # [CLIENT_CA]
  [[ -n $server_pid ]] && kill $server_pid 2> /dev/null && wait $server_pid 2> /dev/null
  "$echo_server" server.pem server.key "$@" > server.out 2> server.err &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(head -1 server.out 2> /dev/null)
    [[ -n $port ]] && return
    sleep 0.05
  done
  die "the echo server did not start: $(cat server.err)"
}
# The server's line about the last connection (the Nth after the port line).
connection_line() {
  for _ in $(seq 100); do
    line=$(sed -n "$(($1 + 1))p" server.out)
    [[ -n $line ]] && { echo "$line"; return; }
    sleep 0.05
  done
  die "no line for connection $1"
}

start_server
python3 - "$port" << 'PY' || die "python ssl"
import socket, ssl, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1: the point of the test
port = int(sys.argv[1])
def connect(**settings):
    context = ssl.create_default_context(cafile="ca.pem")
    for key, value in settings.items():
        setattr(context, key, value)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost")
with connect() as tls:
    assert tls.version() == "TLSv1.3", tls.version()
    payload = bytes(range(256)) * 4096
    tls.sendall(payload)
    got = b""
    while len(got) < len(payload):
        got += tls.recv(65536)
    assert got == payload
with connect(maximum_version=ssl.TLSVersion.TLSv1_2) as tls:
    name = tls.cipher()[0]
    assert tls.version() == "TLSv1.2" and name.startswith("ECDHE-") and ("GCM" in name or "CHACHA" in name), name
    tls.sendall(b"twelve"); assert tls.recv(100) == b"twelve"
try:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations("ca.pem")
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost"):
        sys.exit("TLS 1.1 accepted")
except ssl.SSLError:
    pass
with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
    raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    while raw.recv(100):  # at most an alert, then the server closes
        pass
print("python ok")
PY
[[ $(connection_line 1) == "closed TLSv1.3 "* ]] || die "python TLS 1.3: $(connection_line 1)"
[[ $(connection_line 2) == "closed TLSv1.2 ECDHE-"* ]] || die "python TLS 1.2: $(connection_line 2)"
[[ $(connection_line 3) == failed* ]] || die "TLS 1.1 not refused by the server: $(connection_line 3)"
[[ $(connection_line 4) == failed* ]] || die "garbage not refused: $(connection_line 4)"

# stdin stays open a second: at its end s_client closes, and the echo may not have come back yet.
(echo hello; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile ca.pem -verify_return_error -quiet -no_ign_eof \
  > s_client.out 2>&1 || die "s_client: $(cat s_client.out)"
grep -q hello s_client.out || die "s_client got no echo: $(cat s_client.out)"
timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher AES128-SHA -CAfile ca.pem < /dev/null \
  > weak.out 2>&1 && die "s_client with AES128-SHA connected"

start_server ca.pem
(echo hello; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile ca.pem -cert alice.pem -key alice.key \
  -quiet -no_ign_eof > mutual.out 2>&1 || die "s_client with a client certificate: $(cat mutual.out)"
[[ $(connection_line 1) == *"User:CN=alice" ]] || die "mutual TLS principal: $(connection_line 1)"
(echo hello; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile ca.pem -quiet -no_ign_eof > anonymous.out 2>&1
[[ $(connection_line 2) == failed* ]] || die "a client without a certificate was not refused: $(connection_line 2)"
echo "ok"
