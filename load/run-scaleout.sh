#!/usr/bin/env bash
# Scale-out on Redis (issue 13): one topic's WebSocket subscribers on one WsFast node against the same number per
# node on three nodes sharing one redis-server, the publisher POSTing to node 1 at a fixed rate, in one run:
#
#   single   one node, the in-memory broker (no flags: WsFast as it runs alone), SUBSCRIBERS subscribers
#   redis-1  one node on Redis (--broker redis), SUBSCRIBERS subscribers: the Redis hop without other nodes
#   redis-3  three nodes on Redis, SUBSCRIBERS subscribers each (client i on node i mod 3); nodes 2 and 3 are
#            reached across Redis only
#
# Every case runs ROUNDS times, the rounds interleaved (round 1 runs every case, then round 2...), with fresh
# WsFast servers (and a fresh topic) each time and one redis-server for the whole run. As in run-ab.sh and
# run-compare.sh, every server process (the WsFast nodes and redis-server) is pinned to CPU 0 and the load tool to
# CPU 1, so that three nodes get the one core that one node gets: the comparison is the cost of the same
# deliveries spread over nodes, not more hardware. Writes the report to load/reports/scaleout-<date>.md: deliveries
# per second, every subscriber's losses and order, latency (publish to receipt) p50/p99 per node against the single
# node, CPU per delivery of each server process and of redis-server, and the ratios; the runs' own reports stay in
# RESULTS (report.md, report.csv and nodes.csv per case and round).
#
#   load/run-scaleout.sh
#   ROUNDS=1 SUBSCRIBERS=20 DURATION=5 CASES="single redis-3" load/run-scaleout.sh   # a smoke test
#   REPORT_FROM=load/results/scaleout-<timestamp> load/run-scaleout.sh                  # the report again, no runs
#
# Environment: ROUNDS (3), SUBSCRIBERS (per node, 1000), RATE (messages/s published, 10), SIZE (payload bytes,
# 64), DURATION (window seconds, 10), CASES (default "single redis-1 redis-3"), RESULTS (default
# load/results/scaleout-<timestamp>), REPORT (default load/reports/scaleout-<date>.md), REPORT_FROM (a run's folder:
# write its report again and run nothing).
#
# RATE 10: three nodes of 1,000 subscribers make 30,000 deliveries a second. In the run of 2026-12-02 the three nodes
# took 35% of CPU 0 (12 µs per delivery, the kernel's sends included) and the load tool 37% of CPU 1: every node
# delivers everything, with room for the bursts. 100 messages/s would be 300,000 deliveries a second, about 3.6
# cores of WsFast alone at that cost.
set -euo pipefail

cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
per_node="${SUBSCRIBERS:-1000}"
rate="${RATE:-10}"
size="${SIZE:-64}"
duration="${DURATION:-10}"
cases="${CASES:-single redis-1 redis-3}"
stamp="$(date -u +%Y%m%d-%H%M%S)"
results="${RESULTS:-load/results/scaleout-$stamp}"
report="${REPORT:-load/reports/scaleout-$(date -u +%Y-%m-%d).md}"
command_line="$(printf '%q ' env ROUNDS="$rounds" SUBSCRIBERS="$per_node" RATE="$rate" SIZE="$size" DURATION="$duration" CASES="$cases" load/run-scaleout.sh)"
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ && "$per_node" =~ ^[1-9][0-9]*$ ]]; then
  echo "ROUNDS and SUBSCRIBERS must be whole numbers from 1" >&2
  exit 2
fi

server_dll=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

# The load tool's clients come from one loopback address: WsFast's per-address and per-client limits are off, as
# for every measurement (load/server-control.sh).
export WSFAST_MAX_CONNECTIONS_PER_ADDRESS=0 WSFAST_HANDSHAKES_PER_SECOND=0 WSFAST_MESSAGES_PER_SECOND=0 WSFAST_BYTES_PER_SECOND=0

