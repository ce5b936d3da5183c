// Starts the portal: checks the environment, migrates and seeds storage, builds when the build is
// missing or older than the sources, then serves with `next start` (or `next dev` with --dev).
// Run through npm (`npm start`, `npm run dev`), which passes --conditions=react-server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const dev = process.argv.includes('--dev');
const next = path.join(root, 'node_modules', '.bin', 'next');

const { parseEnv, EnvError } = await tsImport('../lib/env.ts', import.meta.url);
let env;
try {
  env = parseEnv();
} catch (err) {
  if (err instanceof EnvError || err?.name === 'EnvError') {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const { bootstrap } = await tsImport('../lib/bootstrap.ts', import.meta.url);
const { closeDb } = await tsImport('../lib/db/client.ts', import.meta.url);
let setupUrl = null;
try {
  ({ setupUrl } = await bootstrap());
} catch (err) {
  console.error(`Could not prepare storage (${env.DATABASE_URL ? 'PostgreSQL' : `PGlite under ${env.DATA_DIR}`}): ${err.message}`);
  process.exit(1);
} finally {
  await closeDb().catch(() => {});
}

const SOURCES = ['app', 'lib', 'components', 'public', 'next.config.js', 'package.json', 'package-lock.json', 'postcss.config.mjs', 'tsconfig.json'];
function newest(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const e of readdirSync(p)) max = Math.max(max, newest(path.join(p, e)));
  return max;
}
if (!dev) {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  const stale = !existsSync(buildId) || Math.max(...SOURCES.map(newest)) > statSync(buildId).mtimeMs;
  if (stale) {
    console.log('Building the portal (first start or sources changed)…');
    const r = spawnSync(next, ['build'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

// The one source of the client's address; in production, the graceful shutdown.
const preloads = ['client-address-preload.mjs', ...(dev ? [] : ['shutdown-preload.mjs'])];
const child = spawn(next, [dev ? 'dev' : 'start', '-p', String(env.PORT)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', ...preloads.map((p) => `--import ${JSON.stringify(path.join(root, 'scripts', p))}`)].join(' ').trim(),
    // Production: scripts/shutdown-preload.mjs handles SIGTERM (drain, stop jobs, close the pool).
    ...(dev ? {} : { NEXT_MANUAL_SIG_HANDLE: 'true' }),
    NEXT_TELEMETRY_DISABLED: '1',
    AUTH_SECRET: env.AUTH_SECRET,
    PUBLIC_URL: env.PUBLIC_URL,
    AUTH_URL: env.PUBLIC_URL,
  },
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
console.log(`Portal on ${env.PUBLIC_URL} (storage: ${env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${env.DATA_DIR}`})`);

// The setup link again once the portal answers (the build's output may have scrolled it away),
// while no operator has used it.
if (setupUrl) {
  const tokenFile = path.join(env.DATA_DIR, 'setup-token');
  const until = Date.now() + 10 * 60_000;
  const poll = setInterval(async () => {
    const ready = await fetch(`http://127.0.0.1:${env.PORT}/api/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (!ready && Date.now() < until) return;
    clearInterval(poll);
    if (ready && existsSync(tokenFile)) console.log(`\n  Ready. First-run setup: open ${setupUrl}\n`);
  }, 1000);
  poll.unref();
}
