import 'server-only';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { users, type User } from '../db/schema';
import { notFound } from '../errors';
import { endSessionsOf } from './sessions';

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
  const page = rows.slice(0, opts.limit);
  return { data: page, nextCursor: rows.length > opts.limit ? page.at(-1)!.id : null };
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

/** An admin suspends a user: their sessions end at once; only an admin can lift it. */
export async function suspendUser(ctx: Ctx, tenantId: string, id: string, reason = 'admin'): Promise<User> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockUser(tx, tenantId, id);
    const [u] = await tx
      .update(users)
      .set({ status: 'suspended', suspendedBy: 'admin', updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    await endSessionsOf(tx, id);
    if (before.status !== 'suspended' || before.suspendedBy !== 'admin') {
      await record(tx, ctx, {
        tenantId,
        action: 'user.suspended',
        target: { type: 'user', id, label: u.email },
        reason,
        details: { before: { status: before.status }, after: { status: u.status } },
      });
    }
    return u;
  });
}

/** An admin lifts a suspension (their own, SCIM's or a policy's). */
export async function reactivateUser(ctx: Ctx, tenantId: string, id: string): Promise<User> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockUser(tx, tenantId, id);
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
    await endSessionsOf(tx, id);
    await tx.delete(users).where(eq(users.id, id));
    await record(tx, ctx, { tenantId, action: 'user.deleted', target: { type: 'user', id, label: before.email }, details: { before: { email: before.email, source: before.source } } });
  });
}
