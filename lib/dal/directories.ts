import 'server-only';
import { and, asc, count, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import { record, recordMany } from '../audit/record';
import type { Ctx } from '../audit/types';
import { ceilingOf, holdsEveryScope, narrowest } from '../auth/permissions';
import { getDb, type Executor } from '../db/client';
import { inList } from '../db/lists';
import { inPages, pagesOf, PAGE_ROWS } from '../db/pages';
import { transactionRetried } from '../db/retry';
import { directories, scimGroupMembers, scimGroups, scimRequests, scimUsers, sessions, users, type Directory } from '../db/schema';
import { forbidden, notFound } from '../errors';
import { newId } from '../ids';
import { hashToken, heldTenant, newDirectoryToken } from '../scim/auth';
import type { ScimContext } from '../scim/context';
import { ScimError } from '../scim/scimmy';
import { MappingMeter } from '../provisioning/mapping';
import { refreshPortalUsers } from '../scim/portal';
import { portalEmail } from '../scim/normalise';
import { scimUrl } from '../scim/urls';
import type { DirectoryCreate, DirectoryView, ScimGroupView, ScimRequestView, ScimUserView, ScimOutcome } from '../validation/directories';
import { refuseActingAbove } from './console-access';
import { refuseOverLimit } from './tenant-limits';
import { getTenant } from './tenants';
import { pageOf } from './page';

/**
 * A tenant's SCIM directories: create (token shown once), list, rotate and revoke the token,
 * delete; the request log and the users and groups a directory pushed. Every query is scoped by
 * tenant and directory id.
 */

type Counts = { users: number; groups: number };

export function toDirectoryView(d: Directory, counts: Counts = { users: 0, groups: 0 }): DirectoryView {
  return {
    id: d.id,
    tenantId: d.tenantId,
    name: d.name,
    provider: d.provider,
    scimUrl: scimUrl(d.id),
    tokenActive: d.tokenHash !== null,
    tokenCreatedAt: d.tokenCreatedAt?.toISOString() ?? null,
    userCount: counts.users,
    groupCount: counts.groups,
    createdAt: d.createdAt.toISOString(),
  };
}

async function countsOf(ids: string[]): Promise<Map<string, Counts>> {
  const map = new Map<string, Counts>(ids.map((id) => [id, { users: 0, groups: 0 }]));
  if (!ids.length) return map;
  const db = await getDb();
  const [u, g] = await Promise.all([
    db.select({ id: scimUsers.directoryId, n: count() }).from(scimUsers).where(inArray(scimUsers.directoryId, ids)).groupBy(scimUsers.directoryId),
    db.select({ id: scimGroups.directoryId, n: count() }).from(scimGroups).where(inArray(scimGroups.directoryId, ids)).groupBy(scimGroups.directoryId),
  ]);
  for (const r of u) map.get(r.id)!.users = Number(r.n);
  for (const r of g) map.get(r.id)!.groups = Number(r.n);
  return map;
}

export async function createDirectory(ctx: Ctx, tenantId: string, input: DirectoryCreate): Promise<DirectoryView & { bearerToken: string }> {
  const tenant = await getTenant(tenantId);
  const token = newDirectoryToken();
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    await refuseOverLimit(tx, tenant.id, 'directories', 'name');
    const now = new Date();
    const [d] = await tx
      .insert(directories)
      .values({ id: newId('dir'), tenantId: tenant.id, name: input.name, provider: input.provider ?? 'generic', tokenHash: hashToken(token), tokenCreatedAt: now, scopeCeiling: ceilingOf(ctx) })
      .returning();
    await record(tx, ctx, {
      tenantId: tenant.id,
      action: 'directory.created',
      target: { type: 'directory', id: d.id, label: d.name },
      details: { after: { name: d.name, provider: d.provider } },
    });
    return d;
  });
  return { ...toDirectoryView(row), bearerToken: token };
}

export async function listDirectories(
  tenantId: string,
  page: { limit: number; cursor?: string } = { limit: 200 },
): Promise<{ data: DirectoryView[]; nextCursor: string | null }> {
  const db = await getDb();
  const rows = await db
    .select()
    .from(directories)
    .where(and(eq(directories.tenantId, tenantId), page.cursor ? gt(directories.id, page.cursor) : undefined))
    .orderBy(asc(directories.id))
    .limit(page.limit + 1);
  const { page: data, nextCursor } = pageOf(rows, page.limit);
  const counts = await countsOf(data.map((r) => r.id));
  return { data: data.map((r) => toDirectoryView(r, counts.get(r.id))), nextCursor };
}

