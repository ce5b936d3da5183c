import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as exportRoute from '@/app/api/v1/tenants/[tenantId]/access-review/export/route';
import * as reviewRoute from '@/app/api/v1/tenants/[tenantId]/access-review/route';
import * as policyRoute from '@/app/api/v1/tenants/[tenantId]/inactivity-policy/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as bulkRoute from '@/app/api/v1/tenants/[tenantId]/users/bulk-suspend/route';
import * as openapiRoute from '@/app/api/v1/openapi.json/route';
import { getDb } from '../db/client';
import { auditEvents, sessions, tenants, users, type User } from '../db/schema';
import { newId } from '../ids';
import { runJob } from '../jobs/scheduler';
import { liveSession } from '../dal/sessions';
import { call } from '../testing/api';
import { samlSignIn, samlTenant } from '../testing/sso';
import { inactivityJob } from './jobs';
import { accessReviewStats, nextToSuspend } from './query';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

async function tenant(name = 'Review Co') {
  return (await call(tenantRoutes.POST, { method: 'POST', body: { name } })).body as { id: string; name: string; slug: string };
}

type Seed = Partial<Omit<User, 'id' | 'tenantId'>> & { email: string };
async function addUser(tenantId: string, u: Seed): Promise<User> {
  const db = await getDb();
  const [row] = await db
    .insert(users)
    .values({ id: newId('usr'), tenantId, source: 'jit', roles: ['member'], createdAt: ago(365), ...u })
    .returning();
  return row;
}
async function addSession(u: User) {
  const db = await getDb();
  const id = newId('ses');
  await db.insert(sessions).values({ id, kind: 'user', subjectId: u.id, tenantId: u.tenantId, expiresAt: new Date(Date.now() + DAY) });
  return id;
}
async function events(tenantId: string, action?: string) {
  const db = await getDb();
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(asc(auditEvents.id));
  return action ? rows.filter((r) => r.action === action) : rows;
}
const review = (tenantId: string, query = '') => call(reviewRoute.GET, { params: { tenantId }, path: `/api/v1/tenants/${tenantId}/access-review${query}` });
const emails = (r: { body: { data: { email: string }[] } }) => r.body.data.map((u) => u.email);

/** A tenant with one user of each kind. */
async function population() {
  const t = await tenant();
  const u = {
    recent: await addUser(t.id, { email: 'recent@r.example', lastLoginAt: ago(2), roles: ['admin'] }),
    month: await addUser(t.id, { email: 'month@r.example', lastLoginAt: ago(45), roles: ['member', 'editor'] }),
    ancient: await addUser(t.id, { email: 'ancient@r.example', lastLoginAt: ago(200) }),
    never: await addUser(t.id, { email: 'never@r.example', lastLoginAt: null, createdAt: ago(90), roles: [] }),
    fresh: await addUser(t.id, { email: 'fresh@r.example', lastLoginAt: null, createdAt: ago(1) }),
    scim: await addUser(t.id, { email: 'scim@r.example', source: 'scim', lastLoginAt: null, createdAt: ago(300) }),
    gone: await addUser(t.id, { email: 'gone@r.example', lastLoginAt: ago(120), status: 'suspended', suspendedBy: 'admin' }),
  };
  return { t, u };
}

