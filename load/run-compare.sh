#!/usr/bin/env bash
# Compares WsFast with its ASP.NET Core (Kestrel) peer on the same cases, one server at a time, each pinned
# alone to CPU 0 and started fresh for every case; the load tool is pinned to CPU 1. Everything is on
# loopback. Cases: ws-echo with 1,000 clients, ws-idle and ws-echo with 10,000, and, when this build of the
# tool has them, one feed (same publish rate and size) delivered by ws-broadcast, sse, poll-long and
# poll-short. Then `report` writes comparison.md, comparison.csv and comparison.html. About 4-5 minutes.
#
#   load/run-compare.sh
#
# Environment: WSFAST_PORT (default 18080), KESTREL_PORT (default 18081), RESULTS (default
# load/results/compare-<timestamp>), FEED_RATE (messages/s, default 10), FEED_SIZE (bytes, default 64),
# FANOUT_RATE and SATURATED_RATE (publishes/s of the two broadcast throughput cases, defaults 100 and 1,000).
set -euo pipefail

cd "$(dirname "$0")/.."
wsfast_port="${WSFAST_PORT:-18080}"
kestrel_port="${KESTREL_PORT:-18081}"
feed_rate="${FEED_RATE:-10}"
feed_size="${FEED_SIZE:-64}"
stamp="$(date -u +%Y%m%d-%H%M%S)"
results="${RESULTS:-load/results/compare-$stamp}"
mkdir -p "$results"
notes="$results/notes.txt"
: >"$notes"
note() { echo "$*" | tee -a "$notes" >&2; }

source load/server-control.sh

# 10,000 connections need 10,000 descriptors on each side; take what the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < 12000 )); then
  note "open files limited to $(ulimit -n): the 10,000-client cases may fail to connect every client."
fi

echo "Building Release..." >&2
for project in src/WsFast.Server load/WsFast.Kestrel load/WsFast.Load; do
  dotnet build -c Release -nologo -v q "$project" >/dev/null
done
wsfast_dll=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
kestrel_dll=load/WsFast.Kestrel/bin/Release/net10.0/WsFast.Kestrel.dll
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

# Starts server $1 (WsFast or Kestrel) pinned to CPU 0, logging to $2, and waits for its /healthz.
start_server() {
  local name="$1" log="$2" port
  case "$name" in
    WsFast)
      port="$wsfast_port"
      taskset -c 0 dotnet "$wsfast_dll" --host 127.0.0.1 --port "$port" --ping-interval 0 \
        --max-connections 50000 --log-level Warning >"$log" 2>&1 &
      ;;
    Kestrel)
      port="$kestrel_port"
      taskset -c 0 dotnet "$kestrel_dll" --urls "http://127.0.0.1:$port" >"$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  wait_for_healthz "$port" && return 0
  echo "$name did not answer /healthz on port $port; see $log" >&2
  return 1
}

port_of() { if [[ "$1" == WsFast ]]; then echo "$wsfast_port"; else echo "$kestrel_port"; fi; }

# The commands and options this build of the tool has, from its own help.
tool_help="$(dotnet "$load_dll" --help)"
has_command() { grep -Eq "^[[:space:]]+$1([[:space:]]|$)" <<<"$tool_help"; }
has_option() { dotnet "$load_dll" "$1" --help | grep -Eq -- "(^|[[:space:],])$2([[:space:],]|$)"; }

# The tool's default URL for command $1 with host and port replaced by the server's ($2); empty without one.
default_url() {
  dotnet "$load_dll" "$1" --help | grep -A3 -E -- "--url" | grep -oE "(ws|http)://[^] ]+" | head -n 1 \
    | sed -E "s#^((ws|http)://)[^/]+#\1127.0.0.1:$2#"
}

