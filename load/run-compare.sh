#!/usr/bin/env bash
# Compares WsFast with Bun (uWebSockets), Node.js (ws) and ASP.NET Core (Kestrel) peers on the same cases, one
# server at a time, each pinned alone to CPU 0 and started fresh for every case; the load tool is pinned to
# CPU 1. Everything is on loopback. Then `report` writes comparison.md, comparison.csv and comparison.html,
# with WsFast's ratio to every other server. About 12-13 minutes for the four servers and one round.
#
#   load/run-compare.sh
#   SERVERS="WsFast Bun" ROUNDS=3 load/run-compare.sh
#
# Cases: ws-echo with 100 and 1,000 clients (32 B text) and 10 clients (64 KiB binary); 10,000 idle
# connections, all connecting at once (memory per connection, handshakes per second); one feed of FEED_RATE
# messages/s of FEED_SIZE bytes to 1,000 clients by ws-broadcast, sse, poll-long and poll-short; broadcast of
# 32 B messages to 1,000 subscribers at FANOUT_RATE (unsaturated) and SATURATED_RATE publishes/s; then
# permessage-deflate: 1 KiB JSON quotes to 1,000 subscribers at DEFLATE_RATE publishes/s without deflate and with it
# (the clients offering it as Chromium does, every server agreeing), and 10,000 idle connections with it agreed;
# echo of 1 KiB text by 100 clients without deflate and with it (both directions compressed).
# Cases 12, 13 and 15 run every server with deflate; the others run WsFast with --no-deflate and the peers without
# it, as before deflate existed.
# TLS: 16 is 01 over TLS (wss://, 100 clients echoing 32 B), 17 is 09 (broadcast of 32 B to 1,000 subscribers at
# FANOUT_RATE), 19 is 18 over TLS (1,000 connections opened over 4 s, then held: the server's CPU per connection,
# handshakes included). Their servers listen on their plain port and beside it on their TLS port (peers/servers.sh),
# with one certificate made for the run (load/tls/make-cert.sh, ECDSA P-256, or TLS_KEY=rsa; in RESULTS/tls); the
# clients trust only its CA, make a full handshake each (no resumption) and offer ALPN http/1.1. /healthz and 17's
# publisher use the plain port, so that what differs from the plain case is the clients' traffic alone. "TLS
# against plain" in the report pairs 16/01, 17/09 and 19/18:
#   CASES="01 09 16 17 18 19" SERVERS="WsFast Bun" ROUNDS=3 load/run-compare.sh
# The load tool's own TLS costs it about twice the CPU per echo or delivery and several times the server's per
# handshake (a .NET client's handshake took 1-2.5 ms of CPU in trials): the bottleneck column says when it, not
# the server, set the pace; server CPU per message and per connection compare either way. Hence no 10,000-at-once
# storm over TLS: the tool would take 10-25 s for the handshakes, past the servers' handshake timeouts.
#
# Environment: SERVERS (default "WsFast Bun Node Kestrel"), ROUNDS (default 1: with N, every case runs N
# times, the rounds interleaved: round 1 runs every case against every server, then round 2...; the report
# takes medians and the median of each round's own ratios), WSFAST_PORT, BUN_PORT, NODE_PORT, KESTREL_PORT
# (18080, 18082, 18083, 18081), WSFAST_TLS_PORT, BUN_TLS_PORT, NODE_TLS_PORT, KESTREL_TLS_PORT (18440, 18442, 18443,
# 18441), TLS_KEY (ecdsa or rsa), WSFAST_DLL (a WsFast.Server.dll to run instead of building the checkout's), RESULTS (default load/results/compare-<timestamp>), FEED_RATE (messages/s,
# default 10), FEED_SIZE (bytes, default 64), FANOUT_RATE and SATURATED_RATE (defaults 100 and 1,000),
# DEFLATE_RATE (publishes/s of the 1 KiB cases, default 20: 20,000 deliveries/s, which the load tool inflates on
# its one core with room to spare), NODE_DEFLATE (on or no-context, see load/peers/README.md), CASES (the
# cases' numbers to run, e.g. "04 11 12 13"; default all).
#
#   CASES="04 11 12 13" SERVERS="WsFast Bun Node" ROUNDS=3 load/run-compare.sh
set -euo pipefail

cd "$(dirname "$0")/.."
rounds="${ROUNDS:-1}"
feed_rate="${FEED_RATE:-10}"
feed_size="${FEED_SIZE:-64}"
stamp="$(date -u +%Y%m%d-%H%M%S)"

