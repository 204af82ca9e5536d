#!/usr/bin/env bash
# `npm test`: typecheck, lint, then the unit, integration and e2e tiers against the real
# Postgres, NATS and Redis (started if they are down) and the real kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
echo "==> build"
npm run build --silent
node --enable-source-maps dist/scripts/seed-registry.js --state-dir /var/lib/skiff

echo "==> typecheck"
npx tsc -p tsconfig.json --noEmit
echo "==> lint"
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx show projects >/dev/null # caches the project graph the module-boundary rule reads
npx eslint . --max-warnings=0
npx prettier --check "**/*.{ts,js,mjs,json}" --log-level warn
echo "==> tests"
mkdir -p .skiff
status=0
# --forceExit: a test that fails half-way may leave a handle open; the run must still end and report.
npx jest --runInBand --forceExit --json --outputFile=.skiff/jest-results.json "$@" || status=$?
# One plain closing line for tools that read it.
node -e 'const r = require("./.skiff/jest-results.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' || true
exit "$status"
