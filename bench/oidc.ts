/**
 * `npm run bench:oidc`: what the OpenID Provider costs. In one process per storage, at route-handler
 * level (as lib/applications/oidc-provider.int.test.ts drives it):
 *
 * - **upstream**: the tenant's SAML sign-in alone (`/sso` → test IdP → ACS → callback → `/app`);
 * - **product**: an application's complete sign-in (authorization request → interaction → the same
 *   SAML sign-in → code → token exchange → ID token verified against the JWKS by openid-client);
 * - **refresh**: refresh-token grants (rotating; roles read afresh on each).
 *
 * - **library** (a process of its own, bench/oidc-library.ts): oidc-provider alone (in memory, no
 *   portal code) serving the three requests the product flow adds, its sign-in a login result
 *   set at once: the floor of any OIDC layer on the library;
 * - **library, durable** (likewise, per storage): the same with the library's models in a fresh
 *   database of that storage through the portal's adapter (lib/applications/store.ts), as every
 *   instance must find them: the floor of any OIDC layer on the library that keeps them there.
 *
 * Flows/s at 1, 10 and 50 concurrent and process CPU per flow; the product/upstream CPU ratio is
 * the cost of the OIDC layer (target: at most +25 %), the library/upstream ratio its floor.
 * Refreshes: server CPU per grant at concurrency 1, as grants per second per core (target: at
 * least 2 × 120, Keycloak's sizing).
 *
 *   npm run bench:oidc                 # PostgreSQL (fresh database) and PGlite
 *   npm run bench:oidc -- --quick      # 1 s warm-up, 3 s per window, one round
 *   npm run bench:oidc -- --only=postgres --by-route
 *   npm run bench:oidc -- --rounds=5   # product windows per level, each between upstream ones
 *   npm run bench:oidc -- --pairs=1000 # the paired measure at concurrency 1 (0: none)
 *
 * Paired: the two flows one after the other at concurrency 1 (which goes first alternates), each
 * flow's CPU read on its own; their medians resist the bursts of other load on a shared machine
 * that move whole windows (a window's layer cost varies by tens of points from round to round).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { arg, codeRequest, countPgQueries, percentile, pgStatementsSoFar } from './common';

const quick = process.argv.includes('--quick');
const warmupMs = Number(arg('warmup-ms', quick ? '1000' : '2000'));
const durationMs = Number(arg('duration-ms', quick ? '3000' : '5000'));
const levels = (arg('levels', '1,10,50') ?? '1,10,50').split(',').map(Number);
/** Windows of the product flow per level, each between two of the upstream flow. */
const rounds = Math.max(1, Math.floor(Number(arg('rounds', quick ? '1' : '3')) || 1));
const pairs = Math.max(0, Math.floor(Number(arg('pairs', quick ? '100' : '600')) || 0));
const storage = arg('storage');
/** The library child's CPU ms per flow by level, passed on by the runner. */
const libraryFloor = JSON.parse(arg('library-floor', '{}') ?? '{}') as Record<number, number>;
/** The same with the library's models in this storage (the portal's adapter), by level. */
const durableFloor = JSON.parse(arg('durable-floor', '{}') ?? '{}') as Record<number, number>;

type Row = { variant: string; c: number; flows: number; perSec: number; cpuMsPerFlow: number; serverMsPerFlow: number; statementsPerFlow: number; p50: number; p99: number; latencies: number[] };

