import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { TestSamlIdp } from './idp/saml-idp';
import { api } from './support/api';
import { NodeBrowser } from './support/node-browser';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';
import { PrivatePostgres } from './support/postgres';
import { TcpRelay } from './support/tcp-relay';

/**
 * The database fails under a running portal: its PostgreSQL (the test's own, on its own port and
 * data directory) is SIGKILLed in the middle of SCIM pushes and SAML sign-ins and started again, a
 * lock on `users` is held, the network between them stalls (the portal reaches it through a relay
 * the test can freeze), and the portal is sent SIGTERM with a request in flight. Every boundary
 * answers 503 with a reason and Retry-After within a bounded time, nothing acknowledged is lost,
 * nothing is blamed on the person, and the portal recovers without a restart. The measured times
 * are printed (`measured:` lines) and attached to the test results.
 */

const KEY = 'database-faults-spec-key-0123456';
const METRICS_TOKEN = 'database-faults-metrics-0123456';
/** The portal's statement timeout here: a stalled connection is dropped 2 s after it. */
const STATEMENT_MS = 6_000;
test.describe.configure({ mode: 'serial' });

let db: PrivatePostgres;
let relay: TcpRelay;
let portal: Portal;
let publicUrl: string;
let domain: string;
let tenantId: string;
let idp: TestSamlIdp;
let scim: { url: string; token: string };
let signIns = 0;

const measured = (name: string, ms: number) => {
  console.log(`measured: ${name} ${ms} ms`);
  test.info().annotations.push({ type: 'measured', description: `${name}: ${ms} ms` });
};

type Answer = { status: number; ms: number; retryAfter: string | null; contentType: string | null; text: string };

async function timed(url: string, init?: RequestInit): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(40_000) });
  const text = await res.text();
  return { status: res.status, ms: Date.now() - started, retryAfter: res.headers.get('retry-after'), contentType: res.headers.get('content-type'), text };
}

function scimCreate(userName: string): Promise<Answer> {
  return timed(`${scim.url}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      name: { givenName: 'Fault', familyName: 'Tolerant' },
      emails: [{ value: userName, primary: true, type: 'work' }],
      active: true,
    }),
  });
}

async function scimFind(userName: string): Promise<number> {
  const a = await timed(`${scim.url}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers: { authorization: `Bearer ${scim.token}` } });
  expect(a.status).toBe(200);
  return JSON.parse(a.text).totalResults;
}

/** A whole SAML sign-in (the portal's /sso, the test IdP's signed response, the ACS) for a new person. */
async function signIn(): Promise<{ ok: boolean; status?: number; text?: string; email: string; url?: string; browser: NodeBrowser }> {
  const email = `person${signIns++}@${domain}`;
  const browser = new NodeBrowser(publicUrl, [portal.url], idp, { acsUrl: `${publicUrl}/api/oauth/saml`, entityId: `${publicUrl}/.well-known/sp-metadata` }, email);
  try {
    const end = await browser.go(`${publicUrl}/sso?email=${encodeURIComponent(email)}`);
    // Signed in once the callback sends the browser to /app (the session and the account exist);
    // /app itself may fail to render if the database goes in that moment: a 500 whose page
    // (app/error.tsx, drawn by the browser) says so — never a trip back to the sign-in page.
    if (end.url.pathname === '/app' && end.status !== 200) expect(end.status).toBe(500);
    return { ok: end.url.pathname === '/app', status: end.status, text: end.text, email, url: end.url.href, browser };
  } catch (err) {
    return { ok: false, text: String(err), email, browser };
  }
}

/** Process-level errors in the portal's output: every error must be handled where it arises. */
const processErrors = () => portal.output().match(/uncaughtException|unhandledRejection|Unhandled Rejection|Connection terminated unexpectedly\s*\n\s*at /g) ?? [];

test.beforeAll(async ({}, info) => {
  info.setTimeout(180_000);
  db = await PrivatePostgres.create();
  relay = await TcpRelay.start(db.port);
  const port = await freePort();
  publicUrl = `http://localhost:${port}`;
  portal = await startPortal({
    DATABASE_URL: relay.url(),
    DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS),
    OPERATOR_API_KEY: KEY,
    AUTH_SECRET: randomBytes(32).toString('hex'),
    PUBLIC_URL: publicUrl,
    PORT: String(port),
    DATA_DIR: tempDataDir(),
    DB_POOL_SIZE: '8',
    METRICS_TOKEN,
  });
});