export async function getDirectory(tenantId: string, id: string): Promise<Directory> {
  const db = await getDb();
  const [d] = await db.select().from(directories).where(and(eq(directories.tenantId, tenantId), eq(directories.id, id)));
  if (!d) throw notFound('Directory');
  return d;
}

export async function getDirectoryView(tenantId: string, id: string): Promise<DirectoryView> {
  const d = await getDirectory(tenantId, id);
  return toDirectoryView(d, (await countsOf([d.id])).get(d.id));
}

/**
 * A new token; the old one stops working at once. Whoever holds the token decides what the
 * directory says: it keeps the narrower of its ceiling and the issuer's (lib/auth/permissions.ts
 * `ceilingOf`); only {@link liftDirectoryLimit} lifts one.
 */
export async function rotateDirectoryToken(ctx: Ctx, tenantId: string, id: string): Promise<{ id: string; bearerToken: string }> {
  const token = newDirectoryToken();
  const db = await getDb();
  await db.transaction(async (tx) => {
    const [before] = await tx.select().from(directories).where(and(eq(directories.tenantId, tenantId), eq(directories.id, id))).for('update');
    if (!before) throw notFound('Directory');
    const [d] = await tx
      .update(directories)
      .set({ tokenHash: hashToken(token), tokenCreatedAt: new Date(), updatedAt: new Date(), scopeCeiling: narrowest(before.scopeCeiling, ceilingOf(ctx)) })
      .where(eq(directories.id, id))
      .returning();
    await record(tx, ctx, { tenantId, action: 'directory.token_rotated', target: { type: 'directory', id: d.id, label: d.name } });
  });
  return { id, bearerToken: token };
}

/**
 * Lifts a directory's limit (its ceiling, lib/auth/permissions.ts `ceilingOf`): what it says of
 * its users is trusted in full, including the groups it put them in while limited, and it may
 * manage users holding any section. Only the operator, the API or an admin holding every section
 * may: they vouch for whoever holds its token. Its users' own limits follow at their next change.
 */
export async function liftDirectoryLimit(ctx: Ctx, tenantId: string, id: string): Promise<DirectoryView> {
  if (!holdsEveryScope(ctx.consoleScopes)) throw forbidden('directoryId', 'only the operator or an admin holding every section of this console may lift a directory’s limit');
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const [before] = await tx.select().from(directories).where(and(eq(directories.tenantId, tenantId), eq(directories.id, id))).for('update');
    if (!before) throw notFound('Directory');
    if (!before.scopeCeiling) return before;
    const [d] = await tx.update(directories).set({ scopeCeiling: null, updatedAt: new Date() }).where(eq(directories.id, id)).returning();
    await record(tx, ctx, {
      tenantId,
      action: 'directory.limit_lifted',
      target: { type: 'directory', id, label: d.name },
      details: { before: { scopeCeiling: before.scopeCeiling }, after: { scopeCeiling: null } },
    });
    return d;
  });
  return toDirectoryView(row, (await countsOf([row.id])).get(row.id));
}

/** No token works any more (until a new one is made by rotating). */
export async function revokeDirectoryToken(ctx: Ctx, tenantId: string, id: string): Promise<DirectoryView> {
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const [before] = await tx.select().from(directories).where(and(eq(directories.tenantId, tenantId), eq(directories.id, id))).for('update');
    if (!before) throw notFound('Directory');
    const [d] = await tx.update(directories).set({ tokenHash: null, updatedAt: new Date() }).where(eq(directories.id, id)).returning();
    if (before.tokenHash) {
      await record(tx, ctx, { tenantId, action: 'directory.token_revoked', target: { type: 'directory', id: d.id, label: d.name } });
    }
    return d;
  });
  return toDirectoryView(row, (await countsOf([row.id])).get(row.id));
}

/** A directory's SCIM users and groups, with their memberships, a page at a time (lib/db/pages.ts). */
export async function deleteScimRows(tx: Executor, directoryId: string): Promise<void> {
  for (const table of ['scim_users', 'scim_groups']) {
    await inPages(tx, (after) => sql`with page as (select id from ${sql.raw(table)} where directory_id = ${directoryId} and id > ${after} order by id limit ${PAGE_ROWS}),
      gone as (delete from ${sql.raw(table)} where id in (select id from page))
      select max(id) as last from page`);
  }
}

