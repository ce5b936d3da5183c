import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { pagesOf } from '../db/pages';
import { newId } from '../ids';
import { formatIp, parseIp, unmapIp } from '../policies/cidr';
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

/**
 * How the audit log names a secret without revealing it: the first 8 hex digits of its SHA-256
 * (enough to tell two secrets apart), or "none". Takes the secret, or its SHA-256 in hex where
 * only that is kept.
 */
export function secretFingerprint(secret: { plain: string } | { sha256: string } | null): string {
  if (!secret) return 'none';
  const hex = 'sha256' in secret ? secret.sha256 : createHash('sha256').update(secret.plain).digest('hex');
  return `sha256:${hex.slice(0, 8)}…`;
}

const clip = (v: string | null | undefined, n: number) => (v == null ? null : v.slice(0, n));

/**
 * Writes one audit event on `tx` — call it inside the transaction of the change it records, so
 * the event commits with the change or not at all. It is linked into its chain (seq and hashes)
 * by the sequencer shortly after the commit (lib/audit/sequencer.ts): writers never wait for
 * each other here.
 */
export async function record(tx: Executor, ctx: Ctx, input: AuditInput): Promise<string> {
  return (await recordMany(tx, ctx, [input]))[0];
}

/** At most this many refusals of one kind (tenant, action, reason) are recorded a minute, whatever their sources. */
const REFUSALS_PER_MINUTE = 100;

/** Where a refusal comes from, for counting: an IPv4 address, or an IPv6 /48 (one customer of a provider may hold a whole /48). */
function sourceBlock(ip: string | null | undefined): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return ip ?? null;
  const a = unmapIp(parsed);
  return a.family === 4 ? formatIp(a) : `${formatIp({ family: 6, value: (a.value >> 80n) << 80n })}/48`;
}

/**
 * Records a refusal anyone can cause (a failed sign-in, a refused logout message) without letting
 * them grow the append-only log at will: at most once a minute per tenant (or the operator's log),
 * action, reason and source (`ctx.ip`'s address, its /48 for IPv6), and per person too when
 * `person` is given (details `email`); at most REFUSALS_PER_MINUTE of one kind a minute in all.
 * The event says so. Returns whether it recorded.
 */
export async function recordRefusal(tx: Executor, ctx: Ctx, input: AuditInput & { reason: string }, person?: string | null): Promise<boolean> {
  const kind = `refusal|${input.tenantId ?? OPERATOR_CHAIN}|${input.action}|${input.reason}`;
  // One such check at a time per kind, so simultaneous refusals record once; one that finds another
  // being recorded is not (nobody waits for the lock).
  const lock = (await tx.execute(sql`select pg_try_advisory_xact_lock(hashtext(${kind})) as ok`)) as unknown as { rows: { ok: boolean }[] };
  if (!lock.rows[0]?.ok) return false;
  const since = new Date(Date.now() - 60_000).toISOString();
  const recent = (await tx.execute(sql`
    select ip, details->>'email' as email from audit_events
    where ${input.tenantId ? sql`tenant_id = ${input.tenantId}` : sql`tenant_id is null`} and occurred_at > ${since}
      and action = ${input.action} and reason = ${input.reason}
    limit ${REFUSALS_PER_MINUTE}`)) as unknown as { rows: { ip: string | null; email: string | null }[] };
  if (recent.rows.length >= REFUSALS_PER_MINUTE) return false;
  const source = sourceBlock(ctx.ip);
  if (recent.rows.some((r) => sourceBlock(r.ip) === source && (!person || r.email === person))) return false;
  const note = `further refusals for this reason from this address${source?.endsWith('/48') ? ' block' : ''}${person ? ' and person' : ''} within 60 s are not recorded one by one (nor more than ${REFUSALS_PER_MINUTE} a minute in all)`;
  await record(tx, ctx, { ...input, details: { ...(input.details ?? {}), ...(person ? { email: person } : {}), note } });
  return true;
}

/** Writes several events, one statement per page of 5,000 (ids in the given order, which is also chain order). */
export async function recordMany(tx: Executor, ctx: Ctx, inputs: AuditInput[]): Promise<string[]> {
  const ids: string[] = [];
  // A page at a time: the events of 250,000 users in one insert outgrew the statement timeout.
  for (const page of pagesOf(inputs)) {
    const { statement, ids: written } = auditInsert(ctx, page);
    if (statement) await tx.execute(statement);
    ids.push(...written);
  }
  return ids;
}

/**
 * The INSERT of {@link recordMany} without running it, for callers that send it together with
 * another write in one statement (`with a as (<statement>) insert …`). Null for no events.
 */
export function auditInsert(ctx: Ctx, inputs: AuditInput[]): { statement: SQL | null; ids: string[] } {
  if (!inputs.length) return { statement: null, ids: [] };
  const occurredAt = new Date().toISOString();
  const ids: string[] = [];
  // One JSON parameter for every row: a change of thousands of users (a SCIM group deleted) is
  // one statement too, under the driver's limit of 65,535 parameters.
  const rows = inputs.map((input) => {
    const id = newId('evt');
    ids.push(id);
    return {
      id, chain_key: input.tenantId ?? OPERATOR_CHAIN, tenant_id: input.tenantId ?? null, occurred_at: occurredAt,
      action: input.action, outcome: input.outcome ?? 'success', actor_type: ctx.actor.type, actor_id: ctx.actor.id ?? null, actor_label: clip(ctx.actor.label, 320),
      target_type: input.target?.type ?? null, target_id: input.target?.id ?? null, target_label: clip(input.target?.label, 320), ip: clip(ctx.ip, 64),
      user_agent: clip(ctx.userAgent, 512), reason: clip(input.reason, 200), details: input.details ?? null,
    };
  });
  const statement = sql`
    insert into audit_events (${sql.raw(AUDIT_COLUMNS)})
    select ${sql.raw(AUDIT_COLUMNS)} from jsonb_to_recordset(${JSON.stringify(rows, wellFormed)}::jsonb) as r(${sql.raw(AUDIT_ROW_TYPE)})`;
  return { statement, ids };
}
/**
 * JSON that PostgreSQL accepts: a lone surrogate (a label clipped in the middle of an emoji, or one
 * sent as such) becomes U+FFFD, as the driver makes of one in a text parameter.
 */
const wellFormed = (_key: string, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const AUDIT_COLUMNS = 'id, chain_key, tenant_id, occurred_at, action, outcome, actor_type, actor_id, actor_label, target_type, target_id, target_label, ip, user_agent, reason, details';
const AUDIT_ROW_TYPE = `id text, chain_key text, tenant_id text, occurred_at timestamptz, action text, outcome text, actor_type text, actor_id text,
      actor_label text, target_type text, target_id text, target_label text, ip text, user_agent text, reason text, details jsonb`;

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
