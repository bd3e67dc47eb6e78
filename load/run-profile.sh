#!/usr/bin/env bash
# Where each server's CPU goes per message, side by side in one run: for every server of SERVERS, a fresh
# server pinned to CPU 0 echoes 32-byte messages for 100 clients (the load tool pinned to CPU 1; SIZE and CLIENTS
# change them) and, inside
# the load tool's measurement window, `perf stat` counts the server's system calls by kind and `perf record`
# samples where its CPU time goes (user code by library, kernel). Prints, per server, echoes per second,
# server CPU per echo split into user and kernel time (utime and stime of /proc/pid/stat over the window),
# system calls per echo, and the top of the profile by library.
#
#   load/run-profile.sh
#   SERVERS="WsFast Bun" ROUNDS=3 load/run-profile.sh
#   BEFORE_DLL=/path/to/old/WsFast.Server.dll SERVERS="WsFastBefore WsFast Bun" load/run-profile.sh
#   SIZE=65536 CLIENTS=10 load/run-profile.sh          # the 64 KiB binary echo
#
# Environment: SERVERS (default "WsFast WsFastRuntime Bun"; the names of load/peers/servers.sh, plus
# WsFastBefore: the executable BEFORE_DLL, another build of WsFast, on port 18085), ROUNDS (default 1; the
# rounds are interleaved and each is printed), CLIENTS (100), SIZE (32; binary messages above 125 bytes, text up
# to it), RESULTS (load/results/profile-<timestamp>).
# Needs perf (Debian: linux-perf) and root, or perf_event_paranoid at most 1, for the tracepoints.
set -euo pipefail

cd "$(dirname "$0")/.."
rounds="${ROUNDS:-1}"
clients="${CLIENTS:-100}"
size="${SIZE:-32}"
kind=()
if (( size > 125 )); then kind=(--binary); fi
results="${RESULTS:-load/results/profile-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$results"

source load/server-control.sh
source load/peers/servers.sh
SERVERS="${SERVERS:-WsFast WsFastRuntime Bun}"
wanted="${SERVERS//,/ }"
profile_servers=()
for name in $wanted; do
  if [[ "$name" == WsFastBefore ]]; then
    [[ -f "${BEFORE_DLL:-}" ]] || { echo "WsFastBefore needs BEFORE_DLL, a built WsFast.Server.dll" >&2; exit 2; }
  fi
  profile_servers+=("$name")
done
others="$(printf '%s\n' "${profile_servers[@]}" | grep -vx WsFastBefore | tr '\n' ' ' || true)"
servers=()
if [[ -n "${others// /}" ]]; then SERVERS="$others" choose_servers; fi
build_servers
command -v perf >/dev/null || { echo "perf is missing (Debian: apt-get install linux-perf)" >&2; exit 2; }

# The system calls counted: what an event-loop server makes per message, and what a runtime's workers make
# when they spin or park. Anything else shows in the total (raw_syscalls:sys_enter).
syscalls=(recvfrom sendto sendmsg recvmsg read write readv writev epoll_wait epoll_pwait epoll_pwait2 epoll_ctl sched_yield futex io_uring_enter)
events="raw_syscalls:sys_enter"
for call in "${syscalls[@]}"; do
  if perf list "syscalls:sys_enter_$call" 2>/dev/null | grep -q Tracepoint; then events+=",syscalls:sys_enter_$call"; fi
done

# The window: 1 s ramp-up and 2 s settle, then 8 s measured; perf watches 6 s inside it.
ramp=1 settle=2 duration=8 watch=6

start_profiled() {
  local name="$1" log="$2"
  if [[ "$name" == WsFastBefore ]]; then
    taskset -c 0 dotnet "$BEFORE_DLL" --host 127.0.0.1 --port 18085 --ping-interval 0 --max-connections 50000 \
      --log-level Warning >"$log" 2>&1 &
    server_pid=$!
    wait_for_healthz 18085
  else
    start_server "$name" "$log"
  fi
}

port_for() { if [[ "$1" == WsFastBefore ]]; then echo 18085; else port_of "$1"; fi; }

# The .NET servers write /tmp/perf-PID.map so that perf can name their JIT-compiled methods.
export DOTNET_PerfMapEnabled=1

