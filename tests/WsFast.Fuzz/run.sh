#!/usr/bin/env bash
# Runs one fuzz target under AFL++ for a bounded time: tests/WsFast.Fuzz/run.sh TARGET SECONDS
# Builds Release, instruments a copy of WsFast.dll with sharpfuzz (the build output stays as built), fuzzes
# from Corpus/TARGET and prints AFL's figures. Findings are kept (and their folder printed) only when AFL saved
# a crash or a hang.
#
# tests/WsFast.Fuzz/run.sh --instrument DIR writes the instrumented copy to DIR and stops, so that several runs
# share one build and one instrumentation (CI's Fuzz/AflRunTests): WSFAST_FUZZ_APP=DIR then makes a run use it.
# WSFAST_FUZZ_BUILT=DIR names an existing build output of WsFast.Fuzz to instrument instead of building one.
# WSFAST_FUZZ_QUEUE=DIR keeps AFL's queue (the seeds and every input it found that reached new edges) in DIR, to
# minimise into the corpus.
set -euo pipefail

targets="frame-server frame-client handshake utf8 hixie76 extension-offer frame-server-deflate frame-client-deflate http-request-paths"
usage() {
  echo "usage: $0 TARGET SECONDS | $0 --instrument DIR" >&2
  echo "targets: $targets" >&2
  exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:$HOME/.dotnet/tools"

# Copies the build output of WsFast.Fuzz to $1 and instruments its WsFast.dll (only the code under test reports
# coverage to AFL; the targets and the runtime do not).
instrument() {
  local built=${WSFAST_FUZZ_BUILT:-}
  if [ -z "$built" ]; then
    dotnet build "$here/WsFast.Fuzz.csproj" -c Release --nologo -v quiet
    built="$here/bin/Release/net10.0"
  fi
  [ -f "$built/WsFast.Fuzz.dll" ] || { echo "no WsFast.Fuzz.dll in $built" >&2; exit 2; }
  if ! command -v sharpfuzz >/dev/null; then
    dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
  fi
  mkdir -p "$1"
  cp -r "$built/." "$1"
  sharpfuzz "$1/WsFast.dll" >/dev/null
}

if [ "${1:-}" = --instrument ]; then
  [ $# -eq 2 ] || usage
  instrument "$2"
  exit 0
fi

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || ! [[ " $targets " == *" $1 "* ]]; then
  usage
fi
target=$1
seconds=$2
corpus="$here/Corpus/$target"
[ -d "$corpus" ] || { echo "no corpus folder $corpus" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found (Debian: apt-get install afl++; tests/interop/install.sh does)" >&2; exit 2; }

work=$(mktemp -d /tmp/wsfast-fuzz.XXXXXX)
if [ -n "${WSFAST_FUZZ_APP:-}" ]; then
  [ -f "$WSFAST_FUZZ_APP/WsFast.Fuzz.dll" ] || { echo "no WsFast.Fuzz.dll in WSFAST_FUZZ_APP=$WSFAST_FUZZ_APP" >&2; exit 2; }
  app=$WSFAST_FUZZ_APP
else
  app="$work/app"
  instrument "$app"
fi

afl_pid=
stop() {
  if [ -n "$afl_pid" ] && kill -0 "$afl_pid" 2>/dev/null; then
    kill "$afl_pid" 2>/dev/null || true
    wait "$afl_pid" 2>/dev/null || true
  fi
}
trap stop EXIT INT TERM

# The target is `dotnet`, not an AFL-compiled binary (SharpFuzz speaks AFL's fork-server protocol itself); no
# core dumps are collected here; no screen to draw on; no core of its own to claim (other runs may hold them).
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
afl-fuzz -i "$corpus" -o "$work/findings" -t 5000 -m none -V "$seconds" \
  -- dotnet "$app/WsFast.Fuzz.dll" "$target" >"$work/afl.log" 2>&1 &
afl_pid=$!
# -V bounds the fuzzing; the extra minute covers AFL's start-up (calibrating every seed) and shut-down.
for _ in $(seq $((seconds + 60))); do
  kill -0 "$afl_pid" 2>/dev/null || break
  sleep 1
done
stop
afl_pid=

if [ -n "${WSFAST_FUZZ_QUEUE:-}" ] && [ -d "$work/findings/default/queue" ]; then
  mkdir -p "$WSFAST_FUZZ_QUEUE"
  find "$work/findings/default/queue" -maxdepth 1 -type f -exec cp {} "$WSFAST_FUZZ_QUEUE" \;
fi

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
