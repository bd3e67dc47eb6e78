#!/usr/bin/env bash
# Installs the peers' runtimes and packages (Bun, ws and its native bufferutil, pinned in package-lock.json) into
# load/peers/node_modules.
# Needs Node.js and npm. Safe to re-run: nothing is done when both are already usable.
set -euo pipefail

cd "$(dirname "$0")"

bun_works() { [ -x node_modules/.bin/bun ] && node_modules/.bin/bun --version >/dev/null 2>&1; }

if [ -f node_modules/ws/package.json ] && [ -f node_modules/bufferutil/package.json ] && bun_works; then
  echo "peers: bun $(node_modules/.bin/bun --version), ws and bufferutil already installed"
  exit 0
fi

echo "peers: npm ci"
npm ci --no-audit --no-fund

# The bun package puts its native binary in place with a postinstall script; an npm that did not run it
# (--ignore-scripts, or scripts not allowed) leaves a placeholder that only prints an error.
if ! bun_works; then
  echo "peers: putting bun's native binary in place"
  (cd node_modules/bun && node install.js)
fi

bun_works || { echo "peers: node_modules/.bin/bun does not run" >&2; exit 1; }
echo "peers: bun $(node_modules/.bin/bun --version) and ws ready"