source load/server-control.sh
source load/peers/servers.sh
start_results "${RESULTS:-load/results/compare-$stamp}"
choose_servers
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then
  echo "ROUNDS must be a whole number from 1" >&2
  exit 2
fi

# 10,000 connections need 10,000 descriptors on each side; take what the hard limit allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < 12000 )); then
  note "open files limited to $(ulimit -n): the 10,000-client cases may fail to connect every client."
fi

echo "Building Release and installing the peers..." >&2
build_servers
for server in "${servers[@]}"; do
  note "$(describe_server "$server")"
done

if [[ -z "${CASES:-}" || " $CASES " == *" 12 "* || " $CASES " == *" 13 "* ]]; then
  note "cases 12 and 13 (permessage-deflate): WsFast with its defaults, Bun --deflate on, Node --deflate ${NODE_DEFLATE:-on}, Kestrel --WsFast:Deflate=true; every other case WsFast --no-deflate and the peers without deflate."
fi

if [[ -z "${CASES:-}" || " $CASES " == *" 16 "* || " $CASES " == *" 17 "* || " $CASES " == *" 19 "* ]]; then
  make_tls_certificate "$results/tls"
  note "cases 16, 17 and 19 (TLS): $(openssl x509 -in "$tls_dir/server.pem" -noout -text | grep -m1 'Public Key Algorithm' | sed 's/^ *//') certificate for 127.0.0.1 from $tls_dir/ca.pem, on each server's TLS port beside its plain one; clients trust only that CA, full handshakes (no resumption), ALPN http/1.1; /healthz and the publisher over plain HTTP."
fi

began=$SECONDS

# run_case SERVER ROUND NAME COMMAND ARGS...: one case against a fresh server, the tool on CPU 1. ws:// URLs
# and the feeds' base URL get the server's port in place of PORT, and its TLS port in place of TLSPORT.
run_case() {
  local server="$1" round="$2" name="$3" port tls_port; shift 3
  port="$(port_of "$server")"
  tls_port="$(tls_port_of "$server")"
  local dir="$results/$server/$name"
  if (( rounds > 1 )); then dir="$dir/round-$round"; fi
  local args=("${@//TLSPORT/$tls_port}")
  args=("${args[@]//PORT/$port}")
  echo "round $round/$rounds, $server: $name (${args[*]})" >&2
  run_load_case "$server" "$dir" "$server $name$( (( rounds > 1 )) && echo " round $round")" "${args[@]}"
}

# each ROUND NAME COMMAND ARGS...: the case against every chosen server, back to back, so that slow drifts of a
# shared machine hit them alike and each round's ratios compare runs minutes apart at most. Skipped when CASES
# does not name the case's number.
each() {
  local round="$1"; shift
  if [[ -n "${CASES:-}" && " $CASES " != *" ${1%%-*} "* ]]; then return 0; fi
  for server in "${servers[@]}"; do
    run_case "$server" "$round" "$@"
  done
}

