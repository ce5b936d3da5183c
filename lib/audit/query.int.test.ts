import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as listRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/route';
import * as exportRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/export/route';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/verify/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import * as operatorLogRoute from '@/app/api/v1/audit-logs/route';
import * as applicationsRoute from '@/app/api/v1/applications/route';
import { getDb } from '../db/client';
import { newId } from '../ids';
import { seedAuditEvents } from '../testing/audit';
import { call } from '../testing/api';
import { listAuditEvents, toAuditView } from './query';

type View = ReturnType<typeof toAuditView>;
type Page = { status: number; headers: Headers; body: { data: View[]; nextCursor: string | null } & Record<string, any> };

const list = (tenantId: string, qs = ''): Promise<Page> =>
  call(listRoute.GET, { path: `/api/v1/tenants/${tenantId}/audit-logs${qs ? `?${qs}` : ''}`, params: { tenantId } });

async function all(tenantId: string, qs: string, limit = 200): Promise<View[]> {
  const out: View[] = [];
  let cursor: string | null = null;
  do {
    const res: Page = await list(tenantId, `${qs}${qs ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

const t0 = Date.UTC(2024, 2, 1, 12, 0, 0); // 2024-03-01T12:00:00Z
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

let tenantId: string;
let other: string;

beforeAll(async () => {
  tenantId = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Audit Filters Inc' } })).body.id;
  other = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Audit Neighbour' } })).body.id;
  await seedAuditEvents(tenantId, [
    { occurredAt: at(0), action: 'sso.login_succeeded', actorType: 'user', actorId: 'usr_alice', actorLabel: 'alice@acme.example', ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    { occurredAt: at(1), action: 'sso.login_failed', outcome: 'failure', actorType: 'idp', actorLabel: 'bob@acme.example', reason: 'signature invalid', ip: '198.51.100.9' },
    { occurredAt: at(2), action: 'user.updated', actorType: 'admin', actorId: 'adm_1', actorLabel: 'Carol Admin', targetType: 'user', targetId: 'usr_alice', targetLabel: 'alice@acme.example', details: { before: { name: 'A' }, after: { name: 'B' } } },
    { occurredAt: at(3), action: 'ssoXlogin', actorType: 'system' },
    { occurredAt: at(4), action: 'connection.created', actorType: 'operator', actorId: 'key_9', actorLabel: 'api key: ci', targetType: 'connection', targetId: 'con_100%_sure', targetLabel: 'Okta' },
    { occurredAt: at(5), action: 'sso.login_failed', outcome: 'failure', actorType: 'user', actorId: 'usr_alice', actorLabel: 'alice@acme.example', reason: 'Audience mismatch', ip: '203.0.113.7' },
  ]);
  await seedAuditEvents(other, [{ occurredAt: at(2), action: 'sso.login_failed', outcome: 'failure', actorType: 'user', actorId: 'usr_alice', actorLabel: 'alice@acme.example' }]);
});

describe('audit log listing', () => {
  it('lists the tenant’s events newest first in the contract shape, omitting empty fields', async () => {
    const res = await list(tenantId);
    expect(res.status).toBe(200);
    const actions = res.body.data.map((e) => e.action);
    expect(actions).toEqual(['tenant.created', 'sso.login_failed', 'connection.created', 'ssoXlogin', 'user.updated', 'sso.login_failed', 'sso.login_succeeded']);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.every((e) => e.tenantId === tenantId)).toBe(true);
    const created = res.body.data[0];
    expect(created).toMatchObject({ outcome: 'success', actor: { type: 'operator', label: 'api key: OPERATOR_API_KEY' }, target: { type: 'tenant', id: tenantId } });
    const bare = res.body.data.find((e) => e.action === 'ssoXlogin')!;
    expect(Object.keys(bare).sort()).toEqual(['action', 'actor', 'id', 'occurredAt', 'outcome', 'tenantId']);
    expect(bare.actor).toEqual({ type: 'system' });
    expect(bare.occurredAt).toBe(at(3).toISOString());
    const upd = res.body.data.find((e) => e.action === 'user.updated')!;
    expect(upd).toEqual({
      id: upd.id,
      occurredAt: at(2).toISOString(),
      tenantId,
      action: 'user.updated',
      outcome: 'success',
      actor: { type: 'admin', id: 'adm_1', label: 'Carol Admin' },
      target: { type: 'user', id: 'usr_alice', label: 'alice@acme.example' },
      details: { before: { name: 'A' }, after: { name: 'B' } },
    });
  });

  it.each([
    ['action=sso.login_failed', ['sso.login_failed', 'sso.login_failed']],
    ['action=sso.*', ['sso.login_failed', 'sso.login_failed', 'sso.login_succeeded']],
    ['action=sso_*', []], // _ is literal, not a LIKE wildcard: ssoXlogin does not match
    ['action=*&outcome=failure', ['sso.login_failed', 'sso.login_failed']],
    ['actorId=usr_alice', ['sso.login_failed', 'sso.login_succeeded']],
    ['targetId=usr_alice', ['user.updated']],
    ['outcome=success&action=sso.*', ['sso.login_succeeded']],
    [`since=${at(1).toISOString()}&until=${at(4).toISOString()}`, ['ssoXlogin', 'user.updated', 'sso.login_failed']],
    ['since=2024-03-01T12:04:00%2B00:00&until=2024-03-01T12:05', ['connection.created']],
    ['until=2024-03-01', []],
    ['q=ALICE', ['sso.login_failed', 'user.updated', 'sso.login_succeeded']], // actor label, target label
    ['q=audience', ['sso.login_failed']], // reason
    ['q=203.0.113', ['sso.login_failed', 'sso.login_succeeded']], // ip
    ['q=100%25_s', ['connection.created']], // target id; % and _ literal
    ['q=100%25x', []],
    ['q=okta', ['connection.created']], // target label
    ['q=login_failed', ['sso.login_failed', 'sso.login_failed']], // action
    ['q=alice&outcome=failure&actorId=usr_alice', ['sso.login_failed']],
  ])('filters %s', async (qs, expected) => {
    const res = await list(tenantId, qs);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e) => e.action)).toEqual(expected);
  });

  it('never shows another tenant’s events, 404s an unknown tenant, and keeps a deleted tenant’s log readable', async () => {
    const mine = await all(tenantId, 'actorId=usr_alice');
    expect(mine.every((e) => e.tenantId === tenantId)).toBe(true);
    const theirs = await all(other, '');
    expect(theirs.map((e) => e.tenantId)).toEqual([other, other]);
    for (const fn of [listRoute.GET, exportRoute.GET, verifyRoute.GET]) {
      const r = await call(fn, { path: '/api/v1/tenants/tnt_nope/audit-logs', params: { tenantId: 'tnt_nope' } });
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
    const gone = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Audit Gone' } })).body.id;
    expect((await call(tenantRoute.DELETE, { method: 'DELETE', params: { tenantId: gone } })).status).toBe(204);
    const kept = await list(gone);
    expect(kept.status).toBe(200);
    expect(kept.body.data.map((e: { action: string; tenantId: string | null }) => [e.action, e.tenantId])).toEqual([
      ['tenant.deleted', gone],
      ['tenant.created', gone],
    ]);
  });

  it('needs the operator key', async () => {
    const r = await call(listRoute.GET, { path: `/api/v1/tenants/${tenantId}/audit-logs`, params: { tenantId }, key: null });
    expect(r.status).toBe(401);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['outcome=maybe', 'outcome'],
    ['since=yesterday', 'since'],
    ['since=2024-02-30', 'since'],
    ['until=2024-13-01T00:00:00Z', 'until'],
    ['until=1700000000', 'until'],
    ['since=2024-03-02&until=2024-03-01', 'until'],
    ['action=s*o*', 'action'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'cursor'],
    // Shaped like a cursor but not one: an impossible time, year 0, a NUL in the id.
    [`cursor=${Buffer.from('["2025-13-45T25:61:61.0Z","x"]').toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from('["2025-02-30T00:00:00.0Z","x"]').toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from('["0000-01-01T00:00:00.0Z","x"]').toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from(JSON.stringify(['2025-01-01T00:00:00.0Z', 'a\u0000b'])).toString('base64url')}`, 'cursor'],
    [`q=${'x'.repeat(201)}`, 'q'],
  ])('refuses %s with 400 naming %s', async (qs, param) => {
    const res = await list(tenantId, qs);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(param);
    if (!qs.startsWith('limit') && !qs.startsWith('cursor')) {
      // The export takes the same filters (and records nothing when they are refused).
      const ex = await call(exportRoute.GET, { path: `/api/v1/tenants/${tenantId}/audit-logs/export?${qs}`, params: { tenantId } });
      expect(ex.status).toBe(400);
      expect(ex.body.errors.map((e: { path: string }) => e.path)).toContain(param);
    }
  });
});

describe('audit log pagination', () => {
  it('walks 130 events (many sharing a timestamp) in pages without gaps or repeats', async () => {
    const id = newId('tnt');
    const events = Array.from({ length: 130 }, (_, i) => ({
      occurredAt: at(Math.floor(i / 20)), // ties: 20 events per minute
      action: i % 3 ? 'sso.login_succeeded' : 'sso.login_failed',
      actorLabel: `user${i}@page.example`,
    }));
    const ids = await seedAuditEvents(id, events);
    const expected = ids
      .map((evt, i) => ({ id: evt, t: events[i].occurredAt.getTime() }))
      .sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : -1))
      .map((e) => e.id);
    for (const limit of [1, 7, 50, 200]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await listAuditEvents({ tenantId: id }, { limit, cursor: cursor ?? undefined });
        expect(page.data.length).toBeLessThanOrEqual(limit);
        seen.push(...page.data.map((r) => r.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(130 / limit));
    }
    // With a filter the cursor continues the filtered walk.
    const failed = [];
    let cursor: string | null = null;
    do {
      const page = await listAuditEvents({ tenantId: id }, { limit: 10, cursor: cursor ?? undefined, action: 'sso.login_failed' });
      failed.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    expect(failed).toHaveLength(44);
    expect(failed.every((r) => r.action === 'sso.login_failed')).toBe(true);
  });

  it('keeps microsecond timestamps apart across pages', async () => {
    const id = newId('tnt');
    const db = await getDb();
    // Rows written by other means than record() may carry microseconds; JS dates keep milliseconds.
    await db.execute(sql`
      insert into audit_events (id, chain_key, seq, tenant_id, occurred_at, action, outcome, actor_type, prev_hash, hash)
      select 'evt_us_' || ${id} || '_' || g, ${id}, g, ${id},
             timestamptz '2024-05-01 10:00:00.123000+00' + (g * interval '1 microsecond'),
             'test.micro', 'success', 'system', 'x', 'x'
      from generate_series(1, 9) g`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listAuditEvents({ tenantId: id }, { limit: 2, cursor: cursor ?? undefined });
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 9 }, (_, i) => `evt_us_${id}_${9 - i}`));
  });

  it('pages through the API with nextCursor', async () => {
    const got = await all(tenantId, '', 2);
    expect(got.map((e) => e.action)).toEqual(['tenant.created', 'sso.login_failed', 'connection.created', 'ssoXlogin', 'user.updated', 'sso.login_failed', 'sso.login_succeeded']);
    const first = await list(tenantId, 'limit=3');
    expect(first.body.data).toHaveLength(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
  });

  it('lists every tenant for the operator view, optionally one', async () => {
    const page = await listAuditEvents({ allTenants: true }, { limit: 200 });
    expect(page.data.length).toBeGreaterThan(0);
    const one = await listAuditEvents({ allTenants: true, tenantId: other }, { limit: 200 });
    expect(one.data.map((r) => r.tenantId)).toEqual([other, other]);
  });
});

describe('the operator’s audit log through the API', () => {
  const operatorLog = (qs = '', key?: string | null): Promise<Page> => call(operatorLogRoute.GET, { path: `/api/v1/audit-logs${qs ? `?${qs}` : ''}`, ...(key !== undefined ? { key } : {}) });

  it('lists operator-wide events (an application’s) with every tenant’s, newest first; ?tenantId= narrows to one tenant', async () => {
    const app = await call(applicationsRoute.POST, { method: 'POST', body: { name: 'Audited product', redirectUris: ['https://app.audited.example/cb'] } });
    expect(app.status).toBe(201);
    const res = await operatorLog(`action=application.*&targetId=${app.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({ action: 'application.created', tenantId: null, actor: expect.objectContaining({ type: 'operator' }), target: expect.objectContaining({ type: 'application', id: app.body.id }) }),
    ]);
    const everything = await operatorLog('limit=200');
    const times = everything.body.data.map((e) => e.occurredAt);
    expect(times).toEqual([...times].sort().reverse());
    const one = await operatorLog(`tenantId=${other}`);
    expect(one.body.data.map((e) => [e.tenantId, e.action])).toEqual([
      [other, 'tenant.created'],
      [other, 'sso.login_failed'],
    ]);
  });

  it('pages with nextCursor, needs the operator key, and refuses a bad filter with a 400 naming it', async () => {
    const first = await operatorLog(`tenantId=${tenantId}&limit=3`);
    const second = await operatorLog(`tenantId=${tenantId}&limit=3&cursor=${encodeURIComponent(first.body.nextCursor!)}`);
    expect([...first.body.data, ...second.body.data].map((e) => e.action)).toEqual(['tenant.created', 'sso.login_failed', 'connection.created', 'ssoXlogin', 'user.updated', 'sso.login_failed']);
    expect((await operatorLog('', null)).status).toBe(401);
    expect((await operatorLog('', 'wrong-key')).status).toBe(401);
    const bad = await operatorLog('outcome=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'outcome' })]);
  });
});
