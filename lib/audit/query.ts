import { and, eq, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { dbHandle, getDb } from '../db/client';
import { auditEvents, tenants } from '../db/schema';
import { decodePosition, encodePosition, type Position } from '../api/cursor';
import type { AuditEventView, AuditFilter, AuditListQuery } from '../validation/audit';

/**
 * Reading the audit log: filtered, keyset-paginated listing (newest first) and the batches the
 * export streams (oldest first). Both walk the index audit_events_tenant_time_idx
 * (tenant_id, occurred_at desc, id desc).
 */

/** Which events: one tenant's (the API and the tenant console), or every event (operator console). */
export type AuditScope = { tenantId: string } | { allTenants: true; tenantId?: string };

/**
 * The hot queries (a page, an export batch) are built with drizzle's `sql` but run on the raw
 * driver: drizzle's own execution path costs more per query than PostgreSQL needs to answer one
 * (measured with bench/audit.ts). Both drivers return timestamptz as Date and jsonb parsed.
 */
const dialect = new PgDialect();
async function run<T>(q: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(q);
  return (await dbHandle()).query<T>(text, params);
}

/** occurred_at with all its digits (JS dates keep milliseconds, PostgreSQL microseconds), for cursors. */
const TS_SQL = `to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts`;
const TEXT_COLUMNS = `id, tenant_id as "tenantId", action, outcome, actor_type as "actorType", actor_id as "actorId",
  actor_label as "actorLabel", target_type as "targetType", target_id as "targetId", target_label as "targetLabel", ip,
  user_agent as "userAgent", reason`;
/** The columns a listing needs, plus the exact timestamp for the cursor. */
const LIST_COLUMNS = sql.raw(`${TEXT_COLUMNS}, occurred_at as "occurredAt", details, ${TS_SQL}`);
/**
 * The columns an export needs, all as text: details as JSON text and the timestamp (occurredAt
 * is cut from it in toISOString()'s form), so streaming a million rows parses no date and no JSON.
 */
const EXPORT_COLUMNS = sql.raw(`${TEXT_COLUMNS}, details::text as details, ${TS_SQL}`);

export type AuditListRow = {
  id: string;
  tenantId: string | null;
  occurredAt: Date;
  action: string;
  outcome: 'success' | 'failure';
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  ts: string;
};

/** An event as the export reads it: occurredAt as toISOString() would write it, details as JSON text. */
export type AuditExportRow = Omit<AuditListRow, 'occurredAt' | 'details'> & { occurredAt: string; details: string | null };

/** Maps a stored event to the contract's shape; empty optional fields are left out. */
export function toAuditView(r: Omit<AuditListRow, 'ts'>): AuditEventView {
  const v: AuditEventView = {
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    tenantId: r.tenantId,
    action: r.action,
    outcome: r.outcome,
    actor: { type: r.actorType as AuditEventView['actor']['type'] },
  };
  if (r.actorId != null) v.actor.id = r.actorId;
  if (r.actorLabel != null) v.actor.label = r.actorLabel;
  if (r.targetType != null && r.targetId != null) {
    v.target = { type: r.targetType, id: r.targetId };
    if (r.targetLabel != null) v.target.label = r.targetLabel;
  }
  if (r.ip != null) v.ip = r.ip;
  if (r.userAgent != null) v.userAgent = r.userAgent;
  if (r.reason != null) v.reason = r.reason;
  if (r.details != null) v.details = r.details;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Cursors: opaque base64url of [occurredAt with microseconds, id]
// ---------------------------------------------------------------------------------------------

export type { Position };

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/**
 * The text `q` searches: the searched columns joined by U+001F. Written out literally (no
 * parameters) so that PostgreSQL matches it to the expression of audit_events_search_trgm_idx —
 * keep the two identical.
 */
const SEPARATOR = '\x1f';
export const SEARCH_TEXT = sql.raw(
  `(coalesce(actor_label, '') || E'\\x1f' || coalesce(target_label, '') || E'\\x1f' || coalesce(target_id, '') || E'\\x1f' || action || E'\\x1f' || coalesce(reason, '') || E'\\x1f' || coalesce(ip, ''))`,
);

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function scopeCondition(scope: AuditScope): SQL | undefined {
  if ('allTenants' in scope) return scope.tenantId ? eq(auditEvents.tenantId, scope.tenantId) : undefined;
  return eq(auditEvents.tenantId, scope.tenantId);
}

/** SQL conditions for the filters (all of them must hold). */
export function filterConditions(f: Partial<AuditFilter>): SQL[] {
  const c: SQL[] = [];
  if (f.action && f.action !== '*') {
    c.push(f.action.endsWith('*') ? like(auditEvents.action, `${escapeLike(f.action.slice(0, -1))}%`) : eq(auditEvents.action, f.action));
  }
  if (f.actorId) c.push(eq(auditEvents.actorId, f.actorId));
  if (f.targetId) c.push(eq(auditEvents.targetId, f.targetId));
  if (f.outcome) c.push(eq(auditEvents.outcome, f.outcome));
  if (f.since) c.push(sql`${auditEvents.occurredAt} >= ${f.since.toISOString()}::timestamptz`);
  if (f.until) c.push(sql`${auditEvents.occurredAt} < ${f.until.toISOString()}::timestamptz`);
  if (f.q && !f.q.includes(SEPARATOR)) {
    // One trigram-indexed expression (drizzle/0008_audit_trgm.sql): the same matches as the
    // per-column form below, since a pattern without the separator cannot span two columns.
    c.push(sql`${SEARCH_TEXT} ilike ${`%${escapeLike(f.q)}%`}`);
  } else if (f.q) {
    const pat = `%${escapeLike(f.q)}%`;
    c.push(
      or(
        sql`${auditEvents.actorLabel} ilike ${pat}`,
        sql`${auditEvents.targetLabel} ilike ${pat}`,
        sql`${auditEvents.targetId} ilike ${pat}`,
        sql`${auditEvents.action} ilike ${pat}`,
        sql`${auditEvents.reason} ilike ${pat}`,
        sql`${auditEvents.ip} ilike ${pat}`,
      )!,
    );
  }
  return c;
}

/**
 * Rows strictly after `p` in the given direction. Written as a range on occurred_at plus a
 * tie-break on id so that the index's leading time column bounds the scan on both engines.
 */
function after(p: Position, dir: 'asc' | 'desc'): SQL {
  const ts = sql`${p.ts}::timestamptz`;
  return dir === 'desc'
    ? sql`(${auditEvents.occurredAt} <= ${ts} and (${auditEvents.occurredAt} < ${ts} or ${auditEvents.id} < ${p.id}))`
    : sql`(${auditEvents.occurredAt} >= ${ts} and (${auditEvents.occurredAt} > ${ts} or ${auditEvents.id} > ${p.id}))`;
}

/** Rows strictly before `p` in ascending order (used to bound an export). */
function before(p: Position): SQL {
  const ts = sql`${p.ts}::timestamptz`;
  return sql`(${auditEvents.occurredAt} <= ${ts} and (${auditEvents.occurredAt} < ${ts} or ${auditEvents.id} < ${p.id}))`;
}

export type AuditPage = { data: AuditListRow[]; nextCursor: string | null };

/** One page of events, newest first; `nextCursor` continues where it ended (null at the end). */
export async function listAuditEvents(scope: AuditScope, query: Pick<AuditListQuery, 'limit' | 'cursor'> & Partial<AuditFilter>): Promise<AuditPage> {
  const conds = [scopeCondition(scope), ...filterConditions(query)].filter((c): c is SQL => c !== undefined);
  if (query.cursor) conds.push(after(decodePosition(query.cursor), 'desc'));
  const rows = await run<AuditListRow>(sql`
    select ${LIST_COLUMNS} from audit_events
    ${conds.length ? sql`where ${and(...conds)}` : sql``}
    order by occurred_at desc, id desc
    limit ${query.limit + 1}`);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { data: page, nextCursor: rows.length > query.limit && last ? encodePosition({ ts: last.ts, id: last.id }) : null };
}

/**
 * Every matching event of a tenant, oldest first, in keyset batches of `batchSize` — one query
 * per batch, so memory stays flat however many there are; the next batch is read while the
 * current one is written out. `upTo` (exclusive) bounds the walk.
 */
export async function* auditBatches(
  tenantId: string,
  f: Partial<AuditFilter>,
  opts: { batchSize?: number; upTo?: Position | null; signal?: { aborted: boolean } } = {},
): AsyncGenerator<AuditExportRow[]> {
  const size = opts.batchSize ?? 1000;
  const base = [eq(auditEvents.tenantId, tenantId), ...filterConditions(f)];
  if (opts.upTo) base.push(before(opts.upTo));
  const read = (pos: Position | null) => {
    const p = run<AuditExportRow>(sql`
      select ${EXPORT_COLUMNS} from audit_events
      where ${and(...base, ...(pos ? [after(pos, 'asc')] : []))}
      order by occurred_at, id
      limit ${size}`).then((rows) => {
      for (const r of rows) r.occurredAt = `${r.ts.slice(0, 23)}Z`; // as Date#toISOString() writes it: milliseconds, cut
      return rows;
    });
    p.catch(() => {}); // awaited below; never an unhandled rejection when the reader goes away
    return p;
  };
  let pending = read(null);
  for (;;) {
    if (opts.signal?.aborted) return;
    const rows = await pending;
    if (!rows.length) return;
    const more = rows.length === size;
    if (more) {
      const last = rows[rows.length - 1];
      pending = read({ ts: last.ts, id: last.id });
    }
    yield rows;
    if (!more) return;
  }
}

/** The exact position of one event (to bound an export just before it). */
export async function positionOf(id: string): Promise<Position | null> {
  const [row] = await run<Position>(sql`select id, ${sql.raw(TS_SQL)} from audit_events where id = ${id}`);
  return row ?? null;
}

/**
 * Sign-ins and failed sign-ins per UTC day over the last `days` days (today included), oldest
 * first, zero-filled.
 */
export async function signInsPerDay(tenantId: string, days = 14, now = new Date()): Promise<{ day: string; succeeded: number; failed: number }[]> {
  const db = await getDb();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const rows = (await db
    .select({
      day: sql<string>`to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD')`,
      action: auditEvents.action,
      n: sql<number>`count(*)::int`,
    })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        sql`${auditEvents.occurredAt} >= ${start.toISOString()}::timestamptz`,
        inArray(auditEvents.action, ['sso.login_succeeded', 'sso.login_failed']),
      ),
    )
    .groupBy(sql`1`, auditEvents.action)) as { day: string; action: string; n: number }[];
  const out = Array.from({ length: days }, (_, i) => {
    const d = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    return { day: d, succeeded: 0, failed: 0 };
  });
  const byDay = new Map(out.map((o) => [o.day, o]));
  for (const r of rows) {
    const o = byDay.get(r.day);
    if (!o) continue;
    if (r.action === 'sso.login_succeeded') o.succeeded += Number(r.n);
    else o.failed += Number(r.n);
  }
  return out;
}

/** Names and slugs of the tenants on a page of the operator-wide view (deleted ones are absent). */
export async function tenantRefs(ids: (string | null)[]): Promise<Record<string, { name: string; slug: string }>> {
  const wanted = [...new Set(ids.filter((i): i is string => !!i))];
  if (!wanted.length) return {};
  const db = await getDb();
  const rows = await db.select({ id: tenants.id, name: tenants.name, slug: tenants.slug }).from(tenants).where(inArray(tenants.id, wanted));
  return Object.fromEntries(rows.map((r) => [r.id, { name: r.name, slug: r.slug }]));
}
