#!/usr/bin/env bash
# Two builds or settings of the load tool side by side in one run, against one server build: for a change to
# the tool itself (its histogram, its receive threads). Each case runs against A then B (B then A in even
# rounds, so drift falls on both), ROUNDS times (default 5), every server fresh and pinned to SERVER_CPUS.
# Prints each case's median rate, the tool's CPU per message and its share of its CPUs, the server's CPU, the
# tool's peak resident memory, and B/A as the median of the rounds' own ratios.
#
#   load/run-tool-ab.sh A/WsFast.Load.dll B/WsFast.Load.dll
#   A_ENV=DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT=1 B_CPUS=0-1 load/run-tool-ab.sh X/WsFast.Load.dll X/WsFast.Load.dll
#
# On a shared machine other processes' CPU falls on either side at random: before each run the script waits (up
# to QUIET_WAIT seconds, default 300) until the machine was less than QUIET_BUSY percent busy (default 15) for a
# second, and it records what CPU other processes took during each run (others_pct, in % of all CPUs).
#
# Environment: ROUNDS (5), CASES ("echo-100 echo-1000 broadcast-1000"), A_CPUS and B_CPUS (taskset lists for
# the tool, default 1), A_ENV and B_ENV (space-separated VAR=value for the tool), SERVER_CPUS (0), SERVER_DLL
# (this tree's Release build), PORT (18400), QUIET_BUSY, QUIET_WAIT, RESULTS (load/results/<timestamp>-tool-ab).
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ $# -ne 2 ]]; then
  echo "usage: load/run-tool-ab.sh A/WsFast.Load.dll B/WsFast.Load.dll" >&2
  exit 2
fi
a_dll="$1"; b_dll="$2"
rounds="${ROUNDS:-5}"
cases="${CASES:-echo-100 echo-1000 broadcast-1000}"
port="${PORT:-18400}"
server_cpus="${SERVER_CPUS:-0}"
results="${RESULTS:-load/results/$(date -u +%Y%m%d-%H%M%S)-tool-ab}"
mkdir -p "$results"
ulimit -n "$(ulimit -Hn)"
if [[ -z "${SERVER_DLL:-}" ]]; then
  dotnet build -c Release -nologo -v q src/WsFast.Server >/dev/null
  SERVER_DLL=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
fi

source load/server-control.sh

start_server() {
  taskset -c "$server_cpus" dotnet "$SERVER_DLL" --host 127.0.0.1 --port "$port" --ping-interval 0 --max-connections 50000 \
    --log-level Warning >"$1" 2>&1 &
  server_pid=$!
  wait_for_healthz "$port" || { echo "the server did not start; see $1" >&2; exit 1; }
}

# cpu_ticks: "busy total" jiffies of the whole machine, from /proc/stat.
cpu_ticks() {
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat
}

# process_ticks PID: utime + stime of a process, in jiffies (0 once it is gone).
process_ticks() {
  awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# wait_for_quiet: until the machine was under QUIET_BUSY% busy for a second, at most QUIET_WAIT seconds.
wait_for_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-300})) b0 t0 b1 t1
  while (( SECONDS < deadline )); do
    read -r b0 t0 < <(cpu_ticks); sleep 1; read -r b1 t1 < <(cpu_ticks)
    (( 100 * (b1 - b0) < ${QUIET_BUSY:-15} * (t1 - t0) )) && return 0
  done
  echo "the machine stayed busy for ${QUIET_WAIT:-300} s; running anyway" >&2
}