/**
 * Deletes a directory with its SCIM users, groups and log. The portal users it pushed stay
 * listed; those with no SCIM user left anywhere are suspended (by `scim`) and signed out. All in
 * one transaction, a page of users at a time (lib/db/pages.ts): however many users the directory
 * pushed, no statement outgrows the statement timeout.
 */
export async function deleteDirectory(ctx: Ctx, tenantId: string, id: string): Promise<void> {
  const db = await getDb();
  // Retried on a deadlock: a SCIM change that moves a user's email locks two users out of id order.
  await transactionRetried(db, async (tx) => {
    const [d] = await tx.select().from(directories).where(and(eq(directories.tenantId, tenantId), eq(directories.id, id))).for('update');
    if (!d) throw notFound('Directory');
    // The tenant before any user, as a SCIM request takes them: "save and apply" of role mappings
    // holds the tenant while it locks users, and would otherwise wait for this deletion as it waits for it.
    const tenant = (await heldTenant(tx, tenantId))!;
    const linked = await tx
      .selectDistinct({ id: scimUsers.portalUserId })
      .from(scimUsers)
      .where(and(eq(scimUsers.directoryId, d.id), sql`${scimUsers.portalUserId} is not null`));
    // Its SCIM users and groups (with their memberships) a page at a time, then the directory with the rest.
    await deleteScimRows(tx, d.id);
    await tx.delete(directories).where(eq(directories.id, d.id));
    const ids = linked.map((r) => r.id!).sort();
    let scim: ScimContext | undefined;
    for (const page of pagesOf(ids)) {
      // The page's users locked first, in id order (as SCIM locks several users): a link another
      // directory makes meanwhile (lib/scim/portal.ts locks the user first) either committed before
      // the read below, which sees it, or waits for this deletion, and then finds who it suspended.
      // Only the active ones: no other is changed here (refreshPortalUsers locks the kept ones it changes).
      const locked = await tx
        .select()
        .from(users)
        .where(and(eq(users.tenantId, tenantId), inList(users.id, page), eq(users.status, 'active')))
        .orderBy(asc(users.id))
        .for('update');
      const stillLinked = new Set(
        (
          await tx
            .selectDistinct({ id: scimUsers.portalUserId })
            .from(scimUsers)
            .where(and(eq(scimUsers.tenantId, tenantId), inList(scimUsers.portalUserId, page)))
        ).map((r) => r.id),
      );
      const kept = page.filter((x) => stillLinked.has(x));
      if (kept.length) {
        // Users another directory pushes too lose what this one gave them (its groups, the roles they
        // opened), worked out as a change of their SCIM users would (lib/scim/portal.ts): a change of
        // a user above the admin deleting is refused (their sections the ceiling), with no budget
        // over the whole tenant, and roles the rules cannot work out within one user's budget kept.
        const c: ScimContext = (scim ??= {
          tx,
          directory: { ...d, scopeCeiling: ctx.consoleScopes ? [...ctx.consoleScopes] : null },
          tenant,
          base: '',
          audit: ctx,
          events: [],
          summary: [],
          outcome: 'unchanged',
          mappingMeter: new MappingMeter(Infinity),
          keepRolesOverBudget: true,
        });
        c.events = [];
        try {
          await refreshPortalUsers(c, kept, Object.fromEntries(kept.map((id) => [id, { reason: 'directory deleted' }])));
        } catch (e) {
          if (e instanceof ScimError && Number(e.status) === 403) {
            throw forbidden('directoryId', 'a user another directory also pushes holds console sections you do not, and deleting this directory would change their groups or roles; only an admin holding them may delete it');
          }
          throw e;
        }
        await recordMany(tx, ctx, c.events);
      }
      // Deleting suspends the active ones: not an admin above the one deleting (lib/dal/console-access.ts).
      const targets = locked.filter((u) => !stillLinked.has(u.id));
      if (targets.length) {
        await refuseActingAbove(tx, ctx, tenantId, targets, 'directoryId');
        const suspended = await tx
          .update(users)
          .set({ status: 'suspended', suspendedBy: 'scim', updatedAt: new Date() })
          .where(and(eq(users.tenantId, tenantId), inList(users.id, targets.map((u) => u.id))))
          .returning({ id: users.id, email: users.email });
        if (suspended.length) await tx.delete(sessions).where(inList(sessions.subjectId, suspended.map((u) => u.id)));
        await recordMany(
          tx,
          ctx,
          suspended.map((u) => ({
            tenantId,
            action: 'user.suspended',
            target: { type: 'user', id: u.id, label: u.email },
            reason: 'directory deleted',
            details: { directoryId: d.id, suspendedBy: 'scim' },
          })),
        );
      }
    }
    await record(tx, ctx, {
      tenantId,
      action: 'directory.deleted',
      target: { type: 'directory', id: d.id, label: d.name },
      details: { before: { name: d.name, provider: d.provider }, portalUsers: ids.length },
    });
  });
}

