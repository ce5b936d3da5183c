import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '../db/client';
import { auditEvents } from '../db/schema';
import { newId } from '../ids';
import { verifyChain, type LinkedEvent } from './chain';
import { record, recordMany } from './record';
import { sequence } from './sequencer';
import { SYSTEM } from './types';

describe('audit record()', () => {
  it('keeps one unbroken chain per tenant under concurrent writers and concurrent sequencers', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    // Writers never wait for each other; sequencers (several instances) run while they write.
    let linked = 0;
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) =>
        db.transaction((tx) => record(tx, SYSTEM, { tenantId, action: 'test.event', details: { i, nested: { b: 1, a: [i] } } })),
      ),
      ...Array.from({ length: 4 }, async () => {
        for (let k = 0; k < 5; k++) linked += await sequence(db, tenantId);
      }),
    ]);
    linked += await sequence(db, tenantId);
    expect(linked).toBeLessThanOrEqual(30); // never linked twice (another test file's sequencer may link some too)
    const rows = (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.seq)) as LinkedEvent[];
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(verifyChain(rows)).toEqual({ intact: true, checked: 30, firstBrokenId: null });
  });

  it('inserts events unlinked; the sequencer links them in id order, and only the link columns, once', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    await db.transaction(async (tx) => {
      await record(tx, SYSTEM, { tenantId, action: 'test.first' });
      await record(tx, SYSTEM, { tenantId, action: 'test.second' });
      // (checked before the commit: no other session can link them yet)
      const before = await tx.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
      expect(before.map((r) => [r.seq, r.hash])).toEqual([[null, null], [null, null]]);
      // Not even an unlinked row can be changed otherwise, or linked with other content.
      await expect(tx.transaction((t) => t.update(auditEvents).set({ action: 'forged' }).where(eq(auditEvents.id, before[0].id)))).rejects.toThrow();
      await expect(
        tx.transaction((t) => t.update(auditEvents).set({ action: 'forged', seq: 1, prevHash: 'x', hash: 'y' }).where(eq(auditEvents.id, before[0].id))),
      ).rejects.toThrow();
    });
    await sequence(db, tenantId);
    const after = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.seq);
    expect(after.map((r) => r.action)).toEqual(['test.first', 'test.second']);
    // A linked row cannot be relinked.
    await expect(db.update(auditEvents).set({ seq: 7 }).where(eq(auditEvents.id, after[0].id))).rejects.toThrow();
    expect(await sequence(db, tenantId)).toBe(0);
  });

  it('writes ten thousand events of one change in one call (a SCIM group of that many members deleted), every field kept, in chain order', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    const ctx = { ...SYSTEM, ip: '203.0.113.9', userAgent: 'Okta SCIM Client 1.0.0' };
    const inputs = Array.from({ length: 10_000 }, (_, i) => ({
      tenantId, action: 'user.updated', target: { type: 'user', id: `usr_${i}`, label: `u${i}@example.com` }, reason: i % 2 ? 'r' : undefined, details: { n: i, groups: ['Eng'] },
    }));
    const ids = await db.transaction((tx) => recordMany(tx, ctx, inputs));
    expect(ids).toHaveLength(10_000);
    const rows = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows[7]).toMatchObject({ action: 'user.updated', outcome: 'success', actorType: 'system', targetType: 'user', targetId: 'usr_7', targetLabel: 'u7@example.com', ip: '203.0.113.9', userAgent: 'Okta SCIM Client 1.0.0', reason: 'r', details: { n: 7, groups: ['Eng'] } });
    expect(rows[8]).toMatchObject({ reason: null, chainKey: tenantId });
    expect(rows[8].occurredAt).toBeInstanceOf(Date);
  });

  it('a label cut in the middle of an emoji, or a lone surrogate anywhere (details included), is stored with U+FFFD in its place, never refused', async () => {
    const db = await getDb();
    const tenantId = newId('tnt');
    const label = `${'a'.repeat(319)}😀`; // clipped at 320 UTF-16 units: half of the emoji
    const [id] = await db.transaction((tx) =>
      recordMany(tx, { ...SYSTEM, userAgent: 'agent \ud800' }, [{ tenantId, action: 'scim.group_updated', target: { type: 'group', id: 'g1', label }, reason: 'x\udc00y', details: { name: 'lone \ud83d here', ok: 'é 😀' } }]),
    );
    const [row] = await db.select().from(auditEvents).where(eq(auditEvents.id, id));
    expect(row.targetLabel).toBe(`${'a'.repeat(319)}\ufffd`);
    expect(row.userAgent).toBe('agent \ufffd');
    expect(row.reason).toBe('x\ufffdy');
    expect(row.details).toEqual({ name: 'lone \ufffd here', ok: 'é 😀' });
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
