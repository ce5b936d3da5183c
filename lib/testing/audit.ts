import { sql } from 'drizzle-orm';
import { eventHash, GENESIS_HASH, type ChainedContent } from '../audit/chain';
import { sequence } from '../audit/sequencer';
import { getDb } from '../db/client';
import { auditChains, auditEvents } from '../db/schema';
import { OPERATOR_CHAIN } from '../audit/record';
import { newId } from '../ids';

export type SeedEvent = Partial<Omit<ChainedContent, 'id' | 'chainKey' | 'seq' | 'tenantId'>> & { id?: string };

/**
 * Appends events with chosen timestamps and fields to a tenant's chain (or the operator's, key
 * OPERATOR_CHAIN), many rows per statement, with correct hashes (record() would stamp them "now",
 * one by one). Returns the ids in order.
 */
export async function seedAuditEvents(tenantId: string, events: SeedEvent[], batch = 500): Promise<string[]> {
  const db = await getDb();
  await sequence(db, tenantId); // what record() wrote before comes first, as it would have
  return db.transaction(async (tx) => {
    const head = await tx.execute<{ last_seq: string | number; last_hash: string }>(sql`
      insert into audit_chains (chain_key, last_seq, last_hash) values (${tenantId}, 0, ${GENESIS_HASH})
      on conflict (chain_key) do update set chain_key = excluded.chain_key
      returning last_seq, last_hash`);
    const h = (head as unknown as { rows: { last_seq: string | number; last_hash: string }[] }).rows[0];
    let seq = Number(h.last_seq);
    let prev = h.last_hash;
    const ids: string[] = [];
    for (let i = 0; i < events.length; i += batch) {
      const rows = events.slice(i, i + batch).map((e) => {
        const c: ChainedContent = {
          id: e.id ?? newId('evt'),
          chainKey: tenantId,
          seq: ++seq,
          tenantId: tenantId === OPERATOR_CHAIN ? null : tenantId,
          occurredAt: e.occurredAt ?? new Date(),
          action: e.action ?? 'test.event',
          outcome: e.outcome ?? 'success',
          actorType: e.actorType ?? 'system',
          actorId: e.actorId ?? null,
          actorLabel: e.actorLabel ?? null,
          targetType: e.targetType ?? null,
          targetId: e.targetId ?? null,
          targetLabel: e.targetLabel ?? null,
          ip: e.ip ?? null,
          userAgent: e.userAgent ?? null,
          reason: e.reason ?? null,
          details: e.details ?? null,
        };
        const hash = eventHash(prev, c);
        const row = { ...c, outcome: c.outcome as 'success' | 'failure', details: c.details as Record<string, unknown> | null, prevHash: prev, hash };
        prev = hash;
        ids.push(c.id);
        return row;
      });
      await tx.insert(auditEvents).values(rows);
    }
    await tx.update(auditChains).set({ lastSeq: seq, lastHash: prev }).where(sql`${auditChains.chainKey} = ${tenantId}`);
    return ids;
  });
}

/**
 * Runs `fn` with the append-only trigger switched off, inside one transaction: PostgreSQL's
 * ALTER TABLE is transactional and holds an exclusive lock until commit, so no other session
 * (other test files share the database) ever sees the trigger disabled.
 */
export async function withoutAppendOnly(fn: (tx: Parameters<Parameters<Awaited<ReturnType<typeof getDb>>['transaction']>[0]>[0]) => Promise<void>) {
  const db = await getDb();
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
    await fn(tx);
    await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
  });
}
