import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { api } from './support/api';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';

/**
 * The portal is SIGKILLed in the middle of a stream of SCIM writes and started again; the client
 * behaves like an IdP (retries what failed, checks existence before re-creating). Afterwards every
 * user exists exactly once, in the right state — nothing answered 2xx was lost, nothing retried
 * was doubled. No browser: the built portal over HTTP.
 */

const KEY = 'scim-crash-spec-operator-key-01';
const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const USERS = 45;

test.describe.configure({ mode: 'serial' });

type Answer = { status: number; body: any };

class Client {
  requests = 0;
  networkErrors = 0;
  serverErrors = 0;
  constructor(
    private readonly scimUrl: string,
    private readonly token: string,
  ) {}

  /** One request; network errors and 5xx are retried (the portal may be down or restarting). */
  async send(method: string, path: string, body?: unknown, deadline = Date.now() + 150_000): Promise<Answer> {
    for (;;) {
      this.requests++;
      try {
        const res = await fetch(`${this.scimUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/scim+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status < 500) return { status: res.status, body: text ? JSON.parse(text) : null };
        this.serverErrors++;
      } catch {
        this.networkErrors++;
      }
      if (Date.now() > deadline) throw new Error(`${method} ${path}: gave up`);
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 150));
    }
  }

  async find(userName: string): Promise<string | null> {
    const r = await this.send('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(r.status).toBe(200);
    expect(r.body.totalResults).toBeLessThanOrEqual(1);
    return r.body.Resources[0]?.id ?? null;
  }

  /** Okta's create: look first, create when missing; a 409 (the first try did land) means look again. */
  async ensureUser(userName: string, email: string): Promise<string> {
    for (;;) {
      const existing = await this.find(userName);
      if (existing) return existing;
      const r = await this.send('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name: { givenName: 'Crash', familyName: 'Test' },
        emails: [{ primary: true, type: 'work', value: email }],
        active: true,
        password: 'never-stored',
      });
      if (r.status === 201) return r.body.id;
      expect(r.status, JSON.stringify(r.body)).toBe(409);
    }
  }
}

async function run(storage: 'pglite' | 'postgres') {
  let cleanup = async () => {};
  const env: Record<string, string> = { OPERATOR_API_KEY: KEY, DATA_DIR: tempDataDir(), PORT: String(await freePort()) };
  if (storage === 'postgres') {
    const name = `portal_crash_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    env.DATABASE_URL = url.toString();
    cleanup = async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  }
  let portal: Portal = await startPortal(env);
  try {
    const base = portal.url;
    const domain = `crash-${storage}-${randomBytes(3).toString('hex')}.example.com`;
    const tenant = (await api('/tenants', { method: 'POST', key: KEY, base, body: { name: `Crash ${storage}`, domains: [domain] } })).body;
    const dir = (await api(`/tenants/${tenant.id}/directories`, { method: 'POST', key: KEY, base, body: { name: 'Crashy', provider: 'okta' } })).body;
    const client = new Client(dir.scimUrl, dir.bearerToken);
    const group = await client.send('POST', '/Groups', { displayName: 'Everyone' });
    expect(group.status).toBe(201);

    let done = 0;
    let restarted: Promise<void> | null = null;
    const work = async (i: number) => {
      const userName = `user${i}@${domain}`;
      const id = await client.ensureUser(userName, userName);
      done++;
      // Mid-stream: kill -9 and start again while the other workers keep sending.
      if (done === 12 && !restarted) {
        restarted = (async () => {
          await portal.stop('SIGKILL');
          portal = await startPortal(env);
        })();
      }
      const add = await client.send('PATCH', `/Groups/${group.body.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
      });
      expect(add.status).toBe(204);
      if (i % 3 === 0) {
        const off = await client.send('PATCH', `/Users/${id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: false } }],
        });
        expect(off.status).toBe(200);
        expect(off.body.active).toBe(false);
      }
    };
    const queue = Array.from({ length: USERS }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) await work(i);
      }),
    );
    await restarted;
    expect(client.networkErrors + client.serverErrors, 'the kill interrupted some requests').toBeGreaterThan(0);

    // Every user exactly once, in the right state.
    const all = await client.send('GET', '/Users?startIndex=1&count=500');
    expect(all.body.totalResults).toBe(USERS);
    const names = all.body.Resources.map((u: { userName: string }) => u.userName).sort();
    expect(names).toEqual(Array.from({ length: USERS }, (_, i) => `user${i}@${domain}`).sort());
    for (const u of all.body.Resources as { userName: string; active: boolean; password?: string }[]) {
      const i = Number(u.userName.match(/^user(\d+)@/)![1]);
      expect(u.active, u.userName).toBe(i % 3 !== 0);
      expect(u).not.toHaveProperty('password');
    }
    const g = await client.send('GET', `/Groups/${group.body.id}`);
    expect(g.body.members).toHaveLength(USERS);
    expect((await client.send('GET', '/Groups')).body.totalResults).toBe(1);

    // …and as portal users, one per email.
    const users = await api(`/tenants/${tenant.id}/users?limit=200`, { key: KEY, base: portal.url });
    expect(users.body.data).toHaveLength(USERS);
    for (const u of users.body.data as { email: string; status: string; groups: string[]; source: string }[]) {
      const i = Number(u.email.match(/^user(\d+)@/)![1]);
      expect(u, u.email).toMatchObject({ source: 'scim', status: i % 3 === 0 ? 'suspended' : 'active', groups: ['Everyone'] });
    }
    console.log(`${storage}: ${client.requests} requests, ${client.networkErrors} network errors, ${client.serverErrors} 5xx during the crash`);
  } finally {
    await portal.stop();
    await cleanup();
  }
}

test('SIGKILL mid-stream of SCIM writes on embedded storage: after restart and retries, every user exactly once', async () => {
  test.setTimeout(300_000);
  await run('pglite');
});

test('SIGKILL mid-stream of SCIM writes on PostgreSQL: after restart and retries, every user exactly once', async () => {
  test.setTimeout(300_000);
  await run('postgres');
});
