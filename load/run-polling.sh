#!/usr/bin/env bash
# Push against polling as browsers poll: one feed to 10,000 clients by WebSocket push, Server-Sent Events, long
# polling and short polling, the HTTP clients sending Chromium's request headers (fetch() for polls,
# EventSource for the stream) with a logged-in user's 500-byte cookie (the load tool's --browser-headers).
# Each server runs alone, pinned to CPU 0 and fresh for every case; the load tool is pinned to CPU 1. Then
# `report` writes comparison.md/.csv/.html, whose "Polling against push, per server" table gives each polling
# run's overhead bytes per delivery (headers, framing, envelope, in and out) and latency as multiples of the
# same server's push. About 6 minutes for the four servers.
#
#   load/run-polling.sh
#   SERVERS=WsFast FEED_RATE=2 load/run-polling.sh
#
# Environment: SERVERS (default "WsFast Bun Node Kestrel"), CLIENTS (10000), FEED_RATE (messages/s, default
# 1), FEED_SIZE (bytes, default 64), INTERVAL (short-poll interval in ms, default 1000), WSFAST_PORT,
# BUN_PORT, NODE_PORT, KESTREL_PORT, RESULTS (default load/results/polling-<timestamp>).
set -euo pipefail

cd "$(dirname "$0")/.."
clients="${CLIENTS:-10000}"
feed_rate="${FEED_RATE:-1}"
feed_size="${FEED_SIZE:-64}"
interval="${INTERVAL:-1000}"

source load/server-control.sh
source load/peers/servers.sh
start_results "${RESULTS:-load/results/polling-$(date -u +%Y%m%d-%H%M%S)}"
choose_servers

# 10,000 connections need 10,000 descriptors on each side; more than ~28,000 to one port would need more
# source addresses, and 50 spread them well below that.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < clients + 2000 )); then
  note "open files limited to $(ulimit -n): not every one of the $clients clients may connect."
fi

echo "Building Release and installing the peers..." >&2
build_servers
for server in "${servers[@]}"; do
  note "$(describe_server "$server")"
done

began=$SECONDS
feed=(--clients "$clients" --duration 6 --ramp-up 5 --settle 2 --rate "$feed_rate" --size "$feed_size" --source-addresses 50)
run_case() {
  local server="$1" name="$2"; shift 2
  echo "$server: $name ($*)" >&2
  run_load_case "$server" "$results/$server/$name" "$server $name" "$@" --url "http://127.0.0.1:$(port_of "$server")" "${feed[@]}"
}

for server in "${servers[@]}"; do
  # WebSocket push: the browser's headers go once, with the handshake, not per delivery.
  run_case "$server" "01-ws-broadcast-$clients" ws-broadcast
  run_case "$server" "02-sse-$clients-browser" sse --browser-headers
  run_case "$server" "03-poll-long-$clients-browser" poll-long --browser-headers
  run_case "$server" "04-poll-short-$clients-browser" poll-short --browser-headers --interval "$interval"
done

note "feed: $feed_rate messages/s of $feed_size B to $clients clients; short polls every $interval ms; HTTP clients send Chromium's headers for fetch() and EventSource with a 500-byte cookie (HTTP/1.1, no header compression)."
note "servers pinned to CPU 0 one at a time, fresh for every case; load tool pinned to CPU 1; $(nproc) CPUs, open files $(ulimit -n); $(( SECONDS - began )) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
others=()
for server in "${servers[@]}"; do [[ "$server" != WsFast ]] && others+=("$server"); done
dotnet "$load_dll" report --runs "$results" --out "$results" --subject WsFast --servers "${others[*]}"
echo "Results in $results (comparison.md: see 'Polling against push, per server')" >&2
