import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { TestReceiver } from '../lib/webhooks/test-receiver';
import { startOidcIdp, type OidcIdp } from './idp/oidc-idp';
import { TestSamlIdp } from './idp/saml-idp';
import { api } from './support/api';
import { NodeBrowser } from './support/node-browser';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';
import { RoundRobin } from './support/round-robin';

/**
 * Two instances on one PostgreSQL behind a round-robin load balancer (each request to the next
 * instance), as the README's deployment section describes: SAML and OIDC sign-ins whose steps land
 * on different instances, SCIM pushes spread over both, webhook delivery with the delivering
 * instance SIGKILLed midway (every event delivered, in order), and the scheduled jobs shared
 * between them, each run on one instance at a time.
 */

const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'many-instances-spec-key-01234567';
const OIDC_CLIENT = { client_id: 'many-instances', client_secret: 'many-instances-secret-0123456789' };
test.describe.configure({ mode: 'serial' });

let dbName: string;
let dbUrl: string;
let lb: RoundRobin;
let a: Portal;
let b: Portal;
let oidcIdp: OidcIdp;
const domain = `many-${randomBytes(3).toString('hex')}.example.com`;
let tenantId: string;

const measured = (name: string, ms: number) => {
  console.log(`measured: ${name} ${ms} ms`);
  test.info().annotations.push({ type: 'measured', description: `${name}: ${ms} ms` });
};

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

test.beforeAll(async ({}, info) => {
  info.setTimeout(180_000);
  dbName = `portal_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${dbName}`;
  dbUrl = url.toString();
  const lbPort = await freePort();
  const publicUrl = `http://localhost:${lbPort}`;
  // Everything the instances must share (README, "Many instances").
  const shared = {
    DATABASE_URL: dbUrl,
    OPERATOR_API_KEY: KEY,
    AUTH_SECRET: randomBytes(32).toString('hex'),
    PUBLIC_URL: publicUrl,
    ALLOW_PRIVATE_URLS: 'true',
    LOG_LEVEL: 'debug',
  };
  [a, b] = await Promise.all([startPortal({ ...shared, DATA_DIR: tempDataDir() }), startPortal({ ...shared, DATA_DIR: tempDataDir() })]);
  lb = await RoundRobin.start([a.url, b.url], lbPort);
  oidcIdp = await startOidcIdp({
    port: await freePort(),
    clients: [{ ...OIDC_CLIENT, redirect_uris: [`${publicUrl}/api/oauth/oidc`] }],
    users: [{ sub: 'oidc-ada', email: `ada@${domain}`, given_name: 'Ada', family_name: 'Lovelace', groups: ['Engineering'] }],
  });
  tenantId = (await api('/tenants', { method: 'POST', key: KEY, base: lb.url, body: { name: 'Many Co', domains: [domain] } })).body.id;
  expect((await api(`/tenants/${tenantId}/provisioning`, { method: 'PUT', key: KEY, base: lb.url, body: { strategy: 'jit', defaultRole: 'member' } })).status).toBe(200);
});

test.afterAll(async () => {
  await oidcIdp?.close();
  await lb?.close();
  await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
});

