#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs what the tests need (Debian's Chromium,
# npm packages), type-checks, builds once, then runs unit + integration tests (PGlite and
# PostgreSQL) and the Playwright end-to-end specs in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CI="${CI:-}"

step() { printf '\n== %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
  step "installing Chromium from Debian's packages"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages"
  # `npm ci` refuses lock files written by this npm (it wants optional packages of other platforms
  # listed); `npm install` installs exactly the locked versions all the same. No install scripts:
  # the only ones are better-sqlite3's native build (a dependency of the SSO library's own storage
  # engines, which the portal does not use), esbuild's binary shortcut and protobufjs's version notice.
  npm install --no-audit --no-fund --ignore-scripts
fi

export TEST_PG_URL="${TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! node -e "const c=new (require('pg').Client)(process.env.TEST_PG_URL);c.connect().then(()=>c.end()).catch(()=>process.exit(1))"; then
  step "starting the local PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  sleep 2
fi

step "type-checking"
npx tsc --noEmit -p .

step "building"
npx next build > .next-build.log 2>&1 || { cat .next-build.log; exit 1; }
rm -f .next-build.log

step "unit and integration tests (PGlite and PostgreSQL)"
# Each test file has storage of its own, a copy of one migrated per run (a PGlite directory, a
# PostgreSQL database made from a template), so files run two at a time on both.
npx vitest run --project unit --project pglite --maxWorkers=2 --minWorkers=1
npx vitest run --project postgres --maxWorkers=2 --minWorkers=1

step "end-to-end tests (Chromium)"
npx playwright test

echo
echo "all test stages passed"