/** A tenant with a SAML connection (JIT) and an Okta SCIM directory. */
async function setUpTenant() {
  domain = `faults-${randomBytes(3).toString('hex')}.example.com`;
  const base = portal.url;
  tenantId = (await api('/tenants', { method: 'POST', key: KEY, base, body: { name: 'Faults Co', domains: [domain] } })).body.id;
  idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  expect((await api(`/tenants/${tenantId}/connections`, { method: 'POST', key: KEY, base, body: { type: 'saml', metadataXml: idp.metadataXml() } })).status).toBe(201);
  expect((await api(`/tenants/${tenantId}/provisioning`, { method: 'PUT', key: KEY, base, body: { strategy: 'jit', defaultRole: 'member' } })).status).toBe(200);
  const dir = (await api(`/tenants/${tenantId}/directories`, { method: 'POST', key: KEY, base, body: { name: 'Okta', provider: 'okta' } })).body;
  scim = { url: dir.scimUrl.replace(publicUrl, portal.url), token: dir.bearerToken };
  expect((await signIn()).ok).toBe(true);
}

test.afterAll(async () => {
  await portal?.stop('SIGKILL');
  await relay?.close();
  await db?.stop();
});

test('the first requests of a fresh instance during an outage (the SSO library not yet loaded) answer 503, with no process-level error', async () => {
  test.setTimeout(90_000);
  await db.kill();
  const [metadata, sso] = await Promise.all([timed(`${portal.url}/.well-known/sp-metadata`), timed(`${portal.url}/sso?email=someone%40example.com`)]);
  expect(metadata.status, metadata.text.slice(0, 300)).toBe(503);
  expect(metadata.retryAfter).toBe('5');
  expect(sso.status).toBe(503);
  expect(sso.text).toContain('service_unavailable');
  await db.start();
  await expect.poll(async () => (await timed(`${portal.url}/.well-known/sp-metadata`)).status, { timeout: 30_000 }).toBe(200);
  await new Promise((r) => setTimeout(r, 500)); // a late rejection would be logged by now
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
  await setUpTenant();
});

