import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/verify/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import { getDb } from '../db/client';
import { auditChains, auditEvents } from '../db/schema';
import { newId } from '../ids';
import { call } from '../testing/api';
import { seedAuditEvents, withoutAppendOnly } from '../testing/audit';
import { record } from './record';
import { SYSTEM } from './types';
import { listChainKeys, verifyTenantChain, verifyTenantChainCached } from './verify';

const seed = (chain: string, n: number) =>
  seedAuditEvents(
    chain,
    Array.from({ length: n }, (_, i) => ({
      occurredAt: new Date(Date.UTC(2024, 0, 1) + i * 1000),
      action: 'test.event',
      actorLabel: `a${i}`,
      details: { i, nested: { z: 1, a: [i, { y: 2, b: 3 }] } },
    })),
  );

async function prune(where: ReturnType<typeof and>) {
  const db = await getDb();
  await db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('portal.audit_prune', 'on', true)`);
    await tx.delete(auditEvents).where(where);
  });
}

describe('verifyTenantChain', () => {
  it('an unknown or empty chain is intact with nothing checked', async () => {
    expect(await verifyTenantChain(newId('tnt'))).toEqual({ intact: true, checked: 0, firstBrokenId: null });
  });

  it('accepts events written by record() and by bulk seeding, across batch boundaries', async () => {
    const chain = newId('tnt');
    const db = await getDb();
    for (let i = 0; i < 3; i++) await db.transaction((tx) => record(tx, SYSTEM, { tenantId: chain, action: 'test.one', details: { i } }));
    await seed(chain, 40);
    for (const batchSize of [1, 7, 43, 1000]) {
      expect(await verifyTenantChain(chain, { batchSize })).toEqual({ intact: true, checked: 43, firstBrokenId: null });
    }
  });

  it('finds an altered event (the trigger bypassed) and names it', async () => {
    const chain = newId('tnt');
    const ids = await seed(chain, 25);
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ actorLabel: 'someone else' }).where(eq(auditEvents.id, ids[17]));
    });
    for (const batchSize of [5, 1000]) {
      const r = await verifyTenantChain(chain, { batchSize });
      expect(r).toMatchObject({ intact: false, checked: 18, firstBrokenId: ids[17] });
      expect(r.reason).toMatch(/seq 18 was altered/);
    }
    // The trigger is back on afterwards.
    const db = await getDb();
    await expect(db.update(auditEvents).set({ action: 'forged' }).where(eq(auditEvents.id, ids[0]))).rejects.toThrow();
  });

  it('finds an altered event whose hash was recomputed: the next event no longer links to it', async () => {
    const chain = newId('tnt');
    const ids = await seed(chain, 10);
    const { eventHash } = await import('./chain');
    const db = await getDb();
    const [row] = await db.select().from(auditEvents).where(eq(auditEvents.id, ids[4]));
    const forged = { ...row, outcome: 'failure' as const };
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ outcome: 'failure', hash: eventHash(row.prevHash!, { ...forged, seq: forged.seq! }) }).where(eq(auditEvents.id, ids[4]));
    });
    const r = await verifyTenantChain(chain);
    expect(r).toMatchObject({ intact: false, checked: 6, firstBrokenId: ids[5] });
    expect(r.reason).toMatch(/does not link/);
  });

  it('finds a deleted event (a gap in the chain), also at a batch boundary', async () => {
    const chain = newId('tnt');
    const ids = await seed(chain, 30);
    await prune(eq(auditEvents.id, ids[9])); // seq 10
    for (const batchSize of [9, 10, 1000]) {
      const r = await verifyTenantChain(chain, { batchSize });
      expect(r).toMatchObject({ intact: false, checked: 10, firstBrokenId: ids[10] });
      expect(r.reason).toMatch(/events 10–10 of the chain are missing/);
    }
  });

  it('finds deleted first and newest events', async () => {
    const head = newId('tnt');
    const headIds = await seed(head, 5);
    await prune(eq(auditEvents.id, headIds[0]));
    expect(await verifyTenantChain(head)).toMatchObject({ intact: false, checked: 1, firstBrokenId: headIds[1] });

    const tail = newId('tnt');
    await seed(tail, 5);
    await prune(and(eq(auditEvents.chainKey, tail), sql`${auditEvents.seq} >= 4`));
    const r = await verifyTenantChain(tail);
    expect(r).toMatchObject({ intact: false, checked: 3, firstBrokenId: null });
    expect(r.reason).toMatch(/newest events are missing.*seq 3.*seq 5/);

    const all = newId('tnt');
    await seed(all, 3);
    await prune(eq(auditEvents.chainKey, all));
    expect(await verifyTenantChain(all)).toMatchObject({ intact: false, checked: 0 });
  });

  it('ignores events appended after it read the chain head', async () => {
    const chain = newId('tnt');
    await seed(chain, 5);
    const db = await getDb();
    // A writer that has appended rows but whose head update is not visible yet is impossible
    // (same transaction); rows beyond the head read at the start are simply not checked.
    const [h] = await db.select().from(auditChains).where(eq(auditChains.chainKey, chain));
    expect(h.lastSeq).toBe(5);
    expect(await verifyTenantChain(chain)).toMatchObject({ intact: true, checked: 5 });
  });

  it('answers through the API, and lists every chain for the CLI', async () => {
    const t = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Verify Me' } })).body;
    await seed(t.id, 20);
    const ok = await call(verifyRoute.GET, { params: { tenantId: t.id } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ intact: true, checked: 21, firstBrokenId: null });
    const db = await getDb();
    const [victim] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.chainKey, t.id), eq(auditEvents.seq, 12)));
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ details: { i: 999 } }).where(eq(auditEvents.id, victim.id));
    });
    const bad = await call(verifyRoute.GET, { params: { tenantId: t.id } });
    expect(bad.body).toMatchObject({ intact: false, checked: 12, firstBrokenId: victim.id });
    expect(await listChainKeys()).toContain(t.id);
  });

  it('the cached check (console badge) checks new events only, and everything again when due', async () => {
    const chain = newId('tnt');
    const first = await seed(chain, 10);
    expect(await verifyTenantChainCached(chain)).toEqual({ intact: true, checked: 10, firstBrokenId: null });
    const more = await seed(chain, 5);
    const [a, b] = await Promise.all([verifyTenantChainCached(chain), verifyTenantChainCached(chain)]);
    expect(a).toEqual({ intact: true, checked: 15, firstBrokenId: null });
    expect(b).toBe(a); // one check shared
    // A change among the new events is found by the incremental check.
    const later = await seed(chain, 3);
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ reason: 'edited' }).where(eq(auditEvents.id, later[1]));
    });
    expect(await verifyTenantChainCached(chain)).toMatchObject({ intact: false, firstBrokenId: later[1] });

    // A change among events already checked waits for the next full check.
    const other = newId('tnt');
    const ids = await seed(other, 8);
    expect((await verifyTenantChainCached(other)).intact).toBe(true);
    await withoutAppendOnly(async (tx) => {
      await tx.update(auditEvents).set({ reason: 'edited' }).where(eq(auditEvents.id, ids[2]));
    });
    expect((await verifyTenantChainCached(other)).intact).toBe(true);
    expect(await verifyTenantChainCached(other, { fullEveryMs: 0 })).toMatchObject({ intact: false, checked: 3, firstBrokenId: ids[2] });
    expect(first).toHaveLength(10);
    expect(more).toHaveLength(5);
  });

  it.skipIf(!process.env.DATABASE_URL)('the CLI exits 1 on a broken chain and 0 on an intact one (PostgreSQL)', async () => {
    const good = newId('tnt');
    await seed(good, 3);
    const broken = newId('tnt');
    const ids = await seed(broken, 3);
    await prune(eq(auditEvents.id, ids[1]));
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--conditions=react-server', '--import', 'tsx', 'scripts/audit-verify.ts', ...args], {
        env: { ...process.env },
        timeout: 60_000,
      }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const ok = await run([good]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toMatch(new RegExp(`ok +${good} +3 events`));
    const ko = await run([good, broken]);
    expect(ko.code).toBe(1);
    expect(ko.out).toContain(`BROKEN  ${broken}  at ${ids[2]}`);
    const json = await run(['--json', broken]);
    expect(JSON.parse(json.out.trim())).toMatchObject({ chain: broken, intact: false, checked: 2, firstBrokenId: ids[2] });
  }, 90_000);
});
