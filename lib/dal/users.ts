import 'server-only';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { users, type User } from '../db/schema';
import { notFound } from '../errors';

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