# Runs case $2 (a folder name) of command $3... against server $1, fresh, with the tool on CPU 1.
run_case() {
  local server="$1" name="$2"; shift 2
  local dir="$results/$server/$name"
  mkdir -p "$dir"
  start_server "$server" "$dir/server.log"
  echo "$server: $name ($*)" >&2
  local progress="$dir/progress.log"
  # A terminal gets the tool's live progress; a redirected run keeps the plain lines in the run folder.
  if [[ -t 2 ]]; then progress=/dev/stderr; fi
  local status=0
  taskset -c 1 dotnet "$load_dll" "$@" --server-pid "$server_pid" --out "$dir" >/dev/null 2>"$progress" || status=$?
  if (( status != 0 )); then
    note "$server $name: the load tool reported errors or clients that never got ready (exit $status)."
  fi
  stop_server
}

# Every case runs against both servers back to back, so that slow drifts of a shared machine hit both alike.
both() {
  local name="$1" command="$2" path="$3"; shift 3
  for server in WsFast Kestrel; do
    run_case "$server" "$name" "$command" --url "ws://127.0.0.1:$(port_of "$server")$path" "$@"
  done
}

both 01-ws-echo-1000 ws-echo /echo --clients 1000 --duration 8 --ramp-up 2 --settle 2 --size 32
both 02-ws-idle-10000 ws-idle /echo --clients 10000 --duration 2 --ramp-up 4 --settle 3 --source-addresses 50
both 03-ws-echo-10000 ws-echo /echo --clients 10000 --duration 8 --ramp-up 4 --settle 3 --size 32 --source-addresses 50

# One feed, FEED_RATE messages/s of FEED_SIZE bytes, to 1,000 clients by each delivery.
feed_case=4
for command in ws-broadcast sse poll-long poll-short; do
  name="$(printf '%02d' "$feed_case")-$command-1000"
  feed_case=$((feed_case + 1))
  if ! has_command "$command"; then
    note "$command: not in this build of the load tool; skipped."
    continue
  fi

  args=(--clients 1000 --duration 8)
  for option in --ramp-up:2 --settle:2 --rate:"$feed_rate" --size:"$feed_size"; do
    if has_option "$command" "${option%%:*}"; then args+=("${option%%:*}" "${option#*:}"); fi
  done
  if [[ "$command" == poll-short ]] && has_option "$command" --interval; then
    # One poll a second, in whatever unit the option takes.
    if dotnet "$load_dll" "$command" --help | grep -E -- "--interval" | grep -qiE "ms|milli"; then
      args+=(--interval 1000)
    else
      args+=(--interval 1)
    fi
  fi

  for server in WsFast Kestrel; do
    url="$(default_url "$command" "$(port_of "$server")")"
    if [[ -z "$url" ]]; then
      case "$command" in
        ws-broadcast) url="ws://127.0.0.1:$(port_of "$server")/broadcast/feed" ;;
        sse) url="http://127.0.0.1:$(port_of "$server")/sse/feed" ;;
        *) url="http://127.0.0.1:$(port_of "$server")/poll/feed" ;;
      esac
    fi
    run_case "$server" "$name" "$command" --url "$url" "${args[@]}"
  done
done

# Broadcast throughput, 1,000 subscribers. At FANOUT_RATE publishes/s (100,000 deliveries a second at the
# default) neither server is saturated: latency and CPU per delivery. At SATURATED_RATE (1,000,000 offered) a
# server delivers what it can: frames queued for one socket then leave in one send, so what each server
# manages is its broadcast throughput.
if has_command ws-broadcast; then
  for fanout in "fanout:${FANOUT_RATE:-100}" "saturated:${SATURATED_RATE:-1000}"; do
    for server in WsFast Kestrel; do
      run_case "$server" "$(printf '%02d' "$feed_case")-ws-broadcast-1000-${fanout%%:*}" ws-broadcast \
        --url "ws://127.0.0.1:$(port_of "$server")/broadcast/${fanout%%:*}" --clients 1000 --duration 8 --ramp-up 2 --settle 2 \
        --rate "${fanout#*:}" --size 64
    done
    feed_case=$((feed_case + 1))
  done
fi

note "servers pinned to CPU 0 one at a time, fresh for every case; load tool pinned to CPU 1; $(nproc) CPUs, open files $(ulimit -n); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
dotnet "$load_dll" report --runs "$results" --out "$results"
echo "Results in $results (comparison.md, comparison.csv, comparison.html; <server>/<case>/report.md per run)" >&2