# Every process this script starts, by PID: stopped at the end, on failure and on interruption too.
redis_pid=""
node_pids=()
stop_nodes() {
  local pid
  for pid in "${node_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  node_pids=()
}
stop_all() {
  stop_nodes
  if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid"
    wait "$redis_pid" 2>/dev/null || true
  fi
  redis_pid=""
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# A TCP port free on loopback now (the kernel's choice).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS COMMAND...: true once COMMAND succeeds, false after SECONDS.
wait_until() {
  local tries=$(( $1 * 10 )); shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_node PORT LOG [FLAGS...]: a WsFast server on CPU 0, its PID appended to node_pids.
start_node() {
  local port="$1" log="$2"; shift 2
  taskset -c 0 dotnet "$server_dll" --host 127.0.0.1 --port "$port" --ping-interval 0 --max-connections 50000 \
    --log-level Warning "$@" >"$log" 2>&1 &
  node_pids+=($!)
  wait_until 10 curl -fs "http://127.0.0.1:$port/healthz" || { echo "the server on port $port did not start; see $log" >&2; exit 1; }
}

# write_report RESULTS: the report from a run's folder (its run.json and each case's nodes.csv and report.csv).
write_report() {
  python3 - "$1" "$report" <<'PY'
import csv, json, pathlib, statistics, sys

results, report = sys.argv[1:]
root = pathlib.Path(results)
run = json.load(open(root / "run.json"))

def runs(case):
    """Each round's nodes.csv rows of the case, by round, each a dict keyed by the node column."""
    out = {}
    for path in sorted(root.glob(f"{case}/round-*/nodes.csv")):
        out[path.parent.name] = {row["node"]: row for row in csv.DictReader(open(path))}
        # The run's own row (report.csv) as "run": the load tool's CPU, to show it was not the bound.
        out[path.parent.name]["run"] = next(csv.DictReader(open(path.parent / "report.csv")))
    return out

cases = {name: runs(name) for name in ("single", "redis-1", "redis-3") if (root / name).exists()}

def num(row, field):
    value = row.get(field, "") if row else ""
    return float(value) if value not in ("", None) else None

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None

def figure(case, node, field):
    """The median over rounds of one node's (or 'all', 'broker') field."""
    return median(num(r.get(node), field) for r in cases.get(case, {}).values())

def total(case, node, field):
    return sum(num(r.get(node), field) or 0 for r in cases.get(case, {}).values())

def ratio(case, node, field, base_case="single", base_node="1"):
    """The median of each round's own ratio to the base (the cases of a round ran minutes apart at most)."""
    pairs = []
    for round_name, rows in cases.get(case, {}).items():
        base = cases.get(base_case, {}).get(round_name)
        a, b = num(rows.get(node), field), num(base.get(base_node) if base else None, field)
        if a is not None and b:
            pairs.append(a / b)
    return median(pairs)

def f(value, fmt="{:,.0f}"):
    return "n/a" if value is None else fmt.format(value)

lines = []
w = lines.append
w(f"# Scale-out on Redis: one node against three ({run['started_utc']} UTC)")
w("")
w("WebSocket subscribers of one topic (`/broadcast/{topic}`), the load tool publishing `POST /publish/{topic}` to")
w(f"node 1 at {run['rate']} messages/s of {run['size']} B, {run['subscribers_per_node']} subscribers per node; window {run['duration']} s after a 2 s")
w(f"ramp-up and 2 s settle; {run['rounds']} interleaved round(s), fresh WsFast servers (and topic) every run, one `redis-server`")
w(f"for the whole run ({run['elapsed_s']} s). Every server process (the WsFast nodes and redis-server) pinned to CPU 0, the")
w("load tool to CPU 1: three nodes share the one core that one node has. Latency is publish (the tool's clock just")
w("before it sends the POST) to receipt by a subscriber, both in the load tool. Figures are medians of the rounds;")
w("ratios are the medians of each round's own ratios.")
w("")
w("- single: one node, in-memory broker (no broker flags); redis-1: one node with `--broker redis`; redis-3: three")
w("  nodes with `--broker redis`, client i on node i mod 3, so nodes 2 and 3 receive only across Redis.")
w(f"- machine: {run['model']}, `nproc` {run['nproc']}, kernel {run['kernel']}, .NET {run['dotnet']}, {run['redis']}; load average")
w(f"  (1, 5, 15 min) {run['load_average_start']} at the start, {run['load_average_end']} at the end")
w(f"- commit: `{run['commit']}`; runs in `{results}`")
w(f"- command: `{run['command']}`")
w("")
w("## Every subscriber got every message, in order")
w("")
w("Summed over the rounds: sequence gaps (lost), messages at or below one already received (out of order or")
w("duplicated), subscribers that received nothing in the window (silent), and deliveries against published ×")
w("subscribers (median; about 1.000 when every node keeps up, the messages in flight at the window's edges aside).")
w("")
w("Published and missed slots are the publisher's, summed over the rounds: it sends one POST at a time and skips a")
w("slot that is over 100 ms late (a slow answer), so a missed slot is a message never published, not one lost.")
w("")
w("| case | node | subscribers | deliveries/s | of published × subscribers | lost | out of order | silent | published (missed slots) | load tool CPU (% of its core) |")
w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for case, rows in cases.items():
    nodes = sorted({n for r in rows.values() for n in r if n.isdigit()}, key=int)
    for node in nodes + (["all"] if len(nodes) > 1 else []):
        last = node == (nodes[-1] if len(nodes) == 1 else "all")
        tool = f(figure(case, "run", "load_cpu_pct"), "{:.1f}") if last else ""
        published = f"{total(case, 'run', 'published'):,.0f} ({total(case, 'run', 'missed_slots'):,.0f})" if last else ""
        w(f"| {case} | {node} | {f(figure(case, node, 'subscribers'))} | {f(figure(case, node, 'delivered_per_s'))} | "
          f"{f(figure(case, node, 'delivered_share'), '{:.3f}')} | {total(case, node, 'lost'):,.0f} | "
          f"{total(case, node, 'out_of_order'):,.0f} | {total(case, node, 'silent'):,.0f} | {published} | {tool} |")
w("")
w("## Latency, publish to receipt")
w("")
w("| case | node | p50 (µs) | p99 (µs) | p50 / single | p99 / single |")
w("|---|---|---:|---:|---:|---:|")
for case, rows in cases.items():
    nodes = sorted({n for r in rows.values() for n in r if n.isdigit()}, key=int)
    for node in nodes + (["all"] if len(nodes) > 1 else []):
        label = node + (" (publisher's node)" if case == "redis-3" and node == "1" else " (cross-node)" if case == "redis-3" and node in ("2", "3") else "")
        w(f"| {case} | {label} | {f(figure(case, node, 'p50_us'), '{:,.1f}')} | {f(figure(case, node, 'p99_us'), '{:,.1f}')} | "
          f"{f(ratio(case, node, 'p50_us'), '{:.2f}')} | {f(ratio(case, node, 'p99_us'), '{:.2f}')} |")
w("")
w("Each round's p50 / p99 in ms, to show the spread the medians hide:")
w("")
round_names = sorted({name for rows in cases.values() for name in rows})
w("| case | node | " + " | ".join(round_names) + " |")
w("|---|---|" + "---:|" * len(round_names))
for case, rows in cases.items():
    nodes = sorted({n for r in rows.values() for n in r if n.isdigit()}, key=int)
    for node in nodes:
        cells = []
        for name in round_names:
            row = rows.get(name, {}).get(node)
            cells.append(f"{f(num(row, 'p50_us') / 1000 if num(row, 'p50_us') is not None else None, '{:.1f}')} / "
                         f"{f(num(row, 'p99_us') / 1000 if num(row, 'p99_us') is not None else None, '{:.1f}')}")
        w(f"| {case} | {node} | " + " | ".join(cells) + " |")
w("")
w("## CPU per delivery")
w("")
w("Each process's user + system CPU time in the window (/proc/<pid>/stat), per delivery: a node's per delivery to")
w("its own subscribers; all WsFast nodes together, redis-server, and both, per delivery to every subscriber.")
w("")
w("| case | process | CPU (% of one core) | CPU per delivery (µs) | per delivery / single |")
w("|---|---|---:|---:|---:|")
for case, rows in cases.items():
    nodes = sorted({n for r in rows.values() for n in r if n.isdigit()}, key=int)
    for node in nodes:
        w(f"| {case} | WsFast node {node} | {f(figure(case, node, 'cpu_pct'), '{:.1f}')} | {f(figure(case, node, 'cpu_us_per_delivery'), '{:.2f}')} | "
          f"{f(ratio(case, node, 'cpu_us_per_delivery'), '{:.2f}')} |")
    w(f"| {case} | every WsFast node | {f(figure(case, 'all', 'cpu_pct'), '{:.1f}')} | {f(figure(case, 'all', 'cpu_us_per_delivery'), '{:.2f}')} | "
      f"{f(ratio(case, 'all', 'cpu_us_per_delivery', base_node='all'), '{:.2f}')} |")
    if any("broker" in r for r in rows.values()):
        w(f"| {case} | redis-server | {f(figure(case, 'broker', 'cpu_pct'), '{:.1f}')} | {f(figure(case, 'broker', 'cpu_us_per_delivery'), '{:.2f}')} | |")
        both = []
        for round_name, r in rows.items():
            a, b = num(r.get("all"), "cpu_us_per_delivery"), num(r.get("broker"), "cpu_us_per_delivery")
            base = num(cases.get("single", {}).get(round_name, {}).get("all"), "cpu_us_per_delivery")
            if a is not None and b is not None:
                both.append((a + b, (a + b) / base if base else None))
        w(f"| {case} | WsFast nodes + redis-server | | {f(median(x for x, _ in both), '{:.2f}')} | {f(median(y for _, y in both), '{:.2f}')} |")
w("")
pathlib.Path(report).write_text("\n".join(lines))
print("\n".join(lines))
PY
  echo "Report in $report; runs in $1" >&2
}

mkdir -p "$(dirname "$report")"
if [[ -n "${REPORT_FROM:-}" ]]; then
  write_report "$REPORT_FROM"
  exit 0
fi

mkdir -p "$results"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "Building Release..." >&2
dotnet build -c Release -nologo -v q src/WsFast.Server >/dev/null
dotnet build -c Release -nologo -v q load/WsFast.Load >/dev/null

redis_port="$(free_port)"
taskset -c 0 redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >"$results/redis.log" 2>&1 &
redis_pid=$!
wait_until 10 redis-cli -p "$redis_port" ping || { echo "redis-server did not start; see $results/redis.log" >&2; exit 1; }
redis=(--broker redis --redis "127.0.0.1:$redis_port")

# run_case NAME ROUND: the case's servers, fresh, then one ws-broadcast run against them, then the servers stopped.
run_case() {
  local name="$1" round="$2" dir="$results/$1/round-$2" nodes=1 flags=() urls=() port broker=()
  mkdir -p "$dir"
  case "$name" in
    single) ;;
    redis-1) flags=("${redis[@]}"); broker=(--broker-pid "$redis_pid") ;;
    redis-3) flags=("${redis[@]}"); broker=(--broker-pid "$redis_pid"); nodes=3 ;;
    *) echo "unknown case '$name' in CASES: choose from single redis-1 redis-3" >&2; exit 2 ;;
  esac
  for i in $(seq "$nodes"); do
    port="$(free_port)"
    start_node "$port" "$dir/node-$i.log" "${flags[@]}"
    urls+=("http://127.0.0.1:$port")
  done
  local list
  list="$(IFS=,; echo "${urls[*]}")"
  echo "round $round/$rounds: $name, $nodes node(s) × $per_node subscribers, $rate messages/s of $size B" >&2
  taskset -c 1 dotnet "$load_dll" ws-broadcast --url "${urls[0]}" --subscribe-urls "$list" "${broker[@]}" \
    --server-pid "${node_pids[0]}" --clients $(( nodes * per_node )) --duration "$duration" --ramp-up 2 --settle 2 \
    --rate "$rate" --size "$size" --out "$dir" >/dev/null 2>"$dir/progress.log" \
    || echo "$name round $round: the load tool reported errors (see $dir/report.md)" >&2
  stop_nodes
}