describe('access review API', () => {
  it('lists every user, most inactive first, with days inactive; filters by never signed in, inactivity, role, status, source', async () => {
    const { t, u } = await population();
    const other = await tenant('Someone Else');
    await addUser(other.id, { email: 'other@r.example', lastLoginAt: null, createdAt: ago(999) });

    const all = await review(t.id);
    expect(all.status).toBe(200);
    expect(emails(all)).toEqual(['scim@r.example', 'ancient@r.example', 'gone@r.example', 'never@r.example', 'month@r.example', 'recent@r.example', 'fresh@r.example']);
    expect(all.body.nextCursor).toBeNull();
    const month = all.body.data.find((x: { id: string }) => x.id === u.month.id);
    expect(month).toMatchObject({ tenantId: t.id, email: 'month@r.example', roles: ['member', 'editor'], source: 'jit', status: 'active', daysInactive: 45 });
    expect(month.lastLoginAt).toBe(u.month.lastLoginAt!.toISOString());
    expect(all.body.data.find((x: { id: string }) => x.id === u.never.id)).toMatchObject({ lastLoginAt: null, daysInactive: 90 });

    expect(emails(await review(t.id, '?filter=never_signed_in'))).toEqual(['scim@r.example', 'never@r.example', 'fresh@r.example']);
    // inactive: default 30 days without a policy
    expect(emails(await review(t.id, '?filter=inactive'))).toEqual(['scim@r.example', 'ancient@r.example', 'gone@r.example', 'never@r.example', 'month@r.example']);
    expect(emails(await review(t.id, '?filter=inactive&inactiveDays=100'))).toEqual(['scim@r.example', 'ancient@r.example', 'gone@r.example']);
    expect(emails(await review(t.id, '?inactiveDays=150'))).toEqual(['scim@r.example', 'ancient@r.example']);
    expect(emails(await review(t.id, '?filter=inactive&status=active&role=member&source=jit'))).toEqual(['ancient@r.example', 'month@r.example']);
    expect(emails(await review(t.id, '?role=admin'))).toEqual(['recent@r.example']);
    expect(emails(await review(t.id, '?status=suspended'))).toEqual(['gone@r.example']);
    expect(emails(await review(t.id, '?source=scim'))).toEqual(['scim@r.example']);
    expect(emails(await review(t.id, '?role=nobody'))).toEqual([]);

    // With a policy of 60 days, "inactive" defaults to 60.
    await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: 60 } });
    expect(emails(await review(t.id, '?filter=inactive'))).toEqual(['scim@r.example', 'ancient@r.example', 'gone@r.example', 'never@r.example']);
  });

  it('pages with a cursor through every user exactly once', async () => {
    const t = await tenant();
    const made: string[] = [];
    const same = ago(10);
    for (let i = 0; i < 7; i++) made.push((await addUser(t.id, { email: `p${i}@r.example`, lastLoginAt: i < 4 ? same : ago(i) })).email);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 10; n++) {
      const r: Awaited<ReturnType<typeof review>> = await review(t.id, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...emails(r));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(made.sort());
    expect(new Set(seen).size).toBe(7);
  });

  it.each([
    ['?filter=dormant', 'filter'],
    ['?inactiveDays=0', 'inactiveDays'],
    ['?inactiveDays=3651', 'inactiveDays'],
    ['?inactiveDays=abc', 'inactiveDays'],
    ['?inactiveDays=2.5', 'inactiveDays'],
    ['?filter=never_signed_in&inactiveDays=10', 'inactiveDays'],
    ['?status=deleted', 'status'],
    ['?source=ldap', 'source'],
    ['?limit=500', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${Buffer.from('["2025-13-45T25:61:61.0Z","x"]').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from('["0000-01-01T00:00:00.0Z","x"]').toString('base64url')}`, 'cursor'],
    [`?cursor=${Buffer.from(JSON.stringify(['2025-01-01T00:00:00.0Z', 'a\u0000b'])).toString('base64url')}`, 'cursor'],
  ])('%s → 400 naming %s', async (q, field) => {
    const t = await tenant();
    const r = await review(t.id, q);
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    if (field !== 'limit' && field !== 'cursor') {
      // The export takes the same filters (not the paging) and refuses them the same way.
      const x = await call(exportRoute.GET, { params: { tenantId: t.id }, path: `/x${q}` });
      expect(x.status).toBe(400);
      expect(await events(t.id, 'access_review.exported')).toHaveLength(0);
    }
  });

  it('an unknown tenant is a 404', async () => {
    expect((await review('tnt_nope')).status).toBe(404);
    expect((await call(bulkRoute.POST, { method: 'POST', params: { tenantId: 'tnt_nope' }, body: { userIds: ['usr_x'] } })).status).toBe(404);
  });

  it('exports the same filtered list as CSV, streamed, with formula injection neutralised, and records the export', async () => {
    const { t } = await population();
    await addUser(t.id, { email: 'evil@r.example', firstName: '=HYPERLINK("http://x","y")', lastName: '+1, "two"', lastLoginAt: ago(500) });
    const r = await call(exportRoute.GET, { params: { tenantId: t.id }, path: '/x?filter=inactive&inactiveDays=100&status=active' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="access-review-review-co.*\.csv"$/);
    const lines = (r.body as string).split('\r\n');
    expect(lines[0]).toBe('id,email,first_name,last_name,roles,groups,source,status,last_sign_in_at,created_at,days_inactive');
    expect(lines.slice(1, -1).map((l) => l.split(',')[1])).toEqual(['evil@r.example', 'scim@r.example', 'ancient@r.example']);
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://x"",""y"")","'+1, ""two""",`);
    expect(lines.at(-1)).toBe('');
    const ev = await events(t.id, 'access_review.exported');
    expect(ev).toHaveLength(1);
    expect(ev[0].details).toMatchObject({ format: 'csv', via: 'api', filters: { filter: 'inactive', inactiveDays: 100, status: 'active' } });
  });

  it('exports in batches larger than one page (memory stays flat)', async () => {
    const t = await tenant();
    for (let i = 0; i < 30; i++) await addUser(t.id, { email: `b${String(i).padStart(2, '0')}@r.example`, lastLoginAt: ago(i) });
    const { reviewCsvStream } = await import('./export');
    const text = await new Response(reviewCsvStream(t.id, {}, { batchSize: 7 })).text();
    const rows = text.split('\r\n').slice(1, -1);
    expect(rows).toHaveLength(30);
    expect(rows[0].split(',')[1]).toBe('b29@r.example');
    expect(rows[29].split(',')[1]).toBe('b00@r.example');
  });

  it('counts active, dormant, suspended and users per role; says who the policy suspends next and when', async () => {
    const { t, u } = await population();
    const s = await accessReviewStats(t.id, 30, ['admin', 'editor', 'member', 'viewer']);
    expect(s).toMatchObject({ total: 7, suspended: 1, dormant: 4, active: 2, neverSignedIn: 3, dormantDays: 30 });
    expect(s.roles).toEqual([
      { role: 'member', users: 5 },
      { role: 'admin', users: 1 },
      { role: 'editor', users: 1 },
      { role: 'viewer', users: 0 },
      { role: null, users: 1 },
    ]);
    const next = await nextToSuspend(t.id, 30, 3);
    expect(next.map((n) => n.email)).toEqual(['ancient@r.example', 'never@r.example', 'month@r.example']);
    expect(next[0].dueAt).toBe(new Date(u.ancient.lastLoginAt!.getTime() + 30 * DAY).toISOString());
    expect(next[1].dueAt).toBe(new Date(u.never.createdAt.getTime() + 30 * DAY).toISOString());
  });

  it('is described in openapi.json', async () => {
    const r = await call(async () => openapiRoute.GET(), { key: null });
    const paths = Object.keys(r.body.paths);
    for (const p of ['/tenants/{tenantId}/access-review', '/tenants/{tenantId}/access-review/export', '/tenants/{tenantId}/users/bulk-suspend', '/tenants/{tenantId}/inactivity-policy', '/tenants/{tenantId}/audit-logs/retention']) {
      expect(paths.some((x) => x.endsWith(p))).toBe(true);
    }
  });
});

