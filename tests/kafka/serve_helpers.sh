# Shared by the Kafka client scripts: start `strata serve` on a free port in the background, stop it with
# SIGTERM. Source it after setting $strata and $work.

# skip MESSAGE: ctest's "skipped" (SKIP_RETURN_CODE 77), for a client that is not installed.
skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

# start_server [EXTRA ARGS...]: sets $server_pid and $port; the server's stderr goes to $work/serve.err. Its
# --listen is $listen when set (sasl_ssl://127.0.0.1:0, say), else 127.0.0.1:0.
start_server() {
  "$strata" serve --dir "$work/log" --listen "${listen:-127.0.0.1:0}" "$@" 2> "$work/serve.err" &
  server_pid=$!
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/serve.err")
    [[ -n "$port" ]] && return 0
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  cat "$work/serve.err" >&2
  echo "FAILED: strata serve did not print 'listening on'" >&2
  exit 1
}

# stop_server: SIGTERM, and the exit status must be 0.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid"
  local status=$?
  server_pid=""
  if [[ $status -ne 0 ]]; then
    cat "$work/serve.err" >&2
    echo "FAILED: strata serve exited with $status after SIGTERM" >&2
    exit 1
  fi
}

cleanup_server() {
  [[ -n "${server_pid:-}" ]] && kill -KILL "$server_pid" 2> /dev/null
  rm -rf "$work"
}

# start_secure_server TOPIC GROUP: `strata serve` on a sasl_ssl listener with --authorize (sets $port like
# start_server). Its certificate is signed by $work/certs/ca.pem, the file clients trust. Users, SCRAM-SHA-512:
# alice (password alice-secret; Write and Read on TOPIC, Read on GROUP) and bob (bob-secret; no ACL).
start_secure_server() {
  local topic=$1 group=$2 user operation
  mkdir -p "$work/certs"
  bash "$(dirname "${BASH_SOURCE[0]}")/../security/make_certificates.sh" "$work/certs" || exit $?
  for user in alice bob; do
    echo "$user-secret" | "$strata" user add --dir "$work/log" "$user" --mechanism SCRAM-SHA-512 ||
      { echo "FAILED: strata user add $user" >&2; exit 1; }
  done
  "$strata" topic create --dir "$work/log" --topic "$topic" --partitions 2 > /dev/null &&
    for operation in Write Read; do
      "$strata" acl add --dir "$work/log" --principal User:alice --operation "$operation" --topic "$topic"
    done &&
    "$strata" acl add --dir "$work/log" --principal User:alice --operation Read --group "$group" ||
    { echo "FAILED: creating $topic and alice's ACLs" >&2; exit 1; }
  listen=sasl_ssl://127.0.0.1:0 start_server --tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key" \
    --authorize --group-initial-rebalance-delay-ms 0
}