test('PostgreSQL killed mid-traffic: 503 with a reason at every boundary, nothing acknowledged lost, recovery without a restart', async () => {
  test.setTimeout(180_000);
  // Steady traffic: SCIM creates and sign-ins, one after another, until told to stop.
  let running = true;
  const pushed: { userName: string; answer: Answer }[] = [];
  const signedIn: Awaited<ReturnType<typeof signIn>>[] = [];
  const pusher = (async () => {
    for (let i = 0; running; i++) {
      const userName = `pushed${i}@${domain}`;
      pushed.push({ userName, answer: await scimCreate(userName).catch((err) => ({ status: 0, ms: 0, retryAfter: null, contentType: null, text: String(err) })) });
    }
  })();
  const signer = (async () => {
    while (running) signedIn.push(await signIn());
  })();
  try {
    await outageUnderTraffic();
  } finally {
    running = false;
    await Promise.all([pusher, signer]);
  }

  async function outageUnderTraffic() {
    await new Promise((r) => setTimeout(r, 2_000));
    await db.kill();
    const killedAt = Date.now();
    // The sign-in steps, SCIM, the operator API, SP metadata, readiness and liveness.
    const acsBody = new URLSearchParams({
      SAMLResponse: idp.buildResponse({ acsUrl: `${publicUrl}/api/oauth/saml`, audience: `${publicUrl}/.well-known/sp-metadata`, inResponseTo: '_x', nameId: `late@${domain}`, attributes: { email: `late@${domain}` } }),
      RelayState: 'boxyhq_jackson_0123456789abcdef',
    }).toString();
    const [sso, acs, callback, scimAnswer, operator, metadata, ready, health] = await Promise.all([
      timed(`${portal.url}/sso?email=${encodeURIComponent(`late@${domain}`)}`),
      timed(`${portal.url}/api/oauth/saml`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: acsBody }),
      timed(`${portal.url}/api/sso/callback?code=c&state=s`),
      scimCreate(`during@${domain}`),
      timed(`${portal.url}/api/v1/tenants/${tenantId}`, { headers: { authorization: `Bearer ${KEY}` } }),
      timed(`${portal.url}/.well-known/sp-metadata`),
      timed(`${portal.url}/api/ready`),
      timed(`${portal.url}/api/health`),
    ]);
    for (const a of [sso, acs, callback]) {
      expect(a.status, a.text.slice(0, 300)).toBe(503);
      expect(a.contentType).toMatch(/text\/html/);
      expect(a.text).toContain('service_unavailable');
      expect(a.retryAfter).toBe('5');
  }
  expect(scimAnswer.status).toBe(503);
  expect(JSON.parse(scimAnswer.text)).toMatchObject({ status: '503', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
  expect(scimAnswer.retryAfter).toBe('5');
  expect(operator.status).toBe(503);
  expect(JSON.parse(operator.text).detail).toMatch(/database is unavailable/);
  // SP metadata is served from the SSO library's memory once loaded; otherwise 503 + Retry-After.
  if (metadata.status !== 200) expect([metadata.status, metadata.retryAfter]).toEqual([503, '5']);
  expect(ready.status).toBe(503);
  expect(health.status).toBe(503); // liveness answers, and says the database is what is wrong
  expect(JSON.parse(health.text).database.ok).toBe(false);
  const slowest = Math.max(...[sso, acs, callback, scimAnswer, operator, metadata, ready, health].map((a) => a.ms));
  expect(slowest).toBeLessThan(5_000);
  measured('slowest answer during the outage', slowest);

  await new Promise((r) => setTimeout(r, 1_500));
  const downFor = Date.now() - killedAt;
  const startedIn = await db.start();
  const upAt = Date.now();
  let readyAt = 0;
  while (!readyAt && Date.now() - upAt < 30_000) {
    if ((await timed(`${portal.url}/api/ready`)).status === 200) readyAt = Date.now();
    else await new Promise((r) => setTimeout(r, 20));
  }
  expect(readyAt).toBeGreaterThan(0);
  measured('database down for', downFor + startedIn);
  measured('ready again after the database accepted connections', readyAt - upAt);
  // Traffic goes on by itself: a SCIM create and a sign-in that succeed after the database is back.
  const pushesBefore = pushed.length;
  const signInsBefore = signedIn.length;
  await expect.poll(() => pushed.slice(pushesBefore).some((p) => p.answer.status === 201), { timeout: 30_000 }).toBe(true);
  await expect.poll(() => signedIn.slice(signInsBefore).some((s) => s.ok), { timeout: 30_000 }).toBe(true);
  }

  // What was answered: success or 503 + Retry-After, never a 4xx blaming the client, never a 500.
  for (const { userName, answer } of pushed) {
    expect([201, 503], `${userName}: ${answer.status} ${answer.text.slice(0, 200)}`).toContain(answer.status);
    if (answer.status === 503) expect(answer.retryAfter).toBe('5');
  }
  for (const s of signedIn) {
    if (!s.ok) {
      expect(s.status, `${s.email} at ${s.url}: ${s.text?.match(/data-reason>([^<]*)/)?.[1] ?? s.text?.replace(/<script[\s\S]*?<\/script>|<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 600)}`).toBe(503);
      expect(s.text).toContain('service_unavailable');
    }
  }
  expect(pushed.some((p) => p.answer.status === 503)).toBe(true);
  expect(signedIn.some((s) => !s.ok)).toBe(true);
  // Nothing acknowledged was lost or doubled.
  for (const { userName, answer } of pushed) if (answer.status === 201) expect(await scimFind(userName), userName).toBe(1);
  const users = (await api(`/tenants/${tenantId}/users?limit=200`, { key: KEY, base: portal.url })).body.data as { email: string }[];
  for (const s of signedIn) if (s.ok) expect(users.map((u) => u.email)).toContain(s.email);
  // No one was blamed: no failed sign-in recorded; the audit chain verifies.
  const failures = (await api(`/tenants/${tenantId}/audit-logs?action=sso.login_failed`, { key: KEY, base: portal.url })).body.data;
  expect(failures).toEqual([]);
  expect((await api(`/tenants/${tenantId}/audit-logs/verify`, { key: KEY, base: portal.url })).body).toMatchObject({ intact: true });
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
});

test('a lock held on users: writes behind it answer 503 within the lock timeout, other requests go on, writes succeed once it is released', async () => {
  test.setTimeout(90_000);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table users in access exclusive mode');
    const [blocked, health, tenant] = await Promise.all([
      Promise.all([0, 1, 2].map((i) => scimCreate(`locked${i}@${domain}`))),
      (async () => {
        await new Promise((r) => setTimeout(r, 1_000));
        return timed(`${portal.url}/api/health`);
      })(),
      (async () => {
        await new Promise((r) => setTimeout(r, 1_500));
        return timed(`${portal.url}/api/v1/tenants/${tenantId}`, { headers: { authorization: `Bearer ${KEY}` } });
      })(),
    ]);
    for (const b of blocked) {
      expect(b.status, b.text).toBe(503);
      expect(b.retryAfter).toBe('5');
      expect(b.ms).toBeLessThan(8_000);
    }
    measured('a write behind a held lock answered after', Math.max(...blocked.map((b) => b.ms)));
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(1_000);
    expect(tenant.status).toBe(200);
    expect(tenant.ms).toBeLessThan(1_000);
  } finally {
    await holder.query('rollback').catch(() => {});
    await holder.end();
  }
  const after = await scimCreate(`locked0@${domain}`);
  expect(after.status, after.text).toBe(201);
  expect(await scimFind(`locked0@${domain}`)).toBe(1);
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
});

