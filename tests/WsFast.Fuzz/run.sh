#!/usr/bin/env bash
# Runs one fuzz target under AFL++ for a bounded time: tests/WsFast.Fuzz/run.sh TARGET SECONDS
# Builds Release, instruments a copy of WsFast.dll with sharpfuzz (the build output stays as built), fuzzes
# from Corpus/TARGET and prints AFL's figures. Findings are kept (and their folder printed) only when AFL saved
# a crash or a hang.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 TARGET SECONDS   (targets: frame-server frame-client handshake utf8 hixie76 extension-offer
  frame-server-deflate frame-client-deflate http-request-paths)" >&2
  exit 2
fi
target=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
corpus="$here/Corpus/$target"
[ -d "$corpus" ] || { echo "no corpus folder $corpus" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found (Debian: apt-get install afl++)" >&2; exit 2; }

export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
fi

dotnet build "$here/WsFast.Fuzz.csproj" -c Release --nologo -v quiet

work=$(mktemp -d /tmp/wsfast-fuzz.XXXXXX)
cp -r "$here/bin/Release/net10.0" "$work/app"
sharpfuzz "$work/app/WsFast.dll" >/dev/null

afl_pid=
stop() {
  if [ -n "$afl_pid" ] && kill -0 "$afl_pid" 2>/dev/null; then
    kill "$afl_pid" 2>/dev/null || true
    wait "$afl_pid" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM

# The target is `dotnet`, not an AFL-compiled binary (SharpFuzz speaks AFL's fork-server protocol itself); no
# core dumps are collected here; no screen to draw on.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
afl-fuzz -i "$corpus" -o "$work/findings" -t 5000 -m none -V "$seconds" \
  -- dotnet "$work/app/WsFast.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 &
afl_pid=$!
# -V bounds the fuzzing; the extra minute covers AFL's start-up (calibrating every seed) and shut-down.
for _ in $(seq $((seconds + 60))); do
  kill -0 "$afl_pid" 2>/dev/null || break
  sleep 1
done
stop
afl_pid=

stats="$work/findings/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
  echo "AFL produced no statistics; its log:" >&2
  tail -n 30 "$work/afl.log" >&2
  exit 1
fi

value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(value saved_crashes)
hangs=$(value saved_hangs)
echo "target:          $target ($seconds s, afl-fuzz $(value afl_version))"
echo "executions:      $(value execs_done) ($(value execs_per_sec) per second)"
echo "corpus:          $(value corpus_count) inputs ($(value corpus_found) found by AFL)"
echo "coverage:        $(value edges_found) of $(value total_edges) edges, bitmap $(value bitmap_cvg)"
echo "crashes, hangs:  $crashes, $hangs"
if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
  echo "findings kept in $work/findings/default (crashes/, hangs/)"
  exit 1
fi
rm -rf "$work"