# run_facts ELAPSED LOAD_AT_END: the run's settings, machine and commit as $results/run.json (read by the report).
run_facts() {
  python3 - "$results/run.json" "$started" "$command_line" "$per_node" "$rate" "$size" "$duration" "$rounds" "$load_at_start" "$1" "$2" <<'PY'
import json, platform, subprocess, sys
path, started, command, per_node, rate, size, duration, rounds, load_start, elapsed, load_end = sys.argv[1:]
def shell(line):
    return subprocess.run(line, shell=True, capture_output=True, text=True).stdout.strip()
json.dump({
    "started_utc": started, "command": command.strip(),
    "subscribers_per_node": per_node, "rate": rate, "size": size, "duration": duration, "rounds": rounds,
    "elapsed_s": elapsed, "load_average_start": load_start, "load_average_end": load_end,
    "model": shell("lscpu | sed -n 's/^Model name: *//p' | head -1"), "nproc": shell("nproc"), "kernel": platform.release(),
    "dotnet": shell("dotnet --version"), "redis": shell("redis-server --version | sed 's/ sha=.*//'"),
    "commit": shell("git rev-parse --short HEAD"),
}, open(path, "w"), indent=1)
PY
}

started="$(date -u '+%Y-%m-%d %H:%M')"
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
began=$SECONDS
for round in $(seq "$rounds"); do
  for name in $cases; do
    run_case "$name" "$round"
  done
done
stop_all
run_facts $(( SECONDS - began )) "$(cut -d' ' -f1-3 /proc/loadavg)"

write_report "$results"
