import { sequence } from './sequencer';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import type { Job } from '../jobs/scheduler';
import { tenants } from '../db/schema';
import { holdsEveryScope } from '../auth/permissions';
import { forbidden, notFound } from '../errors';
import { PRUNED_ACTION } from './chain';
import { env } from '../env';
import { changes, OPERATOR_CHAIN, record } from './record';
import type { AuditRetention } from './retention-schema';
import { SYSTEM, type Ctx } from './types';

/**
 * Audit retention: each tenant keeps its events for `auditRetentionDays` days (default 365), the
 * operator's chain for OPERATOR_AUDIT_RETENTION_DAYS (default 365). The retention job deletes the
 * oldest part of each chain — always a contiguous prefix of
 * seq, so what is left still verifies — and writes `audit.pruned` in the same transaction naming
 * where the retained part starts (`throughSeq`) and the hash it links to (`anchorHash`); the
 * verifier (verify.ts) accepts a chain that starts after seq 1 only with such an event. The delete
 * is the one exception to the append-only trigger (drizzle/0002_audit_append_only.sql), switched
 * on for that transaction alone.
 */

const DAY_MS = 86_400_000;

export async function getAuditRetention(tenantId: string): Promise<AuditRetention> {
  const db = await getDb();
  const [t] = await db.select({ days: tenants.auditRetentionDays }).from(tenants).where(eq(tenants.id, tenantId));
  if (!t) throw notFound('Tenant');
  return { days: t.days };
}

/**
 * Sets the retention; records `audit.retention_updated` with before/after when it changes. From the
 * console, only an admin who holds every section shortens it: pruning deletes every section's
 * events (an `audit_log` admin could otherwise erase what the others did).
 */
export async function setAuditRetention(ctx: Ctx, tenantId: string, input: AuditRetention): Promise<AuditRetention> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) throw notFound('Tenant');
    if (input.days < before.auditRetentionDays && !holdsEveryScope(ctx.consoleScopes)) {
      throw forbidden('days', 'only an admin who holds every section of this console may shorten the audit retention (pruning deletes the events of every section)');
    }
    await tx.update(tenants).set({ auditRetentionDays: input.days, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
    const diff = changes({ days: before.auditRetentionDays }, { days: input.days });
    if (diff) {
      await record(tx, ctx, { tenantId, action: 'audit.retention_updated', target: { type: 'tenant', id: tenantId, label: before.name }, details: diff });
    }
    return { days: input.days };
  });
}

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;

export type PruneResult = { deleted: number; batches: number; throughSeq: number | null; more: boolean };

/**
 * Prunes one tenant's chain: every event with seq ≤ the highest seq that occurred before the
 * cutoff (now − retention days), `batchSize` events per transaction, each transaction with its
 * own `audit.pruned` event, at most `maxBatches` transactions (`more`: work is left).
 */
export async function pruneTenantAudit(
  tenantId: string,
  opts: { now?: Date; days?: number; batchSize?: number; maxBatches?: number; label?: string | null } = {},
): Promise<PruneResult> {
  return pruneChain(tenantId, { ...opts, days: opts.days ?? (await getAuditRetention(tenantId)).days });
}

/** Prunes the operator's chain (no tenant) by OPERATOR_AUDIT_RETENTION_DAYS, as pruneTenantAudit. */
export function pruneOperatorAudit(opts: { now?: Date; batchSize?: number; maxBatches?: number } = {}): Promise<PruneResult> {
  return pruneChain(OPERATOR_CHAIN, { ...opts, days: env().OPERATOR_AUDIT_RETENTION_DAYS });
}