describe('bulk suspend', () => {
  it('suspends every named user in one transaction: sessions end at once, one user.suspended each', async () => {
    const { t, u } = await population();
    const s1 = await addSession(u.recent);
    const s2 = await addSession(u.month);
    const r = await call(bulkRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { userIds: [u.recent.id, u.month.id, u.gone.id, u.recent.id] } });
    expect(r.status).toBe(200);
    expect(r.body.suspended).toBe(2); // gone was already suspended by an admin
    expect(r.body.data.map((x: { status: string }) => x.status)).toEqual(['suspended', 'suspended', 'suspended']);
    expect(await liveSession(s1)).toBeNull();
    expect(await liveSession(s2)).toBeNull();
    const db = await getDb();
    const rows = await db.select().from(users).where(eq(users.tenantId, t.id));
    expect(rows.filter((x) => x.status === 'suspended').map((x) => x.email).sort()).toEqual(['gone@r.example', 'month@r.example', 'recent@r.example']);
    expect(rows.find((x) => x.id === u.recent.id)!.suspendedBy).toBe('admin');
    const ev = await events(t.id, 'user.suspended');
    expect(ev.map((e) => e.targetId).sort()).toEqual([u.recent.id, u.month.id].sort());
    expect(ev[0]).toMatchObject({ actorType: 'operator', reason: 'admin', details: { before: { status: 'active' }, after: { status: 'suspended' }, suspendedBy: 'admin' } });
    expect(new Set(ev.map((e) => e.occurredAt.getTime())).size).toBe(1); // one transaction
  });

  it('an unknown or another tenant’s id → 400 naming them, and nobody is suspended', async () => {
    const { t, u } = await population();
    const other = await tenant('Other');
    const foreign = await addUser(other.id, { email: 'foreign@r.example' });
    const sid = await addSession(u.recent);
    const before = (await events(t.id)).length;
    const r = await call(bulkRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { userIds: [u.recent.id, 'usr_unknown', foreign.id] } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('usr_unknown');
    expect(r.body.detail).toContain(foreign.id);
    expect(r.body.errors).toEqual([
      { path: 'userIds.1', message: 'no user usr_unknown in this tenant' },
      { path: 'userIds.2', message: `no user ${foreign.id} in this tenant` },
    ]);
    const db = await getDb();
    expect((await db.select().from(users).where(and(eq(users.tenantId, t.id), eq(users.status, 'suspended')))).map((x) => x.email)).toEqual(['gone@r.example']);
    expect((await db.select().from(users).where(eq(users.id, foreign.id)))[0].status).toBe('active');
    expect(await liveSession(sid)).not.toBeNull();
    expect((await events(t.id)).length).toBe(before);
  });

  it.each([
    [{}, 'userIds'],
    [{ userIds: [] }, 'userIds'],
    [{ userIds: 'usr_1' }, 'userIds'],
    [{ userIds: [1] }, 'userIds.0'],
    [{ userIds: [''] }, 'userIds.0'],
    [{ userIds: Array.from({ length: 501 }, (_, i) => `usr_${i}`) }, 'userIds'],
  ])('bad body %# → 400 naming %s', async (body, path) => {
    const t = await tenant();
    const before = (await events(t.id)).length;
    const r = await call(bulkRoute.POST, { method: 'POST', params: { tenantId: t.id }, body });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await events(t.id)).length).toBe(before);
  });

  it('accepts 500 users in one request', async () => {
    const t = await tenant();
    const db = await getDb();
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: newId('usr'), tenantId: t.id, email: `m${i}@r.example`, source: 'jit' as const }));
    await db.insert(users).values(rows);
    const r = await call(bulkRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { userIds: rows.map((x) => x.id) } });
    expect(r.status).toBe(200);
    expect(r.body.suspended).toBe(500);
    expect(await events(t.id, 'user.suspended')).toHaveLength(500);
  });
});

