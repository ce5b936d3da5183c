import 'server-only';
import { and, asc, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { getDb } from '../db/client';
import { tenants, users, type User } from '../db/schema';
import { toUserView } from '../dal/users';
import { notFound } from '../errors';
import { decodePosition, encodePosition, type Position } from '../api/cursor';
import { daysInactive, DEFAULT_DORMANT_DAYS, inactivityCutoff, suspensionDueAt } from './dates';
import type { ReviewFilterInput, ReviewItem } from './validation';

/**
 * Reading a tenant's users for an access review: every user with roles, source, status, last
 * sign-in and days inactive, filtered, most inactive first, keyset-paginated on
 * (last activity, id). Last activity = last SSO sign-in, or creation when never signed in.
 */

/** The filter as applied: `inactiveDays` resolved (the tenant's policy, else 30) when inactive. */
export type ReviewFilter = ReviewFilterInput & { now?: Date };

const ACTIVITY = sql`coalesce(${users.lastLoginAt}, ${users.createdAt})`;
/** Last activity with all its digits (PostgreSQL keeps microseconds, JS dates milliseconds), for cursors. */
const ACTIVITY_TS = sql<string>`to_char(coalesce(${users.lastLoginAt}, ${users.createdAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** A tenant's inactivity policy (null: off) and the number of days that makes a user dormant. */
export async function reviewSettings(tenantId: string): Promise<{ inactivityDays: number | null; dormantDays: number; roles: string[] }> {
  const db = await getDb();
  const [t] = await db.select({ inactivityDays: tenants.inactivityDays, roles: tenants.roles }).from(tenants).where(eq(tenants.id, tenantId));
  if (!t) throw notFound('Tenant');
  return { inactivityDays: t.inactivityDays, dormantDays: t.inactivityDays ?? DEFAULT_DORMANT_DAYS, roles: t.roles };
}

/** Resolves `inactiveDays` (implies filter=inactive; default: the policy's days, else 30). */
export async function resolveFilter(tenantId: string, f: ReviewFilterInput): Promise<ReviewFilterInput> {
  if (f.filter === 'never_signed_in') return f;
  if (f.filter === 'inactive' || f.inactiveDays !== undefined) {
    return { ...f, filter: 'inactive', inactiveDays: f.inactiveDays ?? (await reviewSettings(tenantId)).dormantDays };
  }
  return f;
}

function conditions(tenantId: string, f: ReviewFilter): SQL[] {
  const c: SQL[] = [eq(users.tenantId, tenantId)];
  if (f.filter === 'never_signed_in') c.push(isNull(users.lastLoginAt));
  if (f.filter === 'inactive') {
    const cutoff = inactivityCutoff(f.now ?? new Date(), f.inactiveDays ?? DEFAULT_DORMANT_DAYS);
    c.push(sql`${ACTIVITY} < ${cutoff.toISOString()}::timestamptz`);
  }
  if (f.role) c.push(sql`${f.role} = any(${users.roles})`);
  if (f.status) c.push(eq(users.status, f.status));
  if (f.source) c.push(eq(users.source, f.source));
  return c;
}

// Cursors: opaque base64url of [last activity with microseconds, id].
const afterPosition = (p: Position) =>
  sql`(${ACTIVITY} > ${p.ts}::timestamptz or (${ACTIVITY} = ${p.ts}::timestamptz and ${users.id} > ${p.id}))`;

export const toReviewItem = (u: User, now: Date): ReviewItem => ({ ...toUserView(u), daysInactive: daysInactive(u, now) });

async function page(tenantId: string, f: ReviewFilter, limit: number, after: Position | null) {
  const db = await getDb();
  const conds = conditions(tenantId, f);
  if (after) conds.push(afterPosition(after));
  return db
    .select({ u: users, ts: ACTIVITY_TS })
    .from(users)
    .where(and(...conds))
    .orderBy(asc(ACTIVITY), asc(users.id))
    .limit(limit);
}

/** One page of the review, most inactive first (`filter` already resolved by resolveFilter). */
export async function listAccessReview(
  tenantId: string,
  f: ReviewFilter,
  opts: { limit: number; cursor?: string },
): Promise<{ data: ReviewItem[]; nextCursor: string | null }> {
  const now = f.now ?? new Date();
  const rows = await page(tenantId, { ...f, now }, opts.limit + 1, opts.cursor ? decodePosition(opts.cursor) : null);
  const shown = rows.slice(0, opts.limit);
  const last = shown.at(-1);
  return {
    data: shown.map((r) => toReviewItem(r.u, now)),
    nextCursor: rows.length > opts.limit && last ? encodePosition({ ts: last.ts, id: last.u.id }) : null,
  };
}

/** Every matching user in keyset batches (the CSV export): memory stays flat. */
export async function* accessReviewBatches(tenantId: string, f: ReviewFilter, batchSize = 500): AsyncGenerator<ReviewItem[]> {
  const now = f.now ?? new Date();
  let after: Position | null = null;
  for (;;) {
    const rows = await page(tenantId, { ...f, now }, batchSize, after);
    if (!rows.length) return;
    yield rows.map((r) => toReviewItem(r.u, now));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1];
    after = { ts: last.ts, id: last.u.id };
  }
}

export type ReviewStats = {
  total: number;
  /** Active users who signed in (or were created) within the dormancy window. */
  active: number;
  /** Active users with no sign-in for more than `dormantDays`. */
  dormant: number;
  suspended: number;
  neverSignedIn: number;
  dormantDays: number;
  /** Users per role (a user with several roles counts in each); `null` role: users with none. */
  roles: { role: string | null; users: number }[];
};

/** Counts for the charts: active vs dormant vs suspended, and users per role. */
export async function accessReviewStats(tenantId: string, dormantDays: number, tenantRoles: string[] = [], now = new Date()): Promise<ReviewStats> {
  const db = await getDb();
  const cutoff = inactivityCutoff(now, dormantDays).toISOString();
  const [c] = await db
    .select({
      total: sql<number>`count(*)::int`,
      suspended: sql<number>`(count(*) filter (where ${users.status} = 'suspended'))::int`,
      dormant: sql<number>`(count(*) filter (where ${users.status} = 'active' and ${ACTIVITY} < ${cutoff}::timestamptz))::int`,
      neverSignedIn: sql<number>`(count(*) filter (where ${users.lastLoginAt} is null))::int`,
      noRole: sql<number>`(count(*) filter (where cardinality(${users.roles}) = 0))::int`,
    })
    .from(users)
    .where(eq(users.tenantId, tenantId));
  const perRole = (await db.execute<{ role: string; n: number }>(sql`
    select r as role, count(*)::int as n from ${users}, unnest(${users.roles}) as r
    where ${users.tenantId} = ${tenantId} group by r`)) as unknown as { rows: { role: string; n: number }[] };
  const counts = new Map<string, number>(tenantRoles.map((r) => [r, 0]));
  for (const r of perRole.rows) counts.set(r.role, Number(r.n));
  const roles: ReviewStats['roles'] = [...counts].map(([role, n]) => ({ role, users: n })).sort((a, b) => b.users - a.users || a.role!.localeCompare(b.role!));
  if (Number(c.noRole)) roles.push({ role: null, users: Number(c.noRole) });
  const total = Number(c.total);
  const suspended = Number(c.suspended);
  const dormant = Number(c.dormant);
  return { total, suspended, dormant, active: total - suspended - dormant, neverSignedIn: Number(c.neverSignedIn), dormantDays, roles };
}

/**
 * The users an inactivity policy of `days` suspends next, soonest first, with when: active users
 * not owned by a SCIM directory, by last activity + days.
 */
export async function nextToSuspend(tenantId: string, days: number, limit = 5, now = new Date()): Promise<(ReviewItem & { dueAt: string })[]> {
  const db = await getDb();
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.status, 'active'), ne(users.source, 'scim')))
    .orderBy(asc(ACTIVITY), asc(users.id))
    .limit(limit);
  return rows.map((u) => ({ ...toReviewItem(u, now), dueAt: suspensionDueAt(u, days).toISOString() }));
}
