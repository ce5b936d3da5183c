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
  const chainKey = input.tenantId ?? OPERATOR_CHAIN;
  const head = await tx.execute<{ last_seq: string | number; last_hash: string }>(sql`
    insert into audit_chains (chain_key, last_seq, last_hash) values (${chainKey}, 0, ${GENESIS_HASH})
    on conflict (chain_key) do update set chain_key = excluded.chain_key
    returning last_seq, last_hash`);
  const row = (head as unknown as { rows: { last_seq: string | number; last_hash: string }[] }).rows[0];
  const event = {
    id: newId('evt'),
    chainKey,
    seq: Number(row.last_seq) + 1,
    tenantId: input.tenantId,
    occurredAt: new Date(),
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
  const hash = eventHash(row.last_hash, event);
  await tx.execute(sql`
    with ev as (
      insert into audit_events (id, chain_key, seq, tenant_id, occurred_at, action, outcome,
        actor_type, actor_id, actor_label, target_type, target_id, target_label, ip, user_agent,
        reason, details, prev_hash, hash)
      values (${event.id}, ${chainKey}, ${event.seq}, ${event.tenantId}, ${event.occurredAt.toISOString()},
        ${event.action}, ${event.outcome}, ${event.actorType}, ${event.actorId}, ${event.actorLabel},
        ${event.targetType}, ${event.targetId}, ${event.targetLabel}, ${event.ip}, ${event.userAgent},
        ${event.reason}, ${event.details === null ? null : JSON.stringify(event.details)}::jsonb,
        ${row.last_hash}, ${hash})
      returning seq
    )
    update audit_chains set last_seq = (select seq from ev), last_hash = ${hash}
    where chain_key = ${chainKey}`);
  return event.id;
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
