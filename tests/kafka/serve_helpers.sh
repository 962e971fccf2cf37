# Shared by the Kafka client scripts: start `strata serve` on a free port in the background, stop it with
# SIGTERM. Source it after setting $strata and $work.

# start_server [EXTRA ARGS...]: sets $server_pid and $port; the server's stderr goes to $work/serve.err.
start_server() {
  "$strata" serve --dir "$work/log" --listen 127.0.0.1:0 "$@" 2> "$work/serve.err" &
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
