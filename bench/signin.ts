/**
 * The portal's complete SP-initiated sign-in, in process, at route-handler level (the path of
 * lib/sso/flow.int.test.ts): startSsoFromRequest → test IdP (parse AuthnRequest, sign Response) →
 * handleAcs (both validators, replay) → handleCallback (JIT upsert, session, audit events).
 *
 *   node --conditions=react-server --import tsx bench/signin.ts --storage=pglite --data-dir=/tmp/x
 *   node --conditions=react-server --import tsx bench/signin.ts --storage=postgres --database-url=postgres://…/fresh_db
 *
 * Alone it runs every level and prints one BENCH_RESULT line of JSON; under bench/run.ts it runs the
 * levels it is told to (see serve() in common.ts). One storage per process, because the database handle, env and SSO library are cached on globalThis.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { arg, countPgQueries, loadOptionsFromArgs, pgStatementsSoFar, progress, runLevel, serve, Stopwatch, userAttributes, type FlowTiming, type LevelResult } from './common';

const storage = arg('storage');
if (storage !== 'pglite' && storage !== 'postgres') throw new Error('--storage=pglite|postgres');
const dataDir = arg('data-dir');
const databaseUrl = arg('database-url');
if (!dataDir) throw new Error('--data-dir is required (a fresh temporary directory)');
if (storage === 'postgres' && !databaseUrl) throw new Error('--database-url is required for --storage=postgres');

// Before anything reads env() (it is parsed once and cached on globalThis).
for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'DEMO_MODE', 'OPERATOR_API_KEY', 'OPERATOR_EMAIL', 'OPERATOR_PASSWORD', 'PORT']) delete process.env[k];
Object.assign(process.env, {
  DATA_DIR: dataDir,
  AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
  LOG_LEVEL: 'silent',
  PUBLIC_URL: 'http://localhost:3000',
  ...(storage === 'postgres' ? { DATABASE_URL: databaseUrl } : {}),
});

if (storage === 'postgres') await countPgQueries(); // before the portal's pool exists
const { TestSamlIdp } = await import('../e2e/idp/saml-idp');
const { SYSTEM } = await import('../lib/audit/types');
const { closeDb, dbHandle } = await import('../lib/db/client');
const { createConnection } = await import('../lib/dal/connections');
const { createTenant } = await import('../lib/dal/tenants');
const { handleAcs, handleCallback } = await import('../lib/sso/flow');
const { sp } = await import('../lib/sso/sp');
const { startSsoFromRequest } = await import('../lib/sso/start');

const { levels, opts: baseOpts } = loadOptionsFromArgs();
const opts = { ...baseOpts, postgresUrl: storage === 'postgres' ? databaseUrl : undefined };
const meta = { ip: '203.0.113.9', userAgent: 'bench' };

const setupStart = performance.now();
const handle = await dbHandle(); // migrations
const domain = `bench-${process.pid}.example.com`;
const tenant = await createTenant(SYSTEM, { name: `Bench ${domain}`, domains: [domain] });
const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
const s = sp();

// Diagnostics only: the CPU the SSO library's SAML engine takes inside the portal's flow (building
// the AuthnRequest, validating the response), comparable with the baseline's steps. Wraps the
// process-wide engine object; behaviour is unchanged. Per flow it is attributable only at
// concurrency 1, where run.ts shows it.
const { engine } = await import('../lib/sso/saml/engine');
const LIBRARY_CALLS = ['request', 'validate'] as const;
const libraryCpuMs: Record<string, number> = Object.fromEntries(LIBRARY_CALLS.map((m) => [m, 0]));
const libraryStatements: Record<string, number> = Object.fromEntries(LIBRARY_CALLS.map((m) => [m, 0]));
{
  const target = engine as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of LIBRARY_CALLS) {
    const original = target[m].bind(target);
    target[m] = (...a: unknown[]) => {
      const c0 = process.cpuUsage();
      const q0 = pgStatementsSoFar();
      const done = () => {
        const c = process.cpuUsage(c0);
        libraryCpuMs[m] += (c.user + c.system) / 1000;
        libraryStatements[m] += pgStatementsSoFar() - q0;
      };
      const out = original(...a);
      if (out instanceof Promise) return out.finally(done);
      done();
      return out;
    };
  }
}
// Diagnostics only: wall time spent inside database transactions (the JIT upsert's locked fallback),
// waiting for the lock/connection included. Wraps the portal's drizzle instance.
// Attributed to the flow that opened the transaction (AsyncLocalStorage), so it holds at any concurrency.
const flowContext = new AsyncLocalStorage<{ txWallMs: number }>();
{
  const db = handle.db as unknown as { transaction: (...a: unknown[]) => Promise<unknown> };
  const original = db.transaction.bind(db);
  db.transaction = async (...a: unknown[]) => {
    const t0 = performance.now();
    try {
      return await original(...a);
    } finally {
      const ctx = flowContext.getStore();
      if (ctx) ctx.txWallMs += performance.now() - t0;
    }
  };
}
progress(`${storage}: storage ready, tenant and SAML connection created in ${Math.round(performance.now() - setupStart)} ms`);

function signIn(email: string): Promise<FlowTiming> {
  return flowContext.run({ txWallMs: 0 }, () => signInFlow(email));
}

async function signInFlow(email: string): Promise<FlowTiming> {
  const sw = new Stopwatch();
  const libAtStart = { ...libraryCpuMs };
  const libStmtsAtStart = { ...libraryStatements };
  const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}&returnTo=/app`));
  if (start.status !== 302) throw new Error(`start: ${start.status} ${(await start.text()).slice(0, 200)}`);
  const location = new URL(start.headers.get('location')!);
  const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  sw.lap('start');

  // The IdP, in this process (its RSA signing is CPU this process pays, as in the baseline).
  const req = idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
  const samlResponse = idp.buildResponse({ acsUrl: s.acsUrl, audience: s.entityId, inResponseTo: req.id, nameId: email, attributes: userAttributes(email) });
  sw.lap('idp');

  const acs = await handleAcs(new URLSearchParams({ SAMLResponse: samlResponse, RelayState: location.searchParams.get('RelayState')! }), meta);
  if (acs.status !== 303) throw new Error(`acs: ${acs.status} ${(await acs.text()).slice(0, 200)}`);
  sw.lap('acs');

  const callback = await handleCallback(new URL(acs.headers.get('location')!), cookie, meta);
  if (callback.status !== 303) throw new Error(`callback: ${callback.status} ${(await callback.text()).slice(0, 200)}`);
  // authjs.session-token (or __Secure-authjs.session-token over https)
  if (!callback.headers.getSetCookie().some((c) => /^(__Secure-)?authjs\.session-token=[^;]+/.test(c))) throw new Error('callback: no session cookie');
  sw.lap('callback');
  for (const m of LIBRARY_CALLS) {
    sw.timing.cpu[`library.${m}`] = libraryCpuMs[m] - libAtStart[m];
    sw.timing.stmts[`library.${m}`] = libraryStatements[m] - libStmtsAtStart[m];
  }
  sw.timing.wall['tx'] = flowContext.getStore()!.txWallMs;
  return sw.timing;
}

const created: string[] = [];
let n = 0;
let next = 0;
const variants: Record<string, (c: number) => Promise<LevelResult>> = {
  new: async (c) => {
    progress(`${storage}: new users, ${c} concurrent …`);
    const r = await runLevel('new users (JIT create)', c, opts, async () => {
      const email = `user${n++}@${domain}`;
      const phases = await signIn(email);
      created.push(email);
      return phases;
    });
    progress(`${storage}: new users, ${c} concurrent: ${r.flowsPerSec} flows/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`);
    return r;
  },
};
if (arg('returning', 'true') !== 'false') {
  variants.returning = async (c) => {
    progress(`${storage}: returning users, ${c} concurrent …`);
    // Each flow takes the next already-provisioned email; with at least 2c of them, no two concurrent
    // flows share one. Short runs may not have made enough yet: provision the rest first (unmeasured).
    while (created.length < 2 * c) {
      await Promise.all(Array.from({ length: Math.min(c, 2 * c - created.length) }, async () => {
        const email = `user${n++}@${domain}`;
        await signIn(email);
        created.push(email);
      }));
    }
    const r = await runLevel('returning users (JIT update)', c, opts, () => signIn(created[next++ % created.length]));
    progress(`${storage}: returning users, ${c} concurrent: ${r.flowsPerSec} flows/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`);
    return r;
  };
}

await serve(
  {
    kind: 'portal',
    storage,
    variants,
    // What the runs left behind, as a sanity check of "JIT upsert and audit included" (not asserted).
    async finish() {
      const [written] = await handle.query<{ users: number; sessions: number; events: number; logins: number }>(
        `select (select count(*)::int from users where tenant_id = $1) as users,
                (select count(*)::int from sessions where tenant_id = $1) as sessions,
                (select count(*)::int from audit_events where tenant_id = $1) as events,
                (select count(*)::int from audit_events where tenant_id = $1 and action = 'sso.login_succeeded') as logins`,
        [tenant.id],
      );
      await closeDb().catch(() => {});
      return { written: { ...written, distinctEmailsSignedIn: new Set(created).size } };
    },
  },
  levels,
);