describe('inactivity policy', () => {
  it('GET is off (null) by default; PUT sets and turns it off with inactivity_policy.updated (before/after)', async () => {
    const t = await tenant();
    expect((await call(policyRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ inactivityDays: null });
    const put = await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: 90 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ inactivityDays: 90 });
    expect((await call(policyRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ inactivityDays: 90 });
    await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: 90 } }); // no change, no event
    await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: null } });
    const ev = await events(t.id, 'inactivity_policy.updated');
    expect(ev.map((e) => e.details)).toEqual([
      { before: { inactivityDays: null }, after: { inactivityDays: 90 } },
      { before: { inactivityDays: 90 }, after: { inactivityDays: null } },
    ]);
    expect(ev[0].actorType).toBe('operator');
  });

  it.each([[{ inactivityDays: 0 }], [{ inactivityDays: 3651 }], [{ inactivityDays: 1.5 }], [{ inactivityDays: '30' }], [{ inactivityDays: true }], [{}]])(
    'refuses %j with 400 naming inactivityDays and writes nothing',
    async (body) => {
      const t = await tenant();
      await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: 60 } });
      const before = (await events(t.id)).length;
      const r = await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('inactivityDays');
      expect((await call(policyRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ inactivityDays: 60 });
      expect((await events(t.id)).length).toBe(before);
    },
  );

  it('the job suspends active non-SCIM users past the policy (never signed in: from creation), ends their sessions, system actor, reason inactive', async () => {
    const { t, u } = await population();
    const off = await population(); // policy off: nobody there is touched
    const db = await getDb();
    await db.update(tenants).set({ inactivityDays: 30 }).where(eq(tenants.id, t.id));
    const sid = await addSession(u.month);
    const keep = await addSession(u.recent);

    const r = await runJob(inactivityJob, { force: true });
    expect(Number(r?.suspended)).toBeGreaterThanOrEqual(3); // other tenants of this file may have a policy too
    const rows = await db.select().from(users).where(eq(users.tenantId, t.id));
    const status = Object.fromEntries(rows.map((x) => [x.email.split('@')[0], `${x.status}:${x.suspendedBy ?? ''}`]));
    expect(status).toEqual({
      recent: 'active:',
      month: 'suspended:policy',
      ancient: 'suspended:policy',
      never: 'suspended:policy',
      fresh: 'active:',
      scim: 'active:', // the directory owns SCIM users' lifecycle
      gone: 'suspended:admin', // an admin's suspension stays the admin's
    });
    expect(await liveSession(sid)).toBeNull();
    expect(await liveSession(keep)).not.toBeNull();
    const ev = await events(t.id, 'user.suspended');
    expect(ev).toHaveLength(3);
    for (const e of ev) expect(e).toMatchObject({ actorType: 'system', actorLabel: 'inactivity policy', reason: 'inactive', details: { suspendedBy: 'policy', inactivityDays: 30 } });
    expect(ev.find((e) => e.targetId === u.never.id)!.details).toMatchObject({ neverSignedIn: true, lastActivityAt: u.never.createdAt.toISOString() });
    expect((await db.select().from(users).where(and(eq(users.tenantId, off.t.id), eq(users.status, 'suspended')))).map((x) => x.email)).toEqual(['gone@r.example']);

    // Nothing left to do: a second run suspends nobody and records nothing.
    await runJob(inactivityJob, { force: true });
    expect(await events(t.id, 'user.suspended')).toHaveLength(3);
    await db.update(tenants).set({ inactivityDays: null }).where(eq(tenants.id, t.id));
  });

  it('works in bounded batches of users, one transaction each', async () => {
    const t = await tenant();
    const db = await getDb();
    await db.insert(users).values(Array.from({ length: 25 }, (_, i) => ({ id: newId('usr'), tenantId: t.id, email: `z${i}@r.example`, source: 'jit' as const, createdAt: ago(50) })));
    await db.update(tenants).set({ inactivityDays: 10 }).where(eq(tenants.id, t.id));
    const { suspendInactiveUsers } = await import('./inactivity');
    expect(await suspendInactiveUsers({ tenantId: t.id, batchSize: 10, maxBatches: 2 })).toEqual({ tenants: 1, suspended: 20, more: true });
    expect(await suspendInactiveUsers({ tenantId: t.id, batchSize: 10, maxBatches: 5 })).toEqual({ tenants: 1, suspended: 5, more: false });
    const stamps = (await events(t.id, 'user.suspended')).map((e) => e.occurredAt.getTime());
    expect(stamps).toHaveLength(25);
    expect(new Set(stamps).size).toBe(3);
    await db.update(tenants).set({ inactivityDays: null }).where(eq(tenants.id, t.id));
  });

  it('a user suspended for inactivity cannot sign in through SSO until an admin reactivates them', async () => {
    const { tenant: t, idp, domain } = await samlTenant();
    const email = `idle@${domain}`;
    expect((await samlSignIn(idp, email)).callback!.status).toBe(303);
    const db = await getDb();
    const [user] = await db.select().from(users).where(eq(users.tenantId, t.id));
    const [session] = await db.select().from(sessions).where(eq(sessions.subjectId, user.id));
    // 91 days pass without a sign-in.
    await db.update(users).set({ lastLoginAt: ago(91) }).where(eq(users.id, user.id));
    await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { inactivityDays: 90 } });
    await runJob(inactivityJob, { force: true });
    expect(await liveSession(session.id)).toBeNull();
    expect((await samlSignIn(idp, email)).callback!.status).toBe(403);
    const { reactivateUser } = await import('../dal/users');
    const { SYSTEM } = await import('../audit/types');
    await reactivateUser(SYSTEM, t.id, user.id);
    expect((await samlSignIn(idp, email)).callback!.status).toBe(303);
    await db.update(tenants).set({ inactivityDays: null }).where(eq(tenants.id, t.id));
  });
});
