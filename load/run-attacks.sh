#!/usr/bin/env bash
# The attacks of the hardening work, each against a fresh server with default settings: one hostile client,
# the server's resident memory (VmRSS) before, at its peak and after. Server pinned to CPU 0, attacker to CPU 1.
#
#   load/run-attacks.sh                 # the executable as built from this checkout
#   SERVER_DLL=path/to/WsFast.Server.dll load/run-attacks.sh   # another build of the executable, for comparison
#
# Environment: PORT (default 18090).
set -euo pipefail

cd "$(dirname "$0")/.."
port="${PORT:-18090}"
for project in src/WsFast.Server load/WsFast.Load; do
  dotnet build -c Release -nologo -v q "$project" >/dev/null
done
server_dll="${SERVER_DLL:-src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll}"
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

source load/server-control.sh

# start_server [env assignments...] -- [flags...]: a fresh server, waiting until /healthz answers.
start_server() {
  local envs=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" taskset -c 0 dotnet "$server_dll" --host 127.0.0.1 --port "$port" --log-level Warning "$@" >/dev/null 2>&1 &
  server_pid=$!
  wait_for_healthz "$port" || { echo "the server did not start" >&2; exit 1; }
}

attack() {
  taskset -c 1 dotnet "$load_dll" attack "$@" --port "$port" --server-pid "$server_pid"
}

echo "# WsFast attacks, $(date -u '+%Y-%m-%d %H:%M UTC'), server: $server_dll"
echo
echo "| attack | RSS before | peak | after (5 s later) | took | what happened to the attacker |"
echo "|---|---:|---:|---:|---:|---|"
start_server --
attack pipelined-get --path / --duration 15
stop_server
start_server --
attack pipelined-get --path '/poll/x?wait=0' --duration 8
stop_server
start_server --
attack ping-flood --path /echo --duration 8
stop_server
start_server WSFAST_PUBLISH_TOKEN=s3cret -- --mode broadcast
attack relay --path /broadcast/news --duration 2 --settle 1
stop_server