# run CASE SIDE ROUND: one case with one side's tool against a fresh server.
run() {
  local case="$1" side="$2" round="$3" dll cpus env_list
  if [[ "$side" == A ]]; then dll="$a_dll"; cpus="${A_CPUS:-1}"; env_list="${A_ENV:-}"; else dll="$b_dll"; cpus="${B_CPUS:-1}"; env_list="${B_ENV:-}"; fi
  local dir="$results/$case-$side/$round"
  mkdir -p "$dir"
  local args
  case "$case" in
    echo-100) args=(ws-echo --url "ws://127.0.0.1:$port/echo" --clients 100 --duration 8 --settle 2 --size 32) ;;
    echo-1000) args=(ws-echo --url "ws://127.0.0.1:$port/echo" --clients 1000 --duration 8 --ramp-up 2 --settle 2 --size 32) ;;
    broadcast-1000) args=(ws-broadcast --url "http://127.0.0.1:$port" --clients 1000 --duration 8 --ramp-up 2 --settle 2 --rate 1000 --size 64) ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
  esac
  wait_for_quiet
  start_server "$dir/server.log"
  local b0 t0 b1 t1 s0 s1
  read -r b0 t0 < <(cpu_ticks); s0=$(process_ticks "$server_pid")
  # shellcheck disable=SC2086 # the side's environment is a word list on purpose
  env $env_list /usr/bin/time -f "%M %U %S" -o "$dir/tool-time" taskset -c "$cpus" dotnet "$dll" "${args[@]}" \
    --server-pid "$server_pid" --out "$dir" >/dev/null 2>"$dir/progress.log" \
    || echo "$case $side round $round: the load tool reported errors" >&2
  read -r b1 t1 < <(cpu_ticks); s1=$(process_ticks "$server_pid")
  stop_server
  # Other processes' share of all CPUs while the tool ran: the machine's busy time less the tool's and the server's.
  local hz; hz=$(getconf CLK_TCK)
  read -r _ tool_user tool_sys < <(tail -n 1 "$dir/tool-time")
  awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v u="$tool_user" -v y="$tool_sys" -v hz="$hz" \
    'BEGIN { o = (b - s - (u + y) * hz) / t * 100; printf "%.1f\n", (o < 0 ? 0 : o) }' >"$dir/others-pct"
}

for round in $(seq "$rounds"); do
  order="A B"; (( round % 2 == 0 )) && order="B A"
  for case in $cases; do
    for side in $order; do
      run "$case" "$side" "$round"
    done
  done
done

python3 - "$results" "$a_dll" "$b_dll" "$cases" <<'PY'
import csv, pathlib, statistics, sys, os
results, a, b, cases = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()

def rounds(name):
    """Each round's report row (with the tool's peak RSS), by round number."""
    rows = {}
    for p in pathlib.Path(results, name).glob("*/report.csv"):
        row = next(csv.DictReader(open(p)))
        time = p.parent / "tool-time"
        row["tool_max_rss_kib"] = time.read_text().strip().splitlines()[-1].split()[0] if time.exists() else ""
        others = p.parent / "others-pct"
        row["others_pct"] = others.read_text().strip() if others.exists() else ""
        rows[p.parent.name] = row
    return rows

def figure(case, field):
    ra, rb = rounds(f"{case}-A"), rounds(f"{case}-B")
    va = [float(r[field]) for r in ra.values() if r.get(field)]
    vb = [float(r[field]) for r in rb.values() if r.get(field)]
    pairs = [float(rb[k][field]) / float(ra[k][field]) for k in ra if k in rb and ra[k].get(field) and rb[k].get(field) and float(ra[k][field]) > 0]
    med = lambda v: statistics.median(v) if v else float("nan")
    return med(va), med(vb), med(pairs), len(pairs)

print(f"A: {a} {os.environ.get('A_ENV', '')} on CPUs {os.environ.get('A_CPUS', '1')}")
print(f"B: {b} {os.environ.get('B_ENV', '')} on CPUs {os.environ.get('B_CPUS', '1')}")
print(f"server on CPUs {os.environ.get('SERVER_CPUS', '0')}; medians of rounds, B/A the median of each round's own ratio\n")
print("| case | figure | A | B | B/A | rounds |")
print("|---|---|---:|---:|---:|---:|")
for case in cases:
    rate = "delivered_per_s" if case.startswith("broadcast") else "rate_per_s"
    for label, field, fmt in ((f"messages/s", rate, "{:,.0f}"), ("tool CPU µs/msg", "load_cpu_us_per_msg", "{:.3f}"),
                              ("tool CPU % of one core", "load_cpu_pct", "{:.1f}"), ("server CPU % of one core", "server_cpu_pct", "{:.1f}"),
                              ("p50 µs", "p50_us", "{:,.0f}"), ("p99 µs", "p99_us", "{:,.0f}"), ("tool peak RSS KiB", "tool_max_rss_kib", "{:,.0f}"),
                              ("other processes, % of all CPUs", "others_pct", "{:.1f}")):
        va, vb, r, n = figure(case, field)
        print(f"| {case} | {label} | {fmt.format(va)} | {fmt.format(vb)} | {r:.3f} | {n} |")
PY
echo "Runs in $results" >&2
