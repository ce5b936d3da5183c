import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { newId } from '../ids';
import { eventHash, GENESIS_HASH } from './chain';
import type { Ctx, Target } from './types';

export type AuditInput = {
  tenantId: string | null;
  action: string;
  outcome?: 'success' | 'failure';
  target?: Target | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
};

/** Chain of events with no tenant (operator sign-ins, API keys). */
export const OPERATOR_CHAIN = 'operator';

const clip = (v: string | null | undefined, n: number) => (v == null ? null : v.slice(0, n));

/**
 * Writes one audit event on `tx` — call it inside the transaction of the change it records.
 * The chain head row is locked until that transaction ends, so concurrent writers of one chain
 * (several instances included) append one after another and never fork it.
 */
export async function record(tx: Executor, ctx: Ctx, input: AuditInput): Promise<string> {
  return (await recordMany(tx, ctx, [input]))[0];
}

/**
 * Writes several events of one chain (one tenant) in two statements. Call it last in the
 * transaction: the chain head stays locked from here to the commit, so the later it is taken,
 * the less concurrent writers of the tenant wait for each other.
 */
export async function recordMany(tx: Executor, ctx: Ctx, inputs: AuditInput[]): Promise<string[]> {
  if (!inputs.length) return [];
  const chainKey = inputs[0].tenantId ?? OPERATOR_CHAIN;
  if (inputs.some((i) => (i.tenantId ?? OPERATOR_CHAIN) !== chainKey)) throw new Error('recordMany: events of one chain only');
  const head = await tx.execute<{ last_seq: string | number; last_hash: string }>(sql`
    insert into audit_chains (chain_key, last_seq, last_hash) values (${chainKey}, 0, ${GENESIS_HASH})
    on conflict (chain_key) do update set chain_key = excluded.chain_key
    returning last_seq, last_hash`);
  const row = (head as unknown as { rows: { last_seq: string | number; last_hash: string }[] }).rows[0];
  let seq = Number(row.last_seq);
  let prev = row.last_hash;
  const occurredAt = new Date();
  const values = inputs.map((input) => {
    const event = {
      id: newId('evt'),
      chainKey,
      seq: ++seq,
      tenantId: input.tenantId,
      occurredAt,
      action: input.action,
      outcome: input.outcome ?? 'success',
      actorType: ctx.actor.type,
      actorId: ctx.actor.id ?? null,
      actorLabel: clip(ctx.actor.label, 320),
      targetType: input.target?.type ?? null,
      targetId: input.target?.id ?? null,
      targetLabel: clip(input.target?.label, 320),
      ip: clip(ctx.ip, 64),
      userAgent: clip(ctx.userAgent, 512),
      reason: clip(input.reason, 200),
      details: input.details ?? null,
    };
    const prevHash = prev;
    prev = eventHash(prevHash, event);
    return sql`(${event.id}, ${chainKey}, ${event.seq}, ${event.tenantId}, ${occurredAt.toISOString()},
        ${event.action}, ${event.outcome}, ${event.actorType}, ${event.actorId}, ${event.actorLabel},
        ${event.targetType}, ${event.targetId}, ${event.targetLabel}, ${event.ip}, ${event.userAgent},
        ${event.reason}, ${event.details === null ? null : JSON.stringify(event.details)}::jsonb, ${prevHash}, ${prev})`;
  });
  const ids = await tx.execute<{ id: string }>(sql`
    with ev as (
      insert into audit_events (id, chain_key, seq, tenant_id, occurred_at, action, outcome,
        actor_type, actor_id, actor_label, target_type, target_id, target_label, ip, user_agent,
        reason, details, prev_hash, hash)
      values ${sql.join(values, sql`, `)}
      returning id, seq
    ), head as (
      update audit_chains set last_seq = ${seq}, last_hash = ${prev} where chain_key = ${chainKey}
    )
    select id from ev order by seq`);
  return (ids as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);
}

/** The changed fields of a configuration change, as `{ before, after }` for `details`. */
export function changes<T extends Record<string, unknown>>(
  before: T,
  after: Partial<T>,
): { before: Partial<T>; after: Partial<T> } | null {
  const b: Partial<T> = {};
  const a: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (after[key] === undefined) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}
