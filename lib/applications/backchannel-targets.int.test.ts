import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as appsRoute from '@/app/api/v1/applications/route';
import * as appRoute from '@/app/api/v1/applications/[applicationId]/route';
import { getDb } from '@/lib/db/client';
import { applications, backchannelDeliveries } from '@/lib/db/schema';
import { env } from '@/lib/env';
import { call } from '@/lib/testing/api';
import { deliverDue } from './backchannel';
import { resetOidcProvider } from './provider';

/**
 * A back-channel logout URI is called by the portal's server: as for webhooks and metadata URLs,
 * only public addresses, so that the operator's console is no scanner of the portal's own
 * network. Here as in production: PUBLIC_URL on https, ALLOW_PRIVATE_URLS off.
 */
process.env.PUBLIC_URL = 'https://portal.example.test';
(globalThis as Record<string, unknown>).__portalEnv = undefined;

/** A port on this machine that counts the connections it receives. */
const connections: number[] = [];
const listener = net.createServer((s) => {
  connections.push(1);
  s.on('error', () => {});
});
let port = 0;

beforeAll(async () => {
  expect(env().loopbackHttp).toBe(false);
  await getDb();
  resetOidcProvider();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => listener.close());

const create = (backchannelLogoutUri: string) =>
  call(appsRoute.POST, { method: 'POST', body: { name: 'Product', redirectUris: ['https://app.example.test/cb'], backchannelLogoutUri } });

describe('back-channel logout URIs reach public addresses only', () => {
  it.each(['https://127.0.0.1:8443/bc', 'https://10.0.0.1/bc', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:7f00:1]/bc', 'https://localhost/bc', 'https://localhost./bc', 'https://a.localhost../bc', 'http://127.0.0.1:8080/bc'])(
    'refuses %s at registration and on a change, naming the field',
    async (uri) => {
      const res = await create(uri);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain('backchannelLogoutUri');
      const app = await create('https://app.example.test/bc');
      expect(app.status).toBe(201);
      const patch = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: app.body.id }, body: { backchannelLogoutUri: uri } });
      expect(patch.status).toBe(400);
      expect(JSON.stringify(patch.body.errors)).toContain('backchannelLogoutUri');
      expect((await call(appRoute.GET, { params: { applicationId: app.body.id } })).body.backchannelLogoutUri).toBe('https://app.example.test/bc');
    },
  );

  it('a stored URI that points inside (registered before this rule) is never connected to, and its error says nothing of the port', async () => {
    const app = await create('https://app.example.test/bc');
    const db = await getDb();
    for (const uri of [`https://127.0.0.1:${port}/bc`, `https://127.0.0.1:${port + 1 === 65536 ? port - 1 : port + 1}/closed`]) {
      await db.update(applications).set({ backchannelLogoutUri: uri }).where(eq(applications.id, app.body.id));
      resetOidcProvider();
      await db.delete(backchannelDeliveries).where(eq(backchannelDeliveries.applicationId, app.body.id));
      await db.insert(backchannelDeliveries).values({ id: `bcl_t${Math.random().toString(36).slice(2)}`, applicationId: app.body.id, accountId: 'usr_x', sid: 'sid-x', reason: 'session_ended' });
      const before = connections.length;
      await deliverDue();
      expect(connections.length).toBe(before);
      const [row] = await db.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.applicationId, app.body.id));
      expect(row.status).toBe('pending');
      expect(row.lastError).toMatch(/private|not allowed/);
      expect(row.lastError).not.toMatch(/ECONNREFUSED|timeout|certificate|altnames/i);
    }
  }, 60_000);

  it('a delivery queued earlier within the same millisecond is due (the database keeps microseconds)', async () => {
    const app = await create('https://app.example.test/bc');
    const db = await getDb();
    await db.update(applications).set({ backchannelLogoutUri: `https://127.0.0.1:${port}/bc` }).where(eq(applications.id, app.body.id));
    resetOidcProvider();
    const at = Date.now();
    const id = `bcl_t${Math.random().toString(36).slice(2)}`;
    await db.insert(backchannelDeliveries).values({ id, applicationId: app.body.id, accountId: 'usr_x', sid: 'sid-x', reason: 'session_ended' });
    // Queued 0.4 ms into the millisecond the job then runs in.
    await db.execute(sql`update ${backchannelDeliveries} set next_attempt_at = to_timestamp(${at / 1000}) + interval '400 microseconds' where id = ${id}`);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(at);
      await deliverDue();
    } finally {
      vi.useRealTimers();
    }
    const [row] = await db.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.id, id));
    expect(row.attempts).toBe(1);
  });
});