test('SAML sign-ins through the load balancer: /sso, the ACS and the callback on different instances', async () => {
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  const created = await api(`/tenants/${tenantId}/connections`, { method: 'POST', key: KEY, base: lb.url, body: { type: 'saml', metadataXml: idp.metadataXml() } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  for (let i = 0; i < 4; i++) {
    const email = `saml${i}@${domain}`;
    const before = lb.served.length;
    const browser = new NodeBrowser(lb.url, [lb.url], idp, { acsUrl: `${lb.url}/api/oauth/saml`, entityId: `${lb.url}/.well-known/sp-metadata` }, email);
    const end = await browser.go(`${lb.url}/sso?email=${encodeURIComponent(email)}`);
    expect(end.url.pathname, end.text?.slice(0, 300)).toBe('/app');
    expect(end.status).toBe(200);
    expect(new Set(lb.served.slice(before).map((s) => s.instance))).toEqual(new Set([a.url, b.url]));
  }
  const users = (await api(`/tenants/${tenantId}/users?limit=100`, { key: KEY, base: lb.url })).body.data as { email: string }[];
  expect(users.filter((u) => u.email.startsWith('saml')).length).toBe(4);
  // The connection is switched off again so that the OIDC sign-in below uses the tenant's OIDC connection.
  expect([200, 204]).toContain((await api(`/tenants/${tenantId}/connections/${created.body.id}`, { method: 'DELETE', key: KEY, base: lb.url })).status);
});

test('an OIDC sign-in in Chromium through the load balancer: its steps on both instances', async ({ page }) => {
  const created = await api(`/tenants/${tenantId}/connections`, {
    method: 'POST',
    key: KEY,
    base: lb.url,
    body: { type: 'oidc', discoveryUrl: oidcIdp.discoveryUrl, clientId: OIDC_CLIENT.client_id, clientSecret: OIDC_CLIENT.client_secret },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const before = lb.served.length;
  await page.goto(`${lb.url}/signin`);
  await page.getByLabel('Work email', { exact: true }).fill(`ada@${domain}`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: `Sign in as ada@${domain}` }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByTestId('user-email')).toHaveText(`ada@${domain}`);
  const steps = lb.served.slice(before).filter((s) => !s.path.startsWith('/_next/'));
  expect(new Set(steps.map((s) => s.instance))).toEqual(new Set([a.url, b.url]));
  expect(steps.some((s) => s.path === '/api/oauth/oidc')).toBe(true);
});

test('SCIM pushes spread over both instances: every user once', async () => {
  const dir = (await api(`/tenants/${tenantId}/directories`, { method: 'POST', key: KEY, base: lb.url, body: { name: 'Okta', provider: 'okta' } })).body;
  const before = lb.served.length;
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      fetch(`${dir.scimUrl}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dir.bearerToken}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `pushed${i}@${domain}`,
          name: { givenName: 'Pushed', familyName: String(i) },
          emails: [{ value: `pushed${i}@${domain}`, primary: true, type: 'work' }],
          active: true,
        }),
      }).then((r) => r.status),
    ),
  );
  expect(answers).toEqual(Array(20).fill(201));
  expect(lb.served.slice(before).filter((s) => s.path.includes('/Users')).map((s) => s.instance).sort()).toEqual([...Array(10).fill(a.url), ...Array(10).fill(b.url)].sort());
  const rows = await query<{ email: string; n: number }>("select email, count(*)::int as n from users where email like 'pushed%' group by email");
  expect(rows).toHaveLength(20);
  expect(rows.every((r) => r.n === 1)).toBe(true);
});

test('webhook delivery with the delivering instance killed midway: every event delivered, in order; the survivor takes over', async () => {
  test.setTimeout(120_000);
  const receiver = await new TestReceiver().start();
  try {
    const hook = await api(`/tenants/${tenantId}/webhooks`, { method: 'POST', key: KEY, base: lb.url, body: { url: receiver.url, events: ['user.suspended', 'user.reactivated'] } });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    // A slow receiver, so that delivery is still under way when its instance dies.
    receiver.delayMs = 150;
    const users = ((await api(`/tenants/${tenantId}/users?limit=100`, { key: KEY, base: lb.url })).body.data as { id: string; email: string }[]).filter((u) => u.email.startsWith('pushed'));
    for (const u of users) expect((await api(`/tenants/${tenantId}/users/${u.id}/suspend`, { method: 'POST', key: KEY, base: lb.url })).status).toBe(200);

    // Midway: some delivered, and a run delivering the rest (between two runs no instance holds the lease).
    let holder = '';
    await expect
      .poll(
        async () => {
          if (receiver.received.length < 5) return false;
          holder = (await query<{ holder: string }>("select holder from job_leases where name = 'webhooks' and lease_until > now()"))[0]?.holder ?? '';
          return holder !== '';
        },
        { timeout: 30_000, intervals: [50] },
      )
      .toBe(true);
    const pid = Number(holder.split(':')[1]); // the instance's server process (hostname:pid:run)
    const parent = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const victim = [a, b].find((p) => p.proc.pid === parent)!;
    expect(victim, `the holder ${holder} is neither instance`).toBeDefined();
    const survivor = victim === a ? b : a;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    const receivedAtKill = receiver.received.length;
    await expect.poll(() => receiver.uniqueIds.length, { timeout: 60_000, intervals: [200] }).toBe(users.length);
    const expected = (
      await query<{ id: string }>("select id from audit_events where tenant_id = $1 and action = 'user.suspended' order by seq", [tenantId])
    ).map((r) => r.id);
    const resumed = receiver.received.slice(receivedAtKill).find((r) => r.at > killedAt);
    if (resumed) measured('delivery resumed on the surviving instance after', resumed.at - killedAt);
    // Every event, in the order of the audit log; at most the one in flight at the kill came twice.
    expect(receiver.uniqueIds).toEqual(expected);
    expect(receiver.received.length - receiver.uniqueIds.length).toBeLessThanOrEqual(1);
    // The survivor's run that delivered them ends (and logs) once its last delivery is committed.
    await expect.poll(() => survivor.output(), { timeout: 20_000 }).toMatch(/"msg":"job ran","job":"webhooks"/);
  } finally {
    await receiver.stop();
  }
});

test('the scheduled jobs ran, each on one instance at a time', async () => {
  type Run = { job: string; holder: string; started: number; ended: number };
  const runs: Run[] = [];
  for (const p of [a, b]) {
    for (const line of p.output().split('\n')) {
      if (!line.includes('"msg":"job ran"')) continue;
      runs.push(JSON.parse(line) as Run);
    }
  }
  // What ran where, for the failure message.
  const tally = new Map<string, number>();
  for (const r of runs) tally.set(`${r.job} on ${r.holder}`, (tally.get(`${r.job} on ${r.holder}`) ?? 0) + 1);
  const seen = `runs: ${JSON.stringify(Object.fromEntries(tally))}`;
  // That both instances run jobs the webhook test shows: one held the lease at the kill, the other
  // delivered after it. Counting finished runs per instance would be chance: the instance that ran
  // a job last ticks again just as it falls due, so it keeps the job about nine times in ten, and
  // the other's only run may be the one the kill cut short (no "job ran" line).
  expect(runs.length, seen).toBeGreaterThan(5);
  // No connection was taken for stalled while it merely sat idle.
  for (const p of [a, b]) expect(p.output()).not.toContain('silent too long');
  const byJob = new Map<string, Run[]>();
  for (const r of runs) byJob.set(r.job, [...(byJob.get(r.job) ?? []), r]);
  for (const [job, list] of byJob) {
    list.sort((x, y) => x.started - y.started);
    for (let i = 1; i < list.length; i++) {
      expect(list[i].started, `${job}: a run began before the one before it ended`).toBeGreaterThanOrEqual(list[i - 1].ended);
    }
  }
});
