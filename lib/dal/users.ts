import 'server-only';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { record, recordMany, type AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { sessions, users, type User } from '../db/schema';
import { badRequest, notFound } from '../errors';
import { endSessionsOf } from './sessions';
import { pageOf } from './page';
import { refuseActingAbove } from './console-access';

export type UserView = {
  id: string;
  tenantId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  roles: string[];
  groups: string[];
  status: User['status'];
  source: User['source'];
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export function toUserView(u: User): UserView {
  return {
    id: u.id,
    tenantId: u.tenantId,
    email: u.email,
    firstName: u.firstName,
    lastName: u.lastName,
    roles: u.roles,
    groups: u.groups,
    status: u.status,
    source: u.source,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

export async function listUsers(tenantId: string, opts: { limit: number; cursor?: string; email?: string }) {
  const db = await getDb();
  const conds = [eq(users.tenantId, tenantId)];
  if (opts.cursor) conds.push(gt(users.id, opts.cursor));
  if (opts.email) conds.push(sql`lower(${users.email}) = ${opts.email.trim().toLowerCase()}`);
  const rows = await db
    .select()
    .from(users)
    .where(and(...conds))
    .orderBy(asc(users.id))
    .limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  return { data: page, nextCursor };
}

export async function getUser(tenantId: string, id: string): Promise<User> {
  const db = await getDb();
  const [u] = await db.select().from(users).where(and(eq(users.tenantId, tenantId), eq(users.id, id)));
  if (!u) throw notFound('User');
  return u;
}

async function lockUser(tx: Tx, tenantId: string, id: string): Promise<User> {
  const [u] = await tx.select().from(users).where(and(eq(users.tenantId, tenantId), eq(users.id, id))).for('update');
  if (!u) throw notFound('User');
  return u;
}

/** Who suspended a user, and why (the audit event's reason). */
export type Suspension = { by: 'admin' | 'policy'; reason: string; details?: (u: User) => Record<string, unknown> };

/**
 * Suspends users already locked in `tx` (all of one tenant): marks them suspended by `s.by`,
 * ends their sessions at once and answers the `user.suspended` events to record — one per user
 * whose state changed — for the caller to write last in the same transaction.
 */
export async function suspendLocked(tx: Tx, tenantId: string, locked: User[], s: Suspension): Promise<{ users: User[]; events: AuditInput[] }> {
  if (!locked.length) return { users: [], events: [] };
  const ids = locked.map((u) => u.id);
  const updated = await tx
    .update(users)
    .set({ status: 'suspended', suspendedBy: s.by, updatedAt: new Date() })
    .where(and(eq(users.tenantId, tenantId), inArray(users.id, ids)))
    .returning();
  await tx.delete(sessions).where(inArray(sessions.subjectId, ids));
  const byId = new Map(updated.map((u) => [u.id, u]));
  const events: AuditInput[] = [];
  for (const before of locked) {
    const u = byId.get(before.id)!;
    if (before.status === 'suspended' && before.suspendedBy === s.by) continue;
    events.push({
      tenantId,
      action: 'user.suspended',
      target: { type: 'user', id: u.id, label: u.email },
      reason: s.reason,
      details: { before: { status: before.status }, after: { status: u.status }, suspendedBy: s.by, ...s.details?.(before) },
    });
  }
  return { users: locked.map((b) => byId.get(b.id)!), events };
}

/** An admin suspends a user: their sessions end at once; only an admin can lift it. */
export async function suspendUser(ctx: Ctx, tenantId: string, id: string, reason = 'admin'): Promise<User> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockUser(tx, tenantId, id);
    await refuseActingAbove(tx, ctx, tenantId, [before], 'userId');
    const { users: [u], events } = await suspendLocked(tx, tenantId, [before], { by: 'admin', reason });
    await recordMany(tx, ctx, events);
    return u;
  });
}

/**
 * An admin suspends several users of a tenant at once, in one transaction with one
 * `user.suspended` event per user: either every id is a user of this tenant and all are
 * suspended, or nothing is (an unknown or foreign id answers 400 naming it).
 */
export async function suspendUsers(ctx: Ctx, tenantId: string, ids: string[], reason = 'admin'): Promise<{ users: User[]; suspended: number }> {
  const wanted = [...new Set(ids)];
  const db = await getDb();
  return db.transaction(async (tx) => {
    const locked = wanted.length
      ? await tx.select().from(users).where(and(eq(users.tenantId, tenantId), inArray(users.id, wanted))).orderBy(asc(users.id)).for('update')
      : [];
    const found = new Set(locked.map((u) => u.id));
    const unknown = ids.map((id, i) => ({ id, i })).filter((x) => !found.has(x.id));
    if (unknown.length) {
      throw badRequest(`Unknown user ids (none in this tenant; nothing was suspended): ${unknown.map((x) => x.id).join(', ')}`, unknown.map((x) => ({ path: `userIds.${x.i}`, message: `no user ${x.id} in this tenant` })));
    }
    await refuseActingAbove(tx, ctx, tenantId, locked, 'userIds');
    const { users: after, events } = await suspendLocked(tx, tenantId, locked, { by: 'admin', reason });
    await recordMany(tx, ctx, events);
    return { users: after, suspended: events.length };
  });
}

/** An admin lifts a suspension (their own, SCIM's or a policy's). */
export async function reactivateUser(ctx: Ctx, tenantId: string, id: string): Promise<User> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockUser(tx, tenantId, id);
    await refuseActingAbove(tx, ctx, tenantId, [before], 'userId');
    const [u] = await tx.update(users).set({ status: 'active', suspendedBy: null, updatedAt: new Date() }).where(eq(users.id, id)).returning();
    if (before.status !== 'active') {
      await record(tx, ctx, {
        tenantId,
        action: 'user.reactivated',
        target: { type: 'user', id, label: u.email },
        details: { before: { status: before.status }, after: { status: 'active' } },
      });
    }
    return u;
  });
}

/** Deletes a user with their identities, sessions and kept attributes. */
export async function deleteUser(ctx: Ctx, tenantId: string, id: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const before = await lockUser(tx, tenantId, id);
    await refuseActingAbove(tx, ctx, tenantId, [before], 'userId');
    await endSessionsOf(tx, id);
    await tx.delete(users).where(eq(users.id, id));
    await record(tx, ctx, { tenantId, action: 'user.deleted', target: { type: 'user', id, label: before.email }, details: { before: { email: before.email, source: before.source } } });
  });
}