for round in $(seq "$rounds"); do
  for name in "${profile_servers[@]}"; do
    dir="$results/$name/round-$round"
    mkdir -p "$dir"
    start_profiled "$name" "$dir/server.log"
    taskset -c 1 dotnet "$load_dll" ws-echo --url "ws://127.0.0.1:$(port_for "$name")/echo" --clients "$clients" \
      --duration "$duration" --ramp-up "$ramp" --settle "$settle" --size "$size" "${kind[@]}" --server-pid "$server_pid" \
      --out "$dir" >/dev/null 2>"$dir/progress.log" &
    tool_pid=$!
    sleep $((ramp + settle + 1))
    perf stat -x, -e "$events" -p "$server_pid" -o "$dir/syscalls.csv" -- sleep "$watch" 2>/dev/null &
    stat_pid=$!
    perf record -q -F 999 -p "$server_pid" -o "$dir/perf.data" -- sleep "$watch" >/dev/null 2>&1 || true
    wait "$stat_pid" || true
    wait "$tool_pid" || echo "$name round $round: the load tool reported errors" >&2
    stop_server
    perf report -i "$dir/perf.data" --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8 >"$dir/dso.txt" || true
    rm -f "$dir/perf.data"
  done
done

# The summary: the load tool's report.csv gives the rate and the CPU split; perf stat's counts over `watch`
# seconds divided by rate × watch give system calls per echo.
# report.csv quotes fields that hold commas (the settings column), so it is read with a CSV parser.
column() { python3 -c 'import csv, sys; print(next(csv.DictReader(open(sys.argv[1])))[sys.argv[2]])' "$1" "$2"; }
{
  echo "# Server CPU and system calls per echo ($clients clients, $size B; server on CPU 0, load tool on CPU 1)"
  echo
  echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ)"
  for name in "${profile_servers[@]}"; do
    if [[ "$name" == WsFastBefore ]]; then echo "WsFastBefore: $BEFORE_DLL"; else describe_server "$name"; fi
  done
  echo
  printf '| server | round | echoes/s | CPU µs/echo | user µs | kernel µs | syscalls/echo | '
  printf '%s | ' "${syscalls[@]}"
  echo 'other |'
  printf '|---|---:|---:|---:|---:|---:|---:|'; printf -- '---:|%.0s' "${syscalls[@]}"; echo '---:|'
  for round in $(seq "$rounds"); do
    for name in "${profile_servers[@]}"; do
      dir="$results/$name/round-$round"
      rate="$(column "$dir/report.csv" rate_per_s)"
      echoes="$(awk -v r="$rate" -v w="$watch" 'BEGIN { print r * w }')"
      per() { awk -F, -v e="$echoes" -v ev="$1" '$3 == ev && $1 ~ /^[0-9]+$/ { printf "%.2f", $1 / e; found = 1 } END { if (!found) printf "n/a" }' "$dir/syscalls.csv"; }
      printf '| %s | %s | %.0f | %s | %s | %s | %s | ' "$name" "$round" "$rate" \
        "$(column "$dir/report.csv" server_cpu_us_per_msg)" "$(column "$dir/report.csv" server_cpu_user_us_per_msg)" \
        "$(column "$dir/report.csv" server_cpu_kernel_us_per_msg)" "$(per raw_syscalls:sys_enter)"
      for call in "${syscalls[@]}"; do printf '%s | ' "$(per "syscalls:sys_enter_$call")"; done
      # Calls of kinds not listed: the total less the listed ones.
      awk -F, -v e="$echoes" '$1 ~ /^[0-9]+$/ { if ($3 == "raw_syscalls:sys_enter") all = $1; else listed += $1 }
        END { x = (all - listed) / e; if (x < 0.005) x = 0; printf "%.2f |\n", x }' "$dir/syscalls.csv"
    done
  done
  echo
  echo "Where the CPU went (perf record, $watch s, by library; kernel = [kernel.kallsyms]):"
  for name in "${profile_servers[@]}"; do
    echo
    echo "$name (round 1):"
    echo '```'
    cat "$results/$name/round-1/dso.txt"
    echo '```'
  done
} | tee "$results/profile.md"
