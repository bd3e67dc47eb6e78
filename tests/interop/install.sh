#!/usr/bin/env bash
# Installs what the interop clients, the browser tests, the Redis broker tests and the AFL++ fuzz runs need on a
# fresh Debian 12 machine (run as root).
# Safe to re-run: each step is skipped when its tool is already usable.
set -euo pipefail

cd "$(dirname "$0")"

# Debian's packages: the Python client must run on Debian's own interpreter, which sees only apt's packages;
# the browser tests (tests/WsFast.Tests/Browser) launch Debian's Chromium through Playwright, which cannot
# download a browser of its own here.
missing=()
if /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
  echo "interop: python3-websockets already installed"
else
  missing+=(python3-websockets)
fi
if [ -x /usr/bin/chromium ]; then
  echo "interop: chromium already installed"
else
  missing+=(chromium)
fi
# NSS's certutil: the wss:// browser test makes Chromium trust its test CA the way Chromium on Linux trusts any
# CA, in an NSS database ($HOME/.pki/nssdb of the browser's own temporary home).
if command -v certutil >/dev/null; then
  echo "interop: certutil already installed"
else
  missing+=(libnss3-tools)
fi
# Redis: the Redis broker's tests run their own redis-server processes on loopback, without persistence
# (tests/WsFast.Tests/Support/RedisServer.cs, and the one .ci/run starts); only the binary is needed.
if command -v redis-server >/dev/null; then
  echo "interop: redis-server already installed"
else
  missing+=(redis-server)
fi
# AFL++: tests/WsFast.Tests/Fuzz/AflRunTests runs every fuzz target of tests/WsFast.Fuzz for a few seconds.
if command -v afl-fuzz >/dev/null; then
  echo "interop: afl-fuzz already installed"
else
  missing+=(afl++)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "interop: installing ${missing[*]}"
  # redis-server's package starts its own service on port 6379 when installed; the tests never use it, so
  # Debian's policy-rc.d mechanism ("exit 101": action forbidden) keeps it from starting, unless the machine has
  # a policy of its own (containers usually do).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ -f node_modules/ws/package.json ]; then
  echo "interop: node ws already installed"
elif [ -f package-lock.json ]; then
  echo "interop: npm ci"
  npm ci --no-audit --no-fund
else
  echo "interop: npm install"
  npm install --no-audit --no-fund
fi

# SharpFuzz's command-line tool instruments WsFast.dll for AFL++ (tests/WsFast.Fuzz/run.sh); the version matches
# the SharpFuzz package the fuzz project references.
if dotnet tool list --global | grep -Eiq '^sharpfuzz\.commandline +2\.3\.0 '; then
  echo "interop: sharpfuzz 2.3.0 already installed"
else
  echo "interop: dotnet tool install SharpFuzz.CommandLine 2.3.0"
  dotnet tool uninstall --global SharpFuzz.CommandLine >/dev/null 2>&1 || true
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
fi

echo "interop: ready"
