# Sourced by the load scripts: the server each one starts in the background is stopped by its own PID, on
# exit too, and waited for until its /healthz answers.

server_pid=""

# Stops the server started last (its PID in server_pid), if it still runs.
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT

# wait_for_healthz PORT [CA]: true once http://127.0.0.1:PORT/healthz answers (https://, trusting the PEM file CA,
# when CA is given), false after 10 s.
wait_for_healthz() {
  local url="http://127.0.0.1:$1/healthz" tls=()
  if [[ -n "${2:-}" ]]; then url="https://127.0.0.1:$1/healthz"; tls=(--cacert "$2"); fi
  for _ in $(seq 100); do
    if curl -fs "${tls[@]}" "$url" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}