test('the network to the database stalls: requests answer 503 within the statement timeout plus 4 s, health at once, and work resumes with the network', async () => {
  test.setTimeout(90_000);
  // Warm connections in the pool: the stall catches them mid-use, as a broken link does.
  expect((await scimCreate(`before-stall@${domain}`)).status).toBe(201);
  relay.stall();
  let resumed = false;
  try {
    const [writes, health, sso] = await Promise.all([
      Promise.all([0, 1, 2].map((i) => scimCreate(`stalled${i}@${domain}`))),
      (async () => {
        await new Promise((r) => setTimeout(r, 500));
        return timed(`${portal.url}/api/health`);
      })(),
      timed(`${portal.url}/sso?email=${encodeURIComponent(`someone@${domain}`)}`),
    ]);
    for (const w of writes) {
      expect(w.status, w.text).toBe(503);
      expect(w.retryAfter).toBe('5');
      expect(w.ms).toBeLessThan(STATEMENT_MS + 6_000); // the stalled statement, then at most a 2 s wait for a new connection
    }
    measured('slowest answer while the network was stalled', Math.max(...writes.map((w) => w.ms), sso.ms));
    expect(sso.status).toBe(503);
    expect(sso.text).toContain('service_unavailable');
    expect(health.status).toBe(503);
    expect(health.ms).toBeLessThan(3_000);
    relay.resume();
    resumed = true;
    const back = Date.now();
    await expect.poll(async () => (await scimCreate(`after-stall@${domain}`)).status, { timeout: 30_000, intervals: [100] }).toBe(201);
    measured('writes succeed again after the network came back', Date.now() - back);
  } finally {
    if (!resumed) relay.resume();
  }
  // What was refused was not stored; nothing was doubled.
  for (const i of [0, 1, 2]) expect(await scimFind(`stalled${i}@${domain}`)).toBe(0);
  expect(await scimFind(`after-stall@${domain}`)).toBe(1);
  expect(portal.output()).toContain('postgres connection silent too long with a statement outstanding: dropped');
  // A job whose lease could not be released during the stall is free again within the lease time (15 s).
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  try {
    const since = new Date();
    await expect
      .poll(async () => (await check.query('select name from job_leases where lease_until > now() and last_started_at < $1', [since])).rows, { timeout: 20_000 })
      .toEqual([]);
    measured('leases held through the stall were free again after', Date.now() - since.getTime());
  } finally {
    await check.end();
  }
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
});

