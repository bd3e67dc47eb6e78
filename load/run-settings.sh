#!/usr/bin/env bash
# Runtime settings for the WsFast executable, side by side in one run: every VARIANT (a build and the
# environment its server runs with) on the same cases, each server fresh and pinned to CPU 0, the load tool
# pinned to CPU 1, the variants interleaved within each of ROUNDS rounds. Prints, per case, each variant's median
# server CPU per message and its ratio to the first variant (the median of the rounds' own ratios), then memory
# per idle connection and handshakes per second. Used to choose TieredCompilation, TieredPGO, ReadyToRun and GC
# settings (see load/RESULTS.md).
#
#   load/run-settings.sh
#   VARIANTS="jit|src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll| pgo-off|src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll|DOTNET_TieredPGO=0" load/run-settings.sh
#
# Environment: VARIANTS (space-separated name|dll|VAR=value,VAR=value; default: the Release build with the
# executable's settings, with TieredPGO off, with TieredCompilation off, and a ReadyToRun publish (made here)
# with the executable's settings and with TieredCompilation off, and server GC), ROUNDS (2), PORT (18100), RESULTS
# (load/results/<timestamp>-settings). About a minute per variant and round.
set -euo pipefail

cd "$(dirname "$0")/.."
rounds="${ROUNDS:-2}"
port="${PORT:-18100}"
results="${RESULTS:-load/results/$(date -u +%Y%m%d-%H%M%S)-settings}"
mkdir -p "$results"
ulimit -n "$(ulimit -Hn)"
dotnet build -c Release -nologo -v q load/WsFast.Load >/dev/null
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll

if [[ -z "${VARIANTS:-}" ]]; then
  dotnet build -c Release -nologo -v q src/WsFast.Server >/dev/null
  jit=src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll
  r2r="$results/readytorun"
  dotnet publish src/WsFast.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -nologo -v q -o "$r2r" >/dev/null
  VARIANTS="jit|$jit| pgo-off|$jit|DOTNET_TieredPGO=0 tc-off|$jit|DOTNET_TieredCompilation=0"
  VARIANTS+=" r2r|$r2r/WsFast.Server.dll| r2r-tc-off|$r2r/WsFast.Server.dll|DOTNET_TieredCompilation=0"
  VARIANTS+=" gc-server|$jit|DOTNET_gcServer=1"
fi
read -r -a variants <<<"$VARIANTS"

source load/server-control.sh

start_variant() {
  local dll="$1" log="$2" env_list="$3"
  local assignments=()
  if [[ -n "$env_list" ]]; then IFS=, read -r -a assignments <<<"$env_list"; fi
  env "${assignments[@]}" taskset -c 0 dotnet "$dll" --host 127.0.0.1 --port "$port" --ping-interval 0 \
    --max-connections 50000 --log-level Warning >"$log" 2>&1 &
  server_pid=$!
  wait_for_healthz "$port" || { echo "the server $dll did not start; see $log" >&2; exit 1; }
}

# run VARIANT ROUND CASE COMMAND ARGS...
run() {
  local variant="$1" round="$2" case="$3"; shift 3
  local name dll env_list
  IFS='|' read -r name dll env_list <<<"$variant"
  local dir="$results/$case/$name/$round"
  mkdir -p "$dir"
  echo "round $round/$rounds, $name: $case" >&2
  start_variant "$dll" "$dir/server.log" "$env_list"
  taskset -c 1 dotnet "$load_dll" "$@" --server-pid "$server_pid" --out "$dir" >/dev/null 2>"$dir/progress.log" \
    || echo "$name $case round $round: the load tool reported errors" >&2
  stop_server
}

url="ws://127.0.0.1:$port/echo"
for round in $(seq "$rounds"); do
  for variant in "${variants[@]}"; do
    run "$variant" "$round" echo-100 ws-echo --url "$url" --clients 100 --duration 5 --ramp-up 1 --settle 1 --size 32
    run "$variant" "$round" echo-1000 ws-echo --url "$url" --clients 1000 --duration 5 --ramp-up 2 --settle 1 --size 32
    run "$variant" "$round" echo-10-64k ws-echo --url "$url" --clients 10 --duration 5 --ramp-up 0.5 --settle 1 --size 65536 --binary
    run "$variant" "$round" broadcast-10-per-s ws-broadcast --url "http://127.0.0.1:$port" --clients 1000 --duration 6 --ramp-up 2 --settle 2 --rate 10 --size 64
    run "$variant" "$round" broadcast-saturated ws-broadcast --url "http://127.0.0.1:$port" --clients 1000 --duration 6 --ramp-up 2 --settle 2 --rate 1000 --size 32
    run "$variant" "$round" idle-10000 ws-idle --url "$url" --clients 10000 --duration 1 --ramp-up 0 --settle 3 --source-addresses 50
  done
done

python3 - "$results" "${variants[@]}" <<'PY' | tee "$results/settings.md"
import csv, pathlib, statistics, sys
results, variants = sys.argv[1], [v.split("|") for v in sys.argv[2:]]
names = [v[0] for v in variants]

def rows(case, name):
    return {p.parent.name: next(csv.DictReader(open(p))) for p in pathlib.Path(results, case, name).glob("*/report.csv")}

def summary(case, field):
    """Each variant's median, and the median of its per-round ratios to the first variant."""
    base = rows(case, names[0])
    out = []
    for name in names:
        mine = rows(case, name)
        values = [float(r[field]) for r in mine.values() if r[field]]
        ratios = [float(mine[k][field]) / float(base[k][field]) for k in mine
                  if k in base and mine[k][field] and base[k][field] and float(base[k][field]) > 0]
        out.append((statistics.median(values) if values else float("nan"), statistics.median(ratios) if ratios else float("nan")))
    return out

print("Variants: " + "; ".join(f"{v[0]} = {v[1]}" + (f" with {v[2]}" if len(v) > 2 and v[2] else "") for v in variants))
print()
print("Server CPU µs per message (median of rounds), and the ratio to " + names[0] + " (median of the rounds' ratios):")
print()
print("| case | " + " | ".join(names) + " |")
print("|---|" + "---:|" * len(names))
for case in ("echo-100", "echo-1000", "echo-10-64k", "broadcast-10-per-s", "broadcast-saturated"):
    cells = summary(case, "server_cpu_us_per_msg")
    print(f"| {case} | " + " | ".join(f"{m:.2f} ({r:.2f})" for m, r in cells) + " |")
for label, field, scale, fmt in (("idle: resident KiB per connection", "server_rss_bytes_per_conn", 1024, "{:.2f}"),
                                 ("idle: handshakes per second", "handshakes_per_s", 1, "{:,.0f}")):
    cells = summary("idle-10000", field)
    print(f"| {label} | " + " | ".join(fmt.format(m / scale) + f" ({r:.2f})" for m, r in cells) + " |")
PY
echo "Runs in $results" >&2