if (!storage) {
  // The runner: one child per storage, each with fresh storage.
  const only = new Set((arg('only', 'postgres,pglite') ?? '').split(','));
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const self = fileURLToPath(import.meta.url);
  const lib = spawnSync(process.execPath, ['--conditions=react-server', '--import', 'tsx', self, '--storage=library', ...process.argv.slice(2)], {
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
  process.stdout.write(lib.stdout.split('\n').filter((l) => !l.startsWith('LIBRARY_FLOOR') && !/oidc-provider (NOTICE|WARNING)/.test(l)).join('\n'));
  const floorArg = `--library-floor=${/^LIBRARY_FLOOR (.*)$/m.exec(lib.stdout)?.[1] ?? '{}'}`;
  /** Fresh storage of kind `s` for one child: its arguments, and how to drop it. */
  const fresh = async (s: string, name: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-oidc-'));
    const db = s === 'postgres' ? `bench_oidc_${name}_${process.pid}` : null;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(sql);
      await c.end();
    };
    if (db) await admin(`create database ${db}`);
    const url = db ? Object.assign(new URL(adminUrl), { pathname: `/${db}` }).toString() : '';
    return {
      args: [`--data-dir=${dir}`, `--database-url=${url}`],
      drop: async () => {
        rmSync(dir, { recursive: true, force: true });
        if (db) await admin(`drop database if exists ${db} with (force)`);
      },
    };
  };
  for (const s of ['postgres', 'pglite'].filter((x) => only.has(x))) {
    // The library again, its models in this storage through the portal's adapter.
    const d = await fresh(s, 'lib');
    const durable = spawnSync(process.execPath, ['--conditions=react-server', '--import', 'tsx', self, '--storage=library-durable', ...d.args, ...process.argv.slice(2)], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    });
    await d.drop();
    process.stdout.write(durable.stdout.split('\n').filter((l) => !l.startsWith('LIBRARY_FLOOR') && !/oidc-provider (NOTICE|WARNING)/.test(l)).join('\n'));
    const durableArg = `--durable-floor=${/^LIBRARY_FLOOR (.*)$/m.exec(durable.stdout)?.[1] ?? '{}'}`;
    const f = await fresh(s, 'portal');
    const r = spawnSync(process.execPath, ['--conditions=react-server', '--import', 'tsx', self, `--storage=${s}`, ...f.args, floorArg, durableArg, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    await f.drop();
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// One child: its levels.

/** CPU spent inside the portal's route handlers (meaningful at concurrency 1, where nothing overlaps). */
let serverCpuUs = 0;
let serverCalls = 0;
/** `--by-route`: the portal's CPU per route at concurrency 1, by variant over all its windows, printed after the levels. */
const byRoute = process.argv.includes('--by-route') ? new Map<string, { flows: number; routes: Map<string, { us: number; statements: number }> }>() : null;
/** Where measuredFetch adds a request's CPU while a concurrency-1 window is measured (--by-route). */
let routesNow: Map<string, { us: number; statements: number }> | null = null;

async function level(variant: string, c: number, flow: (i: number, worker: number) => Promise<unknown>): Promise<Row> {
  let i = 0;
  let stop = false;
  const latencies: number[] = [];
  let measuring = false;
  const worker = async (_: unknown, w: number) => {
    while (!stop) {
      const t = performance.now();
      await flow(i++, w);
      if (measuring) latencies.push(performance.now() - t);
    }
  };
  const workers = Array.from({ length: c }, worker);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const startUs = Number(process.hrtime.bigint() / 1000n);
  serverCpuUs = 0;
  const routes = byRoute && c === 1 ? (byRoute.get(variant) ?? byRoute.set(variant, { flows: 0, routes: new Map() }).get(variant)!) : null;
  routesNow = routes?.routes ?? null;
  const statements0 = pgStatementsSoFar();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const cpu = process.cpuUsage(cpu0);
  const serverUs = serverCpuUs;
  routesNow = null;
  if (routes) routes.flows += latencies.length;
  const wall = performance.now() - t0;
  // Under `node --cpu-prof`: the window for bench/profile-summary.ts (`--window=…`).
  if (process.execArgv.some((a) => a.startsWith('--cpu-prof'))) console.log(`${variant} c=${c}: profile window --window=${startUs}-${Number(process.hrtime.bigint() / 1000n)}`);
  measuring = false;
  stop = true;
  await Promise.all(workers);
  const n = latencies.length;
  latencies.sort((a, b) => a - b);
  return {
    variant,
    c,
    flows: n,
    perSec: (n / wall) * 1000,
    cpuMsPerFlow: (cpu.user + cpu.system) / 1000 / Math.max(1, n),
    statementsPerFlow: (pgStatementsSoFar() - statements0) / Math.max(1, n),
    serverMsPerFlow: serverUs / 1000 / Math.max(1, n),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

if (storage === 'library' || storage === 'library-durable') {
  // oidc-provider alone, in a process of its own (a second provider in the portal's process would
  // change what the JIT makes of the library's code for the portal's): its floor per level.
  const { libraryFlow } = await import('./oidc-library');
  for (let k = 0; k < 30; k++) await libraryFlow();
  const rows: Row[] = [];
  for (const c of levels) rows.push(await level('library', c, libraryFlow));
  const what = storage === 'library' ? 'oidc-provider alone, in memory' : `oidc-provider alone, its models in ${process.argv.some((a) => /^--database-url=.+/.test(a)) ? 'PostgreSQL' : 'PGlite'}`;
  for (const r of rows) console.log(`library (${what}) c=${r.c}: ${r.perSec.toFixed(0)} flows/s, ${r.cpuMsPerFlow.toFixed(2)} CPU ms per flow`);
  console.log(`LIBRARY_FLOOR ${JSON.stringify(Object.fromEntries(rows.map((r) => [r.c, r.cpuMsPerFlow])))}`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// One storage, in this process.
const dataDir = arg('data-dir')!;
for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'DEMO_MODE', 'OPERATOR_API_KEY', 'PORT', 'ALLOW_PRIVATE_URLS']) delete process.env[k];
Object.assign(process.env, {
  DATA_DIR: dataDir,
  AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'http://localhost:3000',
  ...(storage === 'postgres' ? { DATABASE_URL: arg('database-url') } : {}),
});

const oc = await import('openid-client');
const { SYSTEM } = await import('../lib/audit/types');
const { dbHandle, closeDb } = await import('../lib/db/client');
const { createConnection } = await import('../lib/dal/connections');
const { createTenant } = await import('../lib/dal/tenants');
const { putRoleMapping } = await import('../lib/dal/role-mappings');
const { createApplication } = await import('../lib/applications/registry');
const { TestSamlIdp } = await import('../lib/demo/saml-idp');
const { portalFetch, TestBrowser } = await import('../lib/testing/oidc');
const { env } = await import('../lib/env');

// PostgreSQL: statements sent through the driver are counted (round trips per flow and route).
if (storage === 'postgres') await countPgQueries();
await dbHandle();
const domain = `bench-${process.pid}.example.com`;
const tenant = await createTenant(SYSTEM, { name: `Bench ${domain}`, domains: [domain] });
const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
await putRoleMapping(SYSTEM, tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'member' });
const APP = 'https://app.bench.test';
const app = await createApplication(SYSTEM, { name: 'Bench product', redirectUris: [`${APP}/callback`] });
const measuredFetch = async (input: string | URL | Request, init?: RequestInit) => {
  const before = process.cpuUsage();
  const statements = pgStatementsSoFar();
  const res = await portalFetch(input, init);
  const d = process.cpuUsage(before);
  serverCpuUs += d.user + d.system;
  serverCalls++;
  if (routesNow) {
    const p = new URL(input instanceof Request ? input.url : input).pathname.replace(/\/oidc\/(interaction|auth)\/[^/]+/, '/oidc/$1/:uid');
    const r = routesNow.get(p) ?? { us: 0, statements: 0 };
    routesNow.set(p, { us: r.us + d.user + d.system, statements: r.statements + pgStatementsSoFar() - statements });
  }
  return res;
};

const config = await oc.discovery(new URL(env().PUBLIC_URL), app.clientId, undefined, oc.ClientSecretBasic(app.clientSecret!), {
  [oc.customFetch]: ((input: string | URL | Request, init?: RequestInit) => measuredFetch(input, init)) as never,
  execute: [oc.allowInsecureRequests],
});
oc.enableNonRepudiationChecks(config);

const user = (i: number) => ({ email: `user${i % 200}@${domain}`, attributes: { groups: ['Engineering', 'Everyone'] } });

async function upstreamFlow(i: number) {
  const b = new TestBrowser([idp], user(i), measuredFetch);
  const end = await b.go(`${env().PUBLIC_URL}/sso?email=${encodeURIComponent(user(i).email)}`);
  // Signed in: the browser lands on the portal's /app page (a React page, not served here).
  if (end.url.pathname !== '/app') throw new Error(`upstream ended at ${end.url.href} (${end.status})`);
}

async function productFlow(i: number) {
  const b = new TestBrowser([idp], user(i), measuredFetch);
  const request = await codeRequest(config, {
    redirect_uri: `${APP}/callback`,
    scope: 'openid profile email organization roles groups offline_access',
    login_hint: user(i).email,
  });
  const end = await b.go(request.url);
  if (end.url.origin !== APP) throw new Error(`product flow ended at ${end.url.href} (${end.status})`);
  const tokens = await oc.authorizationCodeGrant(config, end.url, request.checks);
  if (!tokens.claims()?.org_id) throw new Error('no org_id');
  return tokens.refresh_token!;
}

// Both variants warm (JIT, caches) before either is measured; then at each level the upstream and
// the product flow alternate (`rounds` product windows, each between two upstream ones), so that
// the machine's drift cancels out; each variant's row is over all its windows.
for (const flow of [upstreamFlow, productFlow]) for (let k = 0; k < 30; k++) await flow(k);
const meanOf = (windows: Row[]): Row => {
  const flows = windows.reduce((n, w) => n + w.flows, 0);
  const weighted = (k: 'cpuMsPerFlow' | 'serverMsPerFlow' | 'statementsPerFlow') => windows.reduce((n, w) => n + w[k] * w.flows, 0) / Math.max(1, flows);
  // Latencies of all the windows together.
  const latencies = windows.flatMap((w) => w.latencies).sort((a, b) => a - b);
  return {
    ...windows[0],
    flows,
    perSec: windows.reduce((n, w) => n + w.perSec, 0) / windows.length,
    cpuMsPerFlow: weighted('cpuMsPerFlow'),
    serverMsPerFlow: weighted('serverMsPerFlow'),
    statementsPerFlow: weighted('statementsPerFlow'),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
};
/** Per level, what the OIDC layer added in each round (its product window against the upstream windows on either side), %. */
const perRound = new Map<number, number[]>();
const rows: Row[] = [];
if (process.argv.includes('--product-only')) {
  // Profiling: the product flow alone (`node --cpu-prof … bench/oidc.ts --storage=… --product-only`).
  for (const c of levels) rows.push(await level('product', c, productFlow));
  await closeDb();
  process.exit(0);
}
// Profiling: `--refresh-only` skips the sign-in levels (`node --cpu-prof … --storage=… --refresh-only`).
const refreshOnly = process.argv.includes('--refresh-only');
for (const c of refreshOnly ? [] : levels) {
  const us = [await level('upstream', c, upstreamFlow)];
  const ps: Row[] = [];
  for (let k = 0; k < rounds; k++) {
    ps.push(await level('product', c, productFlow));
    us.push(await level('upstream', c, upstreamFlow));
  }
  rows.push(meanOf(us), meanOf(ps));
  perRound.set(c, ps.map((p, k) => (p.cpuMsPerFlow / ((us[k].cpuMsPerFlow + us[k + 1].cpuMsPerFlow) / 2) - 1) * 100));
}

// Paired at concurrency 1: each flow's CPU on its own (the process's, as the windows count it, and
// the portal's route handlers' alone), the two flows alternating; after a few pairs unmeasured.
const paired = { upstream: [] as number[], product: [] as number[], upstreamPortal: [] as number[], productPortal: [] as number[] };
for (let k = -20; k < (refreshOnly ? 0 : pairs); k++) {
  for (const variant of k % 2 ? (['upstream', 'product'] as const) : (['product', 'upstream'] as const)) {
    const before = process.cpuUsage();
    const portalBefore = serverCpuUs;
    await (variant === 'upstream' ? upstreamFlow(k + 20) : productFlow(k + 20));
    const d = process.cpuUsage(before);
    if (k < 0) continue;
    paired[variant].push((d.user + d.system) / 1000);
    paired[`${variant}Portal`].push((serverCpuUs - portalBefore) / 1000);
  }
}

// Refreshes: each worker keeps its own rotating chain.
const chains: string[] = [];
for (let k = 0; k < 10; k++) chains.push(await productFlow(k));

for (const c of [1, 10]) {
  serverCpuUs = 0;
  serverCalls = 0;
  // Each worker refreshes its own chain (two refreshing one token at once is reuse: the grant dies).
  const r = await level('refresh', c, async (_i, w) => {
    const t = await oc.refreshTokenGrant(config, chains[w]);
    chains[w] = t.refresh_token!;
  });
  rows.push(r);
  if (c === 1) {
    const perGrantMs = r.serverMsPerFlow;
    console.log(`refresh (${storage}, c=1): server CPU ${perGrantMs.toFixed(2)} ms per grant → ${(1000 / perGrantMs).toFixed(0)} grants/s per core (target ≥ 240 = 2 × Keycloak's 120)`);
  }
}

if (byRoute) {
  for (const [variant, { flows, routes }] of byRoute) {
    console.log(`${variant} (c=1): the portal's CPU by route, ms per flow`);
    console.log('  CPU ms  statements  route');
    const per = (x: number) => x / Math.max(1, flows);
    for (const [route, r] of [...routes].sort((a, b) => b[1].us - a[1].us)) console.log(`  ${(per(r.us) / 1000).toFixed(2).padStart(6)}  ${per(r.statements).toFixed(1).padStart(10)}  ${route}`);
  }
}

console.log(`\nOpenID Provider bench — ${storage} — warm-up ${warmupMs} ms, ${durationMs} ms per window, ${rounds} product window(s) per level between ${rounds + 1} upstream ones (process CPU: portal, test IdP and client together)`);
console.log('variant   c    flows/s   CPU ms/flow   portal CPU ms/flow (c=1)   statements/flow   p50 ms   p99 ms');
for (const r of rows) {
  const server = r.c === 1 ? r.serverMsPerFlow.toFixed(1) : '—';
  console.log(`${r.variant.padEnd(9)} ${String(r.c).padStart(2)} ${r.perSec.toFixed(1).padStart(9)} ${r.cpuMsPerFlow.toFixed(1).padStart(12)} ${server.padStart(26)} ${(storage === 'postgres' ? r.statementsPerFlow.toFixed(1) : '—').padStart(17)} ${r.p50.toFixed(0).padStart(8)} ${r.p99.toFixed(0).padStart(8)}`);
}
{
  const u = rows.find((r) => r.variant === 'upstream' && r.c === 1);
  const p = rows.find((r) => r.variant === 'product' && r.c === 1);
  if (u && p) {
    console.log(
      `c=1, the portal's own CPU: upstream ${u.serverMsPerFlow.toFixed(1)} ms, product ${p.serverMsPerFlow.toFixed(1)} ms per flow: the OIDC layer adds ${(((p.serverMsPerFlow - u.serverMsPerFlow) / u.cpuMsPerFlow) * 100).toFixed(0)} % of an upstream flow's CPU (IdP and browser included, as bench:signin counts a flow)`,
    );
  }
}
for (const c of refreshOnly ? [] : levels) {
  const u = rows.find((r) => r.variant === 'upstream' && r.c === c)!;
  const p = rows.find((r) => r.variant === 'product' && r.c === c)!;
  const floor = libraryFloor[c];
  const stored = durableFloor[c];
  const pct = (ms: number) => `${((ms / u.cpuMsPerFlow) * 100).toFixed(0)} % (${ms.toFixed(1)} ms)`;
  console.log(
    `c=${c}: the OIDC layer adds ${(((p.cpuMsPerFlow - u.cpuMsPerFlow) / u.cpuMsPerFlow) * 100).toFixed(0)} % CPU per flow (target ≤ 25 %); product flows/s = ${(p.perSec / u.perSec).toFixed(2)} × upstream` +
      (floor ? `; oidc-provider alone would add ${pct(floor)}` : '') +
      (stored ? `, with its models in ${storage}: ${pct(stored)}` : '') +
      (rounds > 1 ? `; by round: ${perRound.get(c)!.map((x) => `${x >= 0 ? '+' : ''}${x.toFixed(0)} %`).join(', ')}` : ''),
  );
}
if (paired.product.length) {
  const mid = (a: number[], p: number) => percentile([...a].sort((x, y) => x - y), p);
  const mean = (a: number[]) => a.reduce((n, x) => n + x, 0) / a.length;
  const [u, p] = [paired.upstream, paired.product];
  const [uPortal, pPortal] = [paired.upstreamPortal, paired.productPortal];
  console.log(
    `paired, c=1, ${p.length} pairs: process CPU ms per flow, median (p25–p75): upstream ${mid(u, 50).toFixed(2)} (${mid(u, 25).toFixed(2)}–${mid(u, 75).toFixed(2)}), ` +
      `product ${mid(p, 50).toFixed(2)} (${mid(p, 25).toFixed(2)}–${mid(p, 75).toFixed(2)}): the OIDC layer adds ${((mid(p, 50) / mid(u, 50) - 1) * 100).toFixed(1)} % ` +
      `(of the means: ${((mean(p) / mean(u) - 1) * 100).toFixed(1)} %; target ≤ 25 %); the portal's routes alone: upstream ${mid(uPortal, 50).toFixed(2)}, ` +
      `product ${mid(pPortal, 50).toFixed(2)} ms, the layer ${(((mid(pPortal, 50) - mid(uPortal, 50)) / mid(u, 50)) * 100).toFixed(1)} % of an upstream flow`,
  );
}
await closeDb();
process.exit(0);
