#!/usr/bin/env bash
# Two builds of the WsFast executable side by side in one run, for a change's before and after: echo with 100
# and 1,000 clients, a saturated broadcast to 1,000 subscribers and 10,000 connections opened at once, each case
# against A then B, ROUNDS times (default 3), every server fresh and pinned to CPU 0, the load tool pinned to
# CPU 1. Prints each case's median rate and server CPU per message (resident memory per idle connection and
# handshakes per second), and B/A.
#
#   load/run-ab.sh A/WsFast.Server.dll B/WsFast.Server.dll
#   A_ENV="" B_ENV="WSFAST_SOCKET_ENGINE=epoll" load/run-ab.sh X/WsFast.Server.dll X/WsFast.Server.dll   # one build, two settings
#
# Environment: ROUNDS (3), PORT (18100), RESULTS (load/results/<timestamp>-ab), A_ENV and B_ENV (variables set for
# each side's server, e.g. WSFAST_SOCKET_ENGINE=epoll).
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ $# -ne 2 ]]; then
  echo "usage: load/run-ab.sh A/WsFast.Server.dll B/WsFast.Server.dll" >&2
  exit 2
fi
a_dll="$1"; b_dll="$2"
rounds="${ROUNDS:-3}"
port="${PORT:-18100}"
results="${RESULTS:-load/results/$(date -u +%Y%m%d-%H%M%S)-ab}"
mkdir -p "$results"
ulimit -n "$(ulimit -Hn)"
dotnet build -c Release -nologo -v q load/WsFast.Load >/dev/null
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

source load/server-control.sh

start_server() {
  # $3: the side's environment assignments (word-split on purpose).
  # shellcheck disable=SC2086
  env ${3:-} taskset -c 0 dotnet "$1" --host 127.0.0.1 --port "$port" --ping-interval 0 --max-connections 50000 \
    --log-level Warning >"$2" 2>&1 &
  server_pid=$!
  wait_for_healthz "$port" || { echo "the server $1 did not start; see $2" >&2; exit 1; }
}

# run NAME DLL ROUND COMMAND ARGS...: one case against a fresh server (with the side's environment).
run() {
  local name="$1" dll="$2" round="$3"; shift 3
  local dir="$results/$name/$round" side_env="${A_ENV:-}"
  [[ "$name" == *-B ]] && side_env="${B_ENV:-}"
  mkdir -p "$dir"
  start_server "$dll" "$dir/server.log" "$side_env"
  taskset -c 1 dotnet "$load_dll" "$@" --server-pid "$server_pid" --out "$dir" >/dev/null 2>"$dir/progress.log" \
    || echo "$name round $round: the load tool reported errors" >&2
  stop_server
}

for round in $(seq "$rounds"); do
  for side in A B; do
    dll="$a_dll"; [[ "$side" == B ]] && dll="$b_dll"
    run "echo-100-$side" "$dll" "$round" ws-echo --url "ws://127.0.0.1:$port/echo" --clients 100 --duration 8 --settle 2 --size 32
    run "echo-1000-$side" "$dll" "$round" ws-echo --url "ws://127.0.0.1:$port/echo" --clients 1000 --duration 8 --ramp-up 2 --settle 2 --size 32
    run "broadcast-1000-$side" "$dll" "$round" ws-broadcast --url "http://127.0.0.1:$port" --clients 1000 --duration 8 --ramp-up 2 --settle 2 --rate 1000 --size 64
    run "idle-10000-$side" "$dll" "$round" ws-idle --url "ws://127.0.0.1:$port/echo" --clients 10000 --duration 3 --ramp-up 0 --settle 5 --source-addresses 50
  done
done

python3 - "$results" "$a_dll" "$b_dll" <<'PY'
import csv, pathlib, statistics, sys
results, a, b = sys.argv[1:]

def rounds(name):
    """Each round's report row, by round number."""
    return {p.parent.name: next(csv.DictReader(open(p))) for p in pathlib.Path(results, name).glob("*/report.csv")}

def median_and_pairs(case, field):
    ra, rb = rounds(f"{case}-A"), rounds(f"{case}-B")
    va = [float(r[field]) for r in ra.values()]
    vb = [float(r[field]) for r in rb.values()]
    # A and B of one round ran back to back: their ratio is what a drifting machine disturbs least.
    pairs = [float(rb[k][field]) / float(ra[k][field]) for k in ra if k in rb and float(ra[k][field]) > 0]
    return statistics.median(va), statistics.median(vb), statistics.median(pairs), len(pairs)

print(f"A: {a}\nB: {b}\n")
print("| case | A msg/s | B msg/s | B/A (median of rounds) | A server µs/msg | B server µs/msg | B/A (median of rounds) | rounds |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for case, rate in (("echo-100", "rate_per_s"), ("echo-1000", "rate_per_s"), ("broadcast-1000", "delivered_per_s")):
    ra, rb, rr, n = median_and_pairs(case, rate)
    ca, cb, cr, _ = median_and_pairs(case, "server_cpu_us_per_msg")
    print(f"| {case} | {ra:,.0f} | {rb:,.0f} | {rr:.2f} | {ca:.2f} | {cb:.2f} | {cr:.2f} | {n} |")
ia, ib, ir, n = median_and_pairs("idle-10000", "server_rss_bytes_per_conn")
print(f"\n| 10,000 connections opened at once, then idle | A | B | B/A (median of rounds) |\n|---|---:|---:|---:|")
print(f"| resident memory per connection, KiB | {ia / 1024:.2f} | {ib / 1024:.2f} | {ir:.2f} |")
ha, hb, hr, n = median_and_pairs("idle-10000", "handshakes_per_s")
print(f"| handshakes per second | {ha:,.0f} | {hb:,.0f} | {hr:.2f} |")
PY
echo "Runs in $results" >&2
