#!/usr/bin/env bash
# A soak with churn: 10,000 clients for 10 minutes against a fresh Release server, 5% of them disconnecting and
# reconnecting every second (abrupt, reset, close handshake, mid-message), echo clients, WebSocket subscribers,
# event streams and long polls over four topics published 5 times a second, and a few slow consumers. The server
# is sampled once a second (RSS, GC heap, pinned bytes, descriptors, threads, connections); the run fails when a
# series trends up after the warm-up, a healthy subscriber loses or reorders a message, or an unexpected close
# code or status appears. The server runs pinned to CPU 0, the load tool to CPU 1; the server is stopped by its PID.
#
#   load/run-soak.sh
#   CLIENTS=2000 DURATION=120 WARM_UP=30 load/run-soak.sh
#
# The clients come from one machine's loopback: the server is started with its per-address limits off
# (--max-connections-per-address 0 --handshakes-per-second 0), and the clients spread over 127.0.0.1..16 for
# ephemeral ports. Slow consumers are closed at their queue bound (--slow-consumer disconnect) rather than
# skipping messages, so that a skip can never hide in a healthy subscriber's figures.
#
# Writes load/reports/soak-<date>.md, soak-<date>.svg and the timeline soak-<date>.csv (REPORT_NAME changes
# soak-<date>), and the run's folder
# (report.md, timeline.csv, soak.svg, server.log, progress.log) under RESULTS. Exits as the soak's verdict does.
#
# Environment: PORT (18090), CLIENTS (10000), DURATION (600 s after the ramp-up), RAMP_UP (20 s), WARM_UP (120 s),
# RATE (5 messages/s per topic), SOURCE_ADDRESSES (16), RESULTS (load/results/soak-<timestamp>), REPORT_NAME.
set -euo pipefail

cd "$(dirname "$0")/.."
port="${PORT:-18090}"
clients="${CLIENTS:-10000}"
duration="${DURATION:-600}"
ramp_up="${RAMP_UP:-20}"
warm_up="${WARM_UP:-120}"
rate="${RATE:-5}"
sources="${SOURCE_ADDRESSES:-16}"
results="${RESULTS:-load/results/soak-$(date -u +%Y%m%d-%H%M%S)}"
name="${REPORT_NAME:-soak-$(date -u +%Y-%m-%d)}"
mkdir -p "$results" load/reports

# Each client holds a descriptor on both sides, and a churned one may linger while its successor connects.
ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < clients + 2000 )); then
  echo "open files limited to $(ulimit -n): not every one of the $clients clients may connect." >&2
fi

echo "Building Release..." >&2
for project in src/WsFast.Server load/WsFast.Load; do
  dotnet build -c Release -nologo -v q "$project" >/dev/null
done
server_dll=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

source load/server-control.sh
# The soak keeps each connection's message and byte rates at their defaults (its clients send far below them):
# only the per-address limits are off, by the flags below.
unset WSFAST_MESSAGES_PER_SECOND WSFAST_BYTES_PER_SECOND

server_args=(--host 127.0.0.1 --port "$port" --log-level Warning
  --max-connections-per-address 0 --handshakes-per-second 0 --slow-consumer disconnect)
taskset -c 0 dotnet "$server_dll" "${server_args[@]}" >"$results/server.log" 2>&1 &
server_pid=$!
wait_for_healthz "$port" || { echo "the server did not answer /healthz; see $results/server.log" >&2; exit 1; }

load_args=(soak --url "http://127.0.0.1:$port" --server-pid "$server_pid" --clients "$clients" --duration "$duration"
  --ramp-up "$ramp_up" --warm-up "$warm_up" --rate "$rate" --source-addresses "$sources" --out "$results")
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src load/WsFast.Load || echo ' (with uncommitted changes)')"
echo "soak: server PID $server_pid on CPU 0, load tool on CPU 1, results in $results" >&2
status=0
taskset -c 1 dotnet "$load_dll" "${load_args[@]}" >/dev/null 2>"$results/progress.log" || status=$?
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
stop_server

{
  echo "# WsFast soak with churn, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- commit: \`$commit\` (at the start)"
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), .NET $(dotnet --version); open files $(ulimit -n); load average $load_before at the start, $load_after at the end"
  echo "- server: \`taskset -c 0 dotnet $server_dll ${server_args[*]}\`"
  echo "- load: \`taskset -c 1 dotnet $load_dll ${load_args[*]}\`"
  echo "- exit code of the load tool: $status; the timeline, one line a second: [$name.csv]($name.csv)"
  echo
  sed "s|(soak.svg)|($name.svg)|" "$results/report.md"
} >"load/reports/$name.md"
cp "$results/soak.svg" "load/reports/$name.svg"
cp "$results/timeline.csv" "load/reports/$name.csv"
tail -n 1 "$results/progress.log" >&2
echo "Report: load/reports/$name.md, $name.svg and the timeline $name.csv; run folder $results" >&2
exit "$status"