feed=(--clients 1000 --duration 6 --ramp-up 2 --settle 2 --rate "$feed_rate" --size "$feed_size")
fanout=(--clients 1000 --duration 6 --ramp-up 2 --settle 2 --size 32)
json_feed=(--clients 1000 --duration 6 --ramp-up 2 --settle 2 --size 1024 --ticks --rate "${DEFLATE_RATE:-20}")
deflate=off
for round in $(seq "$rounds"); do
  each "$round" 01-ws-echo-100 ws-echo --url ws://127.0.0.1:PORT/echo --clients 100 --duration 5 --ramp-up 1 --settle 1 --size 32
  each "$round" 02-ws-echo-1000 ws-echo --url ws://127.0.0.1:PORT/echo --clients 1000 --duration 5 --ramp-up 2 --settle 1 --size 32
  each "$round" 03-ws-echo-10-64k ws-echo --url ws://127.0.0.1:PORT/echo --clients 10 --duration 5 --ramp-up 0.5 --settle 1 --size 65536 --binary
  # Every client connects at once (a ramp-up of 0), so the connect time is how long the server takes for
  # 10,000 handshakes; the memory is measured after 3 s of settling.
  each "$round" 04-ws-idle-10000 ws-idle --url ws://127.0.0.1:PORT/echo --clients 10000 --duration 1 --ramp-up 0 --settle 3 --source-addresses 50

  # One feed, FEED_RATE messages/s of FEED_SIZE bytes, to 1,000 clients by each delivery.
  each "$round" 05-ws-broadcast-1000 ws-broadcast --url http://127.0.0.1:PORT "${feed[@]}"
  each "$round" 06-sse-1000 sse --url http://127.0.0.1:PORT "${feed[@]}"
  each "$round" 07-poll-long-1000 poll-long --url http://127.0.0.1:PORT "${feed[@]}"
  each "$round" 08-poll-short-1000 poll-short --url http://127.0.0.1:PORT "${feed[@]}" --interval 1000

  # Broadcast throughput, 1,000 subscribers, 32 B. At FANOUT_RATE publishes/s (100,000 deliveries a second at
  # the default) no server is saturated: latency and CPU per delivery. At SATURATED_RATE (1,000,000 offered) a
  # server delivers what it can: its broadcast throughput.
  each "$round" 09-ws-broadcast-fanout ws-broadcast --url http://127.0.0.1:PORT "${fanout[@]}" --rate "${FANOUT_RATE:-100}"
  each "$round" 10-ws-broadcast-saturated ws-broadcast --url http://127.0.0.1:PORT "${fanout[@]}" --rate "${SATURATED_RATE:-1000}"

  # permessage-deflate. The same feed of 1 KiB JSON quotes (each message different, as market data is) without
  # and with deflate, and 10,000 idle connections with deflate agreed against 04's without. `deflate=on` starts
  # every server agreeing to it (peers/servers.sh); --deflate makes the clients offer it.
  each "$round" 11-ws-broadcast-1k-json ws-broadcast --url http://127.0.0.1:PORT "${json_feed[@]}"
  deflate=on
  each "$round" 12-ws-broadcast-1k-json-deflate ws-broadcast --url http://127.0.0.1:PORT "${json_feed[@]}" --deflate
  each "$round" 13-ws-idle-10000-deflate ws-idle --url ws://127.0.0.1:PORT/echo --clients 10000 --duration 1 --ramp-up 0 --settle 3 --source-addresses 50 --deflate
  deflate=off

  # Echo of 1 KiB text (the tool's repeating alphabet: it compresses well) without and with deflate: the clients
  # compress what they send, the server inflates it and compresses its echo, per message and per connection.
  each "$round" 14-ws-echo-100-1k ws-echo --url ws://127.0.0.1:PORT/echo --clients 100 --duration 5 --ramp-up 1 --settle 1 --size 1024
  deflate=on
  each "$round" 15-ws-echo-100-1k-deflate ws-echo --url ws://127.0.0.1:PORT/echo --clients 100 --duration 5 --ramp-up 1 --settle 1 --size 1024 --deflate
  deflate=off

  # TLS: 01 and 09 again with the clients over TLS (wss://) on the server's TLS port; /healthz and the publisher
  # stay on its plain port. Over TLS a broadcast is still framed once, and encrypted per subscriber. Then 1,000
  # connections opened at 250/s (a pace the load tool's own handshakes keep up with) and held, plain and over TLS:
  # the server's CPU per connection from before the first connect to the window (server_cpu_us_per_conn).
  tls=on
  each "$round" 16-wss-echo-100 ws-echo --url wss://127.0.0.1:TLSPORT/echo --http-port PORT --ca "$tls_dir/ca.pem" --clients 100 --duration 5 --ramp-up 1 --settle 1 --size 32
  each "$round" 17-wss-broadcast-fanout ws-broadcast --url https://127.0.0.1:TLSPORT --http-port PORT --ca "$tls_dir/ca.pem" "${fanout[@]}" --rate "${FANOUT_RATE:-100}"
  tls=off
  each "$round" 18-ws-connect-1000 ws-idle --url ws://127.0.0.1:PORT/echo --clients 1000 --duration 1 --ramp-up 4 --settle 2
  tls=on
  each "$round" 19-wss-connect-1000 ws-idle --url wss://127.0.0.1:TLSPORT/echo --http-port PORT --ca "$tls_dir/ca.pem" --clients 1000 --duration 1 --ramp-up 4 --settle 2
  tls=off
done

note "servers pinned to CPU 0 one at a time, fresh for every case; load tool pinned to CPU 1; $(nproc) CPUs, open files $(ulimit -n); ${rounds} round(s) in $(( SECONDS - began )) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
others=()
for server in "${servers[@]}"; do [[ "$server" != WsFast ]] && others+=("$server"); done
dotnet "$load_dll" report --runs "$results" --out "$results" --subject WsFast --servers "${others[*]}"
echo "Results in $results (comparison.md, comparison.csv, comparison.html; <server>/<case>/report.md per run)" >&2
