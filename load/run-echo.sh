#!/usr/bin/env bash
# Runs the standard load set against a fresh Release server: the server pinned to CPU 0, the load tool to
# CPU 1. ws-echo with 100 and 1,000 clients (10 s, 32 B), then ws-idle with 10,000 connections.
#
#   load/run-echo.sh                    # the executable as shipped (it runs socket completions inline)
#   load/run-echo.sh --runtime-default  # with the runtime's default: completions hop to the thread pool
#
# Environment: PORT (default 18080), RESULTS (default load/results/<timestamp>[-runtime-default]).
set -euo pipefail

cd "$(dirname "$0")/.."
port="${PORT:-18080}"
stamp="$(date -u +%Y%m%d-%H%M%S)"
server_env=()
label="inline-completions"
if [[ "${1:-}" == "--runtime-default" ]]; then
  # The executable keeps an explicit setting: 0 sends socket continuations to the thread pool again.
  server_env=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0)
  label="runtime-default"
  stamp="$stamp-runtime-default"
fi
results="${RESULTS:-load/results/$stamp}"
mkdir -p "$results"

# 10,000 connections need 10,000 descriptors on each side.
ulimit -n "$(ulimit -Hn)"

for project in src/WsFast.Server load/WsFast.Load; do
  dotnet build -c Release -nologo -v q "$project" >/dev/null
done
server_dll=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

source load/server-control.sh

env "${server_env[@]}" taskset -c 0 dotnet "$server_dll" \
  --host 127.0.0.1 --port "$port" --ping-interval 0 --max-connections 50000 --log-level Warning \
  >"$results/server.log" 2>&1 &
server_pid=$!

wait_for_healthz "$port" || { echo "the server did not answer /healthz; see $results/server.log" >&2; exit 1; }

load() {
  local name="$1"; shift
  taskset -c 1 dotnet "$load_dll" "$@" --url "ws://127.0.0.1:$port/echo" --server-pid "$server_pid" \
    --out "$results/$name" >/dev/null 2>"$results/$name.progress.log" || echo "$name: the load tool reported errors (exit $?)" >&2
}

load echo-100 ws-echo --clients 100 --duration 10 --size 32
load echo-1000 ws-echo --clients 1000 --duration 10 --size 32 --ramp-up 2
load idle-10000 ws-idle --clients 10000 --duration 3 --ramp-up 5 --settle 5 --source-addresses 50

echo "# WsFast load run ($label), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
for name in echo-100 echo-1000 idle-10000; do
  cat "$results/$name/report.md"
  echo
done
# One CSV of all runs: the first file's header, every file's data line.
{ head -n 1 "$results/echo-100/report.csv"; for name in echo-100 echo-1000 idle-10000; do tail -n +2 "$results/$name/report.csv"; done; } >"$results/all.csv"
echo "Results in $results (report.md, report.csv per run; all.csv)"
