#!/usr/bin/env bash
# Runs every WsFast test on a fresh machine: installs the real third-party peers the interop tests, the browser
# tests and the load peers' smoke tests use, builds, tests (the server's tests with each socket engine), and
# ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/interop/install.sh
bash load/peers/install.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test WsFast.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# The server's tests once more with WsFast's own epoll socket engine, where this machine can run it (Linux x86-64):
# every test of the server and the transport holds for both engines. The AFL++ runs of the fuzz targets (category
# Afl, Fuzz/AflRunTests) drive the sans-I/O code directly, never a socket: the first pass ran them, a second would
# spend another two minutes on the same thing.
if [[ "$(uname -s)" == Linux && "$(uname -m)" == x86_64 ]]; then
  WSFAST_TEST_SOCKET_ENGINE=epoll dotnet test tests/WsFast.Tests -c Release --no-build --filter "Category!=Afl" \
    --logger "console;verbosity=normal" 2>&1 \
    | tee -a "$log" || status=$?
fi

# With the normal-verbosity console logger, dotnet test ends each test assembly's run with a block such as
# "Total tests: 10", "     Passed: 9", "     Failed: 1" (a count that is zero is left out). grep finds no
# line when none failed, which must not end the script under pipefail, hence the "|| true".
passed=$( (grep -E '^ +Passed: +[0-9]+$' "$log" || true) | awk '{ n += $2 } END { print n + 0 }')
failed=$( (grep -E '^ +Failed: +[0-9]+$' "$log" || true) | awk '{ n += $2 } END { print n + 0 }')
echo "$passed passed, $failed failed"
exit "$status"
