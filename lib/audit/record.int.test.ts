import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '../db/client';
import { auditEvents } from '../db/schema';
import { newId } from '../ids';
import { verifyChain } from './chain';
import { record } from './record';
import { SYSTEM } from './types';

describe('audit record()', () => {
  it('keeps one unbroken chain per tenant under concurrent writers', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        db.transaction((tx) => record(tx, SYSTEM, { tenantId, action: 'test.event', details: { i, nested: { b: 1, a: [i] } } })),
      ),
    );
    const rows = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.seq);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(verifyChain(rows)).toEqual({ intact: true, checked: 30, firstBrokenId: null });
  });

  it('rolls back with the transaction it is part of', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    await expect(
      db.transaction(async (tx) => {
        await record(tx, SYSTEM, { tenantId, action: 'test.event' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId))).toHaveLength(0);
  });

  it('refuses to update or delete audit rows (database trigger)', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    await db.transaction((tx) => record(tx, SYSTEM, { tenantId, action: 'test.event' }));
    await expect(db.update(auditEvents).set({ action: 'forged' }).where(eq(auditEvents.tenantId, tenantId))).rejects.toThrow();
    await expect(db.delete(auditEvents).where(eq(auditEvents.tenantId, tenantId))).rejects.toThrow();
    // The explicit pruning path may delete.
    await db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('portal.audit_prune', 'on', true)`);
      await tx.delete(auditEvents).where(eq(auditEvents.tenantId, tenantId));
    });
    expect(await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId))).toHaveLength(0);
  });
});