test('connections to the database cut under page traffic: a signed-in page answers itself or the error page, never the sign-in page, and the log holds no driver error', async () => {
  test.setTimeout(60_000);
  // The person also opens the tenant's console (its audit log: reads beyond the page's guard).
  expect((await api(`/tenants/${tenantId}/console-access`, { method: 'PUT', key: KEY, base: portal.url, body: { roles: { member: ['audit_log'] } } })).status).toBe(200);
  const slug = (await api(`/tenants/${tenantId}`, { key: KEY, base: portal.url })).body.slug;
  const { ok, browser } = await signIn();
  expect(ok).toBe(true);
  const pages = ['/app', `/t/${slug}/audit-log`];
  expect((await browser.go(`${publicUrl}${pages[1]}`)).status).toBe(200);
  const from = portal.output().length;
  let going = true;
  const answers: Record<string, number> = {};
  let errorPage = '';
  const readers = [0, 1, 2, 3, 4, 5].map(async (k) => {
    while (going) {
      const end = await browser.go(`${publicUrl}${pages[k % 2]}`);
      const key = `${end.status} ${end.url.pathname}`;
      answers[key] = (answers[key] ?? 0) + 1;
      if (end.status === 500 && !errorPage) errorPage = end.text ?? '';
    }
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    // Sixty resets, 5 to 47 ms apart: each catches some page between its session check and its reads.
    for (let i = 0; i < 60; i++) {
      relay.cut();
      await new Promise((r) => setTimeout(r, 5 + (i % 7) * 7));
    }
  } finally {
    going = false;
    await Promise.all(readers);
  }
  console.log(`measured: page answers while connections were cut ${JSON.stringify(answers)}`);
  const expected = pages.flatMap((p) => [`200 ${p}`, `500 ${p}`]);
  expect(Object.keys(answers).filter((k) => !expected.includes(k)), JSON.stringify(answers)).toEqual([]);
  expect(answers['500 /app'], 'the cuts reached pages').toBeGreaterThan(0);
  // Whatever a page throws is logged as one JSON line: never the driver's error with its stack
  // printed as it is, and in no line (JSON included) a failed query's parameters (people's addresses).
  const output = portal.output().slice(from).split('\n');
  expect(output.filter((line) => !line.startsWith('{') && /Failed query|Connection terminated|params:|^\s+at /.test(line))).toEqual([]);
  expect(output.filter((line) => line.includes(domain) || /params/.test(line))).toEqual([]);
  // Every failure was the outage, logged as such; the reference an error page shows is in the log.
  expect(output.filter((line) => line.includes('"msg":"request failed"'))).toEqual([]);
  const digest = errorPage.match(/digest\\?":\\?"(\d+)/)?.[1];
  expect(digest, errorPage.slice(0, 300)).toBeTruthy();
  expect(output.filter((line) => line.includes(`"digest":"${digest}"`) && line.includes('"msg":"request failed: database unavailable"')).length).toBeGreaterThan(0);
  // Every connection a failed page or job had checked out went back to the pool: it recovers
  // without a restart (a transaction whose `begin` failed used to keep its connection for ever).
  const inUse = async () => {
    const text = await (await fetch(`${portal.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    return Number(/portal_db_pool_connections\{state="in_use"\} (\d+)/.exec(text)?.[1] ?? NaN);
  };
  await expect.poll(inUse, { timeout: 15_000, intervals: [250] }).toBe(0);
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
});

test('SIGTERM: the request in flight finishes, no new ones are taken, jobs release their leases, the pool closes', async () => {
  test.setTimeout(90_000);
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  const logBefore = db.serverLog().length;
  try {
    await holder.query('begin');
    await holder.query('lock table users in share mode'); // a write waits (under the 5 s lock timeout)
    const inFlight = scimCreate(`draining@${domain}`);
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((r) => portal.proc.once('exit', (code) => r(code)));
    process.kill(-portal.proc.pid!, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 700));
    await expect(fetch(`${portal.url}/api/health`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
    await holder.query('rollback');
    expect((await inFlight).status).toBe(201);
    expect(await exited, portal.output().slice(-3000)).toBe(0);
  } finally {
    await holder.end();
  }
  const check = new pg.Client({ connectionString: db.url });
  await check.connect();
  try {
    expect((await check.query('select name from job_leases where lease_until > now()')).rows).toEqual([]);
    expect((await check.query('select count(*)::int as n from users where email = $1', [`draining@${domain}`])).rows[0].n).toBe(1);
  } finally {
    await check.end();
  }
  // Every connection of the pool said goodbye: the server saw no client vanish.
  expect(db.serverLog().slice(logBefore)).not.toMatch(/unexpected EOF on client connection|Connection reset by peer/);
  expect(processErrors(), portal.output().slice(-4000)).toEqual([]);
});
