#!/usr/bin/env bash
# `npm test`: typecheck, lint, then the unit, integration and e2e tiers against the real
# Postgres, NATS and Redis (started if they are down) and the real kubectl.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-system.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

echo "==> typecheck"
npx tsc -p tsconfig.json --noEmit
echo "==> lint"
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx show projects >/dev/null # caches the project graph the module-boundary rule reads
npx eslint . --max-warnings=0
echo "==> tests"
npx jest --runInBand "$@"