export function toRequestView(r: typeof scimRequests.$inferSelect): ScimRequestView {
  return {
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    method: r.method,
    path: r.path,
    status: r.status,
    outcome: r.outcome,
    summary: r.summary,
    ip: r.ip,
    durationMs: r.durationMs,
  };
}

/** A directory's request log, newest first; `status` is a code (`401`) or a class (`4xx`). */
export async function listRequests(
  tenantId: string,
  directoryId: string,
  opts: { limit: number; cursor?: string; status?: string; outcome?: ScimOutcome },
): Promise<{ data: ScimRequestView[]; nextCursor: string | null }> {
  const d = await getDirectory(tenantId, directoryId);
  const db = await getDb();
  const conds = [eq(scimRequests.directoryId, d.id)];
  if (opts.cursor) conds.push(lt(scimRequests.id, opts.cursor));
  if (opts.status) {
    if (opts.status.endsWith('xx')) {
      const lo = Number(opts.status[0]) * 100;
      conds.push(gte(scimRequests.status, lo), lt(scimRequests.status, lo + 100));
    } else conds.push(eq(scimRequests.status, Number(opts.status)));
  }
  if (opts.outcome) conds.push(eq(scimRequests.outcome, opts.outcome));
  const rows = await db
    .select()
    .from(scimRequests)
    .where(and(...conds))
    .orderBy(desc(scimRequests.id))
    .limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  return { data: page.map(toRequestView), nextCursor };
}

/** The users a directory pushed, by SCIM id (oldest first), with their group names. */
export async function listDirectoryUsers(
  tenantId: string,
  directoryId: string,
  opts: { limit: number; cursor?: string },
): Promise<{ data: ScimUserView[]; nextCursor: string | null }> {
  const d = await getDirectory(tenantId, directoryId);
  const db = await getDb();
  const conds = [eq(scimUsers.directoryId, d.id)];
  if (opts.cursor) conds.push(sql`${scimUsers.id} > ${opts.cursor}`);
  const rows = await db.select().from(scimUsers).where(and(...conds)).orderBy(asc(scimUsers.id)).limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  const groups = new Map<string, string[]>(page.map((r) => [r.id, []]));
  if (page.length) {
    const g = await db
      .select({ userId: scimGroupMembers.userId, name: scimGroups.displayName })
      .from(scimGroupMembers)
      .innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId))
      .where(and(eq(scimGroupMembers.directoryId, d.id), inArray(scimGroupMembers.userId, page.map((r) => r.id))))
      .orderBy(asc(scimGroups.displayName));
    for (const r of g) groups.get(r.userId)?.push(r.name);
  }
  return {
    data: page.map((r) => ({
      id: r.id,
      directoryId: r.directoryId,
      userName: r.userName,
      externalId: r.externalId,
      active: r.active,
      email: portalEmail(r.resource),
      displayName: typeof r.resource.displayName === 'string' ? r.resource.displayName : null,
      portalUserId: r.portalUserId,
      groups: groups.get(r.id) ?? [],
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    })),
    nextCursor,
  };
}

/** The groups a directory pushed, with member counts. */
export async function listDirectoryGroups(
  tenantId: string,
  directoryId: string,
  opts: { limit: number; cursor?: string },
): Promise<{ data: ScimGroupView[]; nextCursor: string | null }> {
  const d = await getDirectory(tenantId, directoryId);
  const db = await getDb();
  const conds = [eq(scimGroups.directoryId, d.id)];
  if (opts.cursor) conds.push(sql`${scimGroups.id} > ${opts.cursor}`);
  const rows = await db
    .select({
      g: scimGroups,
      members: sql<number>`(select count(*) from ${scimGroupMembers} m where m.group_id = ${scimGroups.id})`.mapWith(Number),
    })
    .from(scimGroups)
    .where(and(...conds))
    .orderBy(asc(scimGroups.id))
    .limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit, (r) => r.g.id);
  return {
    data: page.map(({ g, members }) => ({
      id: g.id,
      directoryId: g.directoryId,
      displayName: g.displayName,
      externalId: g.externalId,
      memberCount: members,
      createdAt: g.createdAt.toISOString(),
      updatedAt: g.updatedAt.toISOString(),
    })),
    nextCursor,
  };
}
