#!/usr/bin/env bash
# `npm start`: set up everything on a fresh Debian machine (as root) and run the stack in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  printf '\033[1m==>\033[0m %s\n' "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Services run compiled (dist/), never through a runtime transpiler.
npm run build --silent
node --enable-source-maps dist/scripts/seed-registry.js --state-dir /var/lib/skiff
exec node --enable-source-maps dist/scripts/dev-stack.js