/** One chain: a tenant's (key = its id) or the operator's (OPERATOR_CHAIN, events without a tenant). */
async function pruneChain(
  chainKey: string,
  opts: { now?: Date; days: number; batchSize?: number; maxBatches?: number; label?: string | null },
): Promise<PruneResult> {
  const db = await getDb();
  const days = opts.days;
  const tenantId = chainKey === OPERATOR_CHAIN ? null : chainKey;
  const cutoff = new Date((opts.now ?? new Date()).getTime() - days * DAY_MS);
  const batchSize = opts.batchSize ?? 5000;
  const maxBatches = opts.maxBatches ?? 20;
  await sequence(db, chainKey); // only linked events are pruned; link what has committed
  const [target] = rowsOf<{ through: string | number | null }>(
    await db.execute(sql`
      select max(seq) as through from audit_events
      where chain_key = ${chainKey} and occurred_at < ${cutoff.toISOString()}::timestamptz`),
  );
  const through = target?.through == null ? null : Number(target.through);
  const out: PruneResult = { deleted: 0, batches: 0, throughSeq: null, more: false };
  if (through === null) return out;
  while (out.batches < maxBatches) {
    const done = await db.transaction(async (tx) => {
      const [first] = rowsOf<{ seq: string | number | null }>(await tx.execute(sql`select min(seq) as seq from audit_events where chain_key = ${chainKey}`));
      if (first?.seq == null || Number(first.seq) > through) return null;
      const hi = Math.min(Number(first.seq) + batchSize - 1, through);
      await tx.execute(sql`select set_config('portal.audit_prune', 'on', true)`);
      const [d] = rowsOf<{ n: number; through: string | number | null; anchor: string | null }>(
        await tx.execute(sql`
          with d as (delete from audit_events where chain_key = ${chainKey} and seq <= ${hi} returning seq, hash)
          select count(*)::int as n, max(seq) as through, (select hash from d order by seq desc limit 1) as anchor from d`),
      );
      await tx.execute(sql`select set_config('portal.audit_prune', 'off', true)`);
      if (!d || Number(d.n) === 0) return null;
      const throughSeq = Number(d.through);
      await record(tx, SYSTEM, {
        tenantId,
        action: PRUNED_ACTION,
        target: tenantId ? { type: 'tenant', id: tenantId, label: opts.label ?? null } : { type: 'audit_chain', id: OPERATOR_CHAIN, label: 'operator' },
        reason: `retention ${days} days`,
        details: { throughSeq, anchorHash: d.anchor, count: Number(d.n), cutoff: cutoff.toISOString() },
      });
      return { n: Number(d.n), throughSeq };
    });
    if (!done) return out;
    out.batches++;
    out.deleted += done.n;
    out.throughSeq = done.throughSeq;
    if (done.throughSeq >= through) return out;
  }
  out.more = true;
  return out;
}

/** One run of the retention job over every tenant (and the operator's chain, unless `tenantIds` narrows it); bounded by `maxBatches` transactions in all. */
export async function pruneExpiredAuditEvents(opts: { now?: Date; batchSize?: number; maxBatches?: number; tenantIds?: string[] } = {}) {
  const db = await getDb();
  const list = await db
    .select({ id: tenants.id, name: tenants.name, days: tenants.auditRetentionDays })
    .from(tenants)
    .where(opts.tenantIds ? inArray(tenants.id, opts.tenantIds) : undefined)
    .orderBy(asc(tenants.id));
  let budget = opts.maxBatches ?? 50;
  let deleted = 0;
  let pruned = 0;
  if (!opts.tenantIds) {
    const r = await pruneOperatorAudit({ now: opts.now, batchSize: opts.batchSize, maxBatches: budget });
    budget -= r.batches;
    deleted += r.deleted;
    if (r.more) return { tenants: list.length, pruned, deleted, more: true };
  }
  for (const t of list) {
    if (budget <= 0) return { tenants: list.length, pruned, deleted, more: true };
    const r = await pruneTenantAudit(t.id, { now: opts.now, days: t.days, batchSize: opts.batchSize, maxBatches: budget, label: t.name });
    budget -= r.batches;
    deleted += r.deleted;
    if (r.deleted) pruned++;
    if (r.more) return { tenants: list.length, pruned, deleted, more: true };
  }
  return { tenants: list.length, pruned, deleted, more: false };
}

/** Prunes audit events older than each tenant's retention and the operator's (hourly; bounded per run). */
export const auditRetentionJob: Job = {
  name: 'audit-retention',
  everyMs: 60 * 60_000,
  run: async () => {
    const r = await pruneExpiredAuditEvents();
    return r.deleted ? r : undefined;
  },
};
