import { sequence } from './sequencer';
import { and, asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as retentionRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/retention/route';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/verify/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import { getDb } from '../db/client';
import { auditChains, auditEvents, tenants } from '../db/schema';
import { runJob, type Job } from '../jobs/scheduler';
import { call } from '../testing/api';
import { seedAuditEvents, withoutAppendOnly } from '../testing/audit';
import { eventHash } from './chain';
import { OPERATOR_CHAIN } from './record';
import { auditRetentionJob, pruneExpiredAuditEvents, pruneTenantAudit, setAuditRetention } from './retention';
import type { Ctx } from './types';
import { verifyTenantChain, verifyTenantChainCached } from './verify';

const DAY = 86_400_000;
const daysAgo = (d: number, plusMs = 0) => new Date(Date.now() - d * DAY + plusMs);

async function tenant(name = 'Retention Co') {
  return (await call(tenantRoutes.POST, { method: 'POST', body: { name } })).body as { id: string; name: string };
}

/** The tenant's chain, once every committed event is linked into it. */
async function chainOf(tenantId: string) {
  const db = await getDb();
  await sequence(db, tenantId);
  return db.select().from(auditEvents).where(eq(auditEvents.chainKey, tenantId)).orderBy(asc(auditEvents.seq));
}

/**
 * The retention job as the scheduler runs it. On embedded storage each test file has its own
 * database, so the real job (every tenant) runs; the PostgreSQL project shares one database
 * between test files running at once, whose tenants hold old seeded events, so there the same
 * job is limited to this file's tenants.
 */
const jobFor = (...tenantIds: string[]): Job =>
  process.env.DATABASE_URL ? { ...auditRetentionJob, run: () => pruneExpiredAuditEvents({ tenantIds }) } : auditRetentionJob;

describe('audit retention setting', () => {
  it('GET answers the default 365; PUT changes it with audit.retention_updated (before/after)', async () => {
    const t = await tenant();
    expect((await call(retentionRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ days: 365 });
    const put = await call(retentionRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { days: 90 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ days: 90 });
    expect((await call(retentionRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ days: 90 });
    const ev = (await chainOf(t.id)).filter((e) => e.action === 'audit.retention_updated');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ actorType: 'operator', details: { before: { days: 365 }, after: { days: 90 } } });
    // The same value again changes nothing and records nothing.
    await call(retentionRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { days: 90 } });
    expect((await chainOf(t.id)).filter((e) => e.action === 'audit.retention_updated')).toHaveLength(1);
  });

  it.each([
    [{ days: 0 }, 'days'],
    [{ days: 3651 }, 'days'],
    [{ days: 1.5 }, 'days'],
    [{ days: '30' }, 'days'],
    [{ days: null }, 'days'],
    [{}, 'days'],
  ])('refuses %j with 400 naming the field and writes nothing', async (body, field) => {
    const t = await tenant();
    const before = (await chainOf(t.id)).length;
    const r = await call(retentionRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect((await call(retentionRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ days: 365 });
    expect((await chainOf(t.id)).length).toBe(before);
  });

  it('from the console, only an admin who holds every section shortens it (pruning deletes every section’s events)', async () => {
    const t = await tenant();
    const auditOnly: Ctx = { actor: { type: 'admin', id: 'plk_audit', label: 'setup link' }, consoleScopes: ['audit_log'] };
    const everySection: Ctx = { ...auditOnly, consoleScopes: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'] };
    await expect(setAuditRetention(auditOnly, t.id, { days: 1 })).rejects.toMatchObject({ status: 403, errors: [{ path: 'days' }] });
    expect((await chainOf(t.id)).filter((e) => e.action === 'audit.retention_updated')).toHaveLength(0);
    // Keeping events longer is theirs to decide.
    await expect(setAuditRetention(auditOnly, t.id, { days: 730 })).resolves.toEqual({ days: 730 });
    await expect(setAuditRetention(auditOnly, t.id, { days: 400 })).rejects.toMatchObject({ status: 403 });
    await expect(setAuditRetention(everySection, t.id, { days: 30 })).resolves.toEqual({ days: 30 });
  });

  it('an unknown tenant is a 404', async () => {
    expect((await call(retentionRoute.GET, { params: { tenantId: 'tnt_nope' } })).status).toBe(404);
    expect((await call(retentionRoute.PUT, { method: 'PUT', params: { tenantId: 'tnt_nope' }, body: { days: 30 } })).status).toBe(404);
  });
});

describe('audit retention job', () => {
  it('prunes the chain prefix older than the cutoff, writes audit.pruned, and the chain still verifies', async () => {
    const t = await tenant();
    // seq 1 is tenant.created; then 20 events 400 days old, 5 events 100 days old.
    await seedAuditEvents(t.id, Array.from({ length: 20 }, (_, i) => ({ occurredAt: daysAgo(400, i * 1000), actorLabel: `old${i}` })));
    const recent = await seedAuditEvents(t.id, Array.from({ length: 5 }, (_, i) => ({ occurredAt: daysAgo(100, i * 1000), actorLabel: `mid${i}` })));
    const before = await chainOf(t.id);
    expect(before).toHaveLength(26);

    const r = await runJob(jobFor(t.id), { force: true });
    expect(r).toMatchObject({ deleted: 21 });
    const after = await chainOf(t.id);
    expect(after.map((e) => e.id)).toEqual([...recent, after[5].id]);
    const pruned = after[5];
    expect(pruned).toMatchObject({ action: 'audit.pruned', actorType: 'system', seq: 27 });
    expect(pruned.details).toMatchObject({ throughSeq: 21, anchorHash: before[20].hash, count: 21 });
    expect(Date.parse(String(pruned.details!.cutoff))).toBeGreaterThan(Date.now() - 366 * DAY);
    expect(after[0].prevHash).toBe(before[20].hash);

    expect(await verifyTenantChain(t.id)).toEqual({ intact: true, checked: 6, firstBrokenId: null });
    expect((await call(verifyRoute.GET, { params: { tenantId: t.id } })).body).toEqual({ intact: true, checked: 6, firstBrokenId: null });
    expect(await verifyTenantChainCached(t.id, { fullEveryMs: 0 })).toMatchObject({ intact: true, checked: 6 });

    // Nothing more is due: a second run deletes nothing and records nothing.
    expect((await runJob(jobFor(t.id), { force: true }))?.deleted ?? 0).toBe(0);
    expect(await chainOf(t.id)).toHaveLength(6);

    // A shorter retention prunes again; the newest audit.pruned accounts for the new start.
    await call(retentionRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { days: 30 } });
    expect(await runJob(jobFor(t.id), { force: true })).toMatchObject({ deleted: 5 });
    const again = await chainOf(t.id);
    expect(again.map((e) => e.action)).toEqual(['audit.pruned', 'audit.retention_updated', 'audit.pruned']);
    expect(again[2].details).toMatchObject({ throughSeq: 26, count: 5 });
    expect(await verifyTenantChain(t.id)).toEqual({ intact: true, checked: 3, firstBrokenId: null });
  });

  it('prunes in bounded batches, each with its own audit.pruned, and resumes where it stopped', async () => {
    const t = await tenant();
    await seedAuditEvents(t.id, Array.from({ length: 50 }, (_, i) => ({ occurredAt: daysAgo(500, i) })));
    const first = await pruneTenantAudit(t.id, { batchSize: 10, maxBatches: 2 });
    expect(first).toEqual({ deleted: 20, batches: 2, throughSeq: 20, more: true });
    expect(await verifyTenantChain(t.id, { batchSize: 7 })).toMatchObject({ intact: true });
    const rest = await pruneTenantAudit(t.id, { batchSize: 10, maxBatches: 10 });
    expect(rest).toEqual({ deleted: 31, batches: 4, throughSeq: 51, more: false });
    const left = await chainOf(t.id);
    expect(left.map((e) => e.action)).toEqual(Array(6).fill('audit.pruned'));
    expect(left.map((e) => (e.details as { count: number }).count)).toEqual([10, 10, 10, 10, 10, 1]);
    expect(await verifyTenantChain(t.id, { batchSize: 2 })).toEqual({ intact: true, checked: 6, firstBrokenId: null });
  });

  it('deletes only a contiguous prefix: an old event after a new one goes too (seq ≤ the newest old seq)', async () => {
    const t = await tenant();
    await seedAuditEvents(t.id, [{ occurredAt: daysAgo(400) }, { occurredAt: daysAgo(10) }, { occurredAt: daysAgo(400) }, { occurredAt: daysAgo(5) }]);
    expect(await pruneTenantAudit(t.id)).toMatchObject({ deleted: 4, throughSeq: 4 });
    expect((await chainOf(t.id)).map((e) => e.seq)).toEqual([5, 6]);
    expect(await verifyTenantChain(t.id)).toMatchObject({ intact: true, checked: 2 });
  });

  it('never touches another tenant’s chain', async () => {
    const a = await tenant('Retention A');
    const b = await tenant('Retention B');
    await seedAuditEvents(a.id, [{ occurredAt: daysAgo(400) }]);
    await seedAuditEvents(b.id, [{ occurredAt: daysAgo(400) }]);
    const db = await getDb();
    await db.update(tenants).set({ auditRetentionDays: 3650 }).where(eq(tenants.id, b.id));
    await runJob(jobFor(a.id, b.id), { force: true });
    expect(await chainOf(a.id)).toHaveLength(1);
    expect(await chainOf(b.id)).toHaveLength(2);
  });
});

// The operator's chain is one per database: on PostgreSQL, test files running at once share it,
// and a prune there would delete their fresh operator events too. Embedded storage only.
describe.skipIf(!!process.env.DATABASE_URL)('the operator chain', () => {
  it('is pruned by the job at OPERATOR_AUDIT_RETENTION_DAYS (default 365), with its own audit.pruned, and still verifies', async () => {
    // Anonymous sign-in failures write operator events: without retention the chain grows for ever.
    await seedAuditEvents(OPERATOR_CHAIN, Array.from({ length: 30 }, (_, i) => ({ occurredAt: daysAgo(400, i), action: 'operator.login_failed' })));
    await seedAuditEvents(OPERATOR_CHAIN, [{ occurredAt: daysAgo(100), action: 'operator.login_failed' }, { occurredAt: daysAgo(1) }]);
    /** How many events of the chain a prune at `days` takes: its prefix through the newest older event. */
    const due = (chain: { seq: number | null; occurredAt: Date }[], days: number) => {
      const through = Math.max(...chain.filter((e) => e.occurredAt.getTime() < daysAgo(days).getTime()).map((e) => e.seq!));
      return chain.filter((e) => e.seq! <= through).length;
    };
    const before = await chainOf(OPERATOR_CHAIN);
    const expected = due(before, 365);
    expect(expected).toBeGreaterThanOrEqual(30);
    expect(await runJob(auditRetentionJob, { force: true })).toMatchObject({ deleted: expected });
    const after = await chainOf(OPERATOR_CHAIN);
    expect(after).toHaveLength(before.length - expected + 1);
    const pruned = after.filter((e) => e.action === 'audit.pruned');
    expect(pruned).toHaveLength(1);
    expect(pruned[0]).toMatchObject({ tenantId: null, reason: 'retention 365 days', details: { throughSeq: before[expected - 1].seq, count: expected } });
    expect(await verifyTenantChain(OPERATOR_CHAIN)).toMatchObject({ intact: true, firstBrokenId: null });

    // A shorter retention from the environment prunes the 100-day-old event too.
    const g = globalThis as { __portalEnv?: unknown };
    process.env.OPERATOR_AUDIT_RETENTION_DAYS = '30';
    g.__portalEnv = undefined;
    try {
      const again = due(after, 30);
      expect(await runJob(auditRetentionJob, { force: true })).toMatchObject({ deleted: again });
      const left = await chainOf(OPERATOR_CHAIN);
      expect(left.some((e) => e.occurredAt.getTime() < daysAgo(30).getTime())).toBe(false);
      expect(left.filter((e) => e.action === 'audit.pruned').at(-1)).toMatchObject({ reason: 'retention 30 days' });
      expect(await verifyTenantChain(OPERATOR_CHAIN)).toMatchObject({ intact: true });
    } finally {
      delete process.env.OPERATOR_AUDIT_RETENTION_DAYS;
      g.__portalEnv = undefined;
    }
  });
});

describe('verification after pruning', () => {
  it('rows deleted bypassing the trigger (no audit.pruned) are reported', async () => {
    const t = await tenant();
    const ids = await seedAuditEvents(t.id, Array.from({ length: 6 }, () => ({ occurredAt: daysAgo(1) })));
    await withoutAppendOnly(async (tx) => {
      await tx.delete(auditEvents).where(and(eq(auditEvents.chainKey, t.id), sql`${auditEvents.seq} <= 3`));
    });
    const r = await verifyTenantChain(t.id);
    expect(r).toMatchObject({ intact: false, firstBrokenId: ids[2] });
    expect(r.reason).toMatch(/events 1–3 .*no audit\.pruned/);
    const api = await call(verifyRoute.GET, { params: { tenantId: t.id } });
    expect(api.body).toMatchObject({ intact: false, firstBrokenId: ids[2] });
  });

  it('rows deleted as the database owner with session_replication_role = replica are reported too (PostgreSQL)', async () => {
    const t = await tenant();
    await seedAuditEvents(t.id, Array.from({ length: 5 }, () => ({ occurredAt: daysAgo(400) })));
    await pruneTenantAudit(t.id);
    const kept = await seedAuditEvents(t.id, Array.from({ length: 4 }, () => ({ occurredAt: daysAgo(1) })));
    expect(await verifyTenantChain(t.id)).toMatchObject({ intact: true, checked: 5 });
    const db = await getDb();
    // Deletes the audit.pruned event and the event after it: the start moves past what it names.
    await db.transaction(async (tx) => {
      if (process.env.DATABASE_URL) await tx.execute(sql`set local session_replication_role = replica`);
      else await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      await tx.delete(auditEvents).where(and(eq(auditEvents.chainKey, t.id), sql`${auditEvents.seq} <= 8`));
      if (!process.env.DATABASE_URL) await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    });
    const r = await verifyTenantChain(t.id);
    expect(r).toMatchObject({ intact: false, firstBrokenId: kept[1] });
    expect(r.reason).toMatch(/events 1–8 .*no audit\.pruned/);
  });

  it('a forged anchor breaks the chain, even with its hash and the head recomputed', async () => {
    const t = await tenant();
    await seedAuditEvents(t.id, Array.from({ length: 5 }, () => ({ occurredAt: daysAgo(400) })));
    await pruneTenantAudit(t.id);
    const [pruned] = await chainOf(t.id);
    expect(pruned.action).toBe('audit.pruned');
    expect(await verifyTenantChain(t.id)).toMatchObject({ intact: true, checked: 1 });
    // The pruned event is the only one left (the head): claim a different anchor and rehash it,
    // head included, so that only the anchor check can tell.
    const details = { ...(pruned.details as Record<string, unknown>), anchorHash: 'f'.repeat(64) };
    const hash = eventHash(pruned.prevHash!, { ...pruned, seq: pruned.seq!, details });
    const db = await getDb();
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ details, hash }).where(eq(auditEvents.id, pruned.id));
    });
    await db.update(auditChains).set({ lastHash: hash }).where(eq(auditChains.chainKey, t.id));
    const r = await verifyTenantChain(t.id);
    expect(r).toMatchObject({ intact: false, firstBrokenId: pruned.id });
    expect(r.reason).toMatch(/no audit\.pruned event accounts/);

    // And an anchor naming the wrong seq likewise.
    const t2 = await tenant();
    await seedAuditEvents(t2.id, Array.from({ length: 3 }, () => ({ occurredAt: daysAgo(400) })));
    await pruneTenantAudit(t2.id);
    const [p2] = await chainOf(t2.id);
    const d2 = { ...(p2.details as Record<string, unknown>), throughSeq: 2 };
    const h2 = eventHash(p2.prevHash!, { ...p2, seq: p2.seq!, details: d2 });
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ details: d2, hash: h2 }).where(eq(auditEvents.id, p2.id));
    });
    await db.update(auditChains).set({ lastHash: h2 }).where(eq(auditChains.chainKey, t2.id));
    expect(await verifyTenantChain(t2.id)).toMatchObject({ intact: false, firstBrokenId: p2.id });
  });
});
