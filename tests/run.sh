#!/usr/bin/env bash
# Runs every WsFast test on a fresh machine: installs the real third-party peers the interop tests use,
# builds, tests, and ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/interop/install.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test WsFast.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?

# dotnet test prints one summary per test assembly: "Failed!  - Failed: 1, Passed: 9, Skipped: 0, ...".
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{ n += $2 } END { print n + 0 }')
failed=$(grep -oE 'Failed: +[0-9]+,' "$log" | awk '{ n += $2 } END { print n + 0 }')
echo "$passed passed, $failed failed"
exit "$status"
