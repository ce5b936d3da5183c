import 'server-only';
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, ilike, inArray, lt, or, sql } from 'drizzle-orm';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Executor } from '../db/client';
import { inPages, PAGE_ROWS } from '../db/pages';
import { deleteScimRows } from './directories';
import { auditEvents, connections, directories, sessions, tenantDomains, tenants, type Tenant } from '../db/schema';
import { AppError, badRequest, conflict, notFound } from '../errors';
import { newId } from '../ids';
import { removeLibraryConnections } from '../sso/library-records';
import { domainAddedBy, newVerificationToken, releaseUnverifiedClaims, trustedDomainSql } from './domains';
import { slugify } from '../validation/common';
import type { ProvisioningInput, TenantCreate, TenantPatch, TenantView } from '../validation/tenants';
import { pageOf } from './page';
import { applyRoleMapping } from '../provisioning/apply';
import { withRoles, type NewRoles } from './role-mappings';
import { lostAny, refuseEscalation, refuseShuttingOutAbove } from './console-access';

export type TenantWithDomains = Tenant & { domains: string[] };

export function toTenantView(t: TenantWithDomains): TenantView {
  return {
    id: t.id,
    name: t.name,
    slug: t.slug,
    domains: t.domains,
    roles: t.roles,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

async function domainsOf(db: Executor, tenantIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(tenantIds.map((id) => [id, []]));
  if (!tenantIds.length) return map;
  const rows = await db
    .select({ tenantId: tenantDomains.tenantId, domain: tenantDomains.domain })
    .from(tenantDomains)
    .where(inArray(tenantDomains.tenantId, tenantIds))
    .orderBy(asc(tenantDomains.domain));
  for (const r of rows) map.get(r.tenantId)!.push(r.domain);
  return map;
}

async function withDomains(db: Executor, rows: Tenant[]): Promise<TenantWithDomains[]> {
  const map = await domainsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ ...r, domains: map.get(r.id) ?? [] }));
}

/**
 * Inserts domains for a tenant; a domain another tenant has is a 409 on its path, unless that
 * claim is an unverified one of its IT admin and the operator is adding (see releaseUnverifiedClaims).
 */
async function addDomains(tx: Executor, ctx: Ctx, tenantId: string, domains: string[], pathOf: (d: string) => string) {
  if (!domains.length) return;
  const addedBy = domainAddedBy(ctx);
  await releaseUnverifiedClaims(tx, ctx, tenantId, domains);
  const inserted = await tx
    .insert(tenantDomains)
    .values(domains.map((domain) => ({ domain, tenantId, addedBy, verificationToken: newVerificationToken() })))
    .onConflictDoNothing()
    .returning({ domain: tenantDomains.domain });
  const got = new Set(inserted.map((r) => r.domain));
  const taken = domains.find((d) => !got.has(d));
  if (taken) throw conflict(pathOf(taken), `domain ${taken} already belongs to a tenant`);
}

export async function createTenant(ctx: Ctx, input: TenantCreate): Promise<TenantWithDomains> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const id = newId('tnt');
    const base = input.slug ?? slugify(input.name);
    let row: Tenant | undefined;
    for (let attempt = 0; attempt < 5 && !row; attempt++) {
      const slug = attempt === 0 ? base : `${base.slice(0, 40)}-${randomBytes(3).toString('hex')}`;
      [row] = await tx.insert(tenants).values({ id, name: input.name, slug }).onConflictDoNothing().returning();
      if (!row && input.slug) throw conflict('slug', `slug ${input.slug} is already taken`);
    }
    if (!row) throw new AppError(409, 'conflict', 'could not find a free slug; give one explicitly', [{ path: 'slug', message: 'taken' }]);
    const domains = input.domains ?? [];
    await addDomains(tx, ctx, id, domains, (d) => `domains.${domains.indexOf(d)}`);
    await record(tx, ctx, {
      tenantId: id,
      action: 'tenant.created',
      target: { type: 'tenant', id, label: row.name },
      details: { after: { name: row.name, slug: row.slug, domains } },
    });
    return { ...row, domains: [...domains].sort() };
  });
}

export async function listTenants(opts: { limit: number; cursor?: string; q?: string }) {
  const db = await getDb();
  const conds = [];
  if (opts.cursor) conds.push(lt(tenants.id, opts.cursor));
  if (opts.q?.trim()) {
    const like = `%${opts.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conds.push(
      or(
        ilike(tenants.name, like),
        ilike(tenants.slug, like),
        sql`exists (select 1 from ${tenantDomains} d where d.tenant_id = ${tenants.id} and d.domain ilike ${like})`,
      ),
    );
  }
  const rows = await db
    .select()
    .from(tenants)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(tenants.id))
    .limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  return { data: await withDomains(db, page), nextCursor };
}

export async function findTenant(by: { id: string } | { slug: string }, db?: Executor): Promise<TenantWithDomains | null> {
  const d = db ?? (await getDb());
  const [row] = await d
    .select()
    .from(tenants)
    .where('id' in by ? eq(tenants.id, by.id) : eq(tenants.slug, by.slug))
    .limit(1);
  if (!row) return null;
  return (await withDomains(d, [row]))[0];
}

export async function getTenant(id: string, db?: Executor): Promise<TenantWithDomains> {
  const t = await findTenant({ id }, db);
  if (!t) throw notFound('Tenant');
  return t;
}

/**
 * The tenant whose audit log is asked for. A deleted tenant's log outlives it (it holds the
 * tenant.deleted event), so its ID still finds it, as `{ id, name, deleted: true }`; an ID that
 * never had a tenant is a 404.
 */
export async function auditLogTenant(id: string): Promise<{ id: string; name: string; slug?: string; deleted: boolean }> {
  const t = await findTenant({ id });
  if (t) return { id: t.id, name: t.name, slug: t.slug, deleted: false };
  const db = await getDb();
  const [gone] = await db
    .select({ name: auditEvents.targetLabel })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, id), eq(auditEvents.action, 'tenant.deleted')))
    .limit(1);
  if (!gone) throw notFound('Tenant');
  return { id, name: gone.name ?? id, deleted: true };
}

/** Locks the tenant row for the rest of the transaction (serialises changes of one tenant). */
async function lockTenant(tx: Executor, id: string): Promise<TenantWithDomains> {
  const [row] = await tx.select().from(tenants).where(eq(tenants.id, id)).for('update');
  if (!row) throw notFound('Tenant');
  return (await withDomains(tx, [row]))[0];
}

export async function updateTenant(ctx: Ctx, id: string, patch: TenantPatch): Promise<TenantWithDomains> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockTenant(tx, id);
    if (patch.domains) {
      const next = new Set(patch.domains);
      const removed = before.domains.filter((d) => !next.has(d));
      const added = patch.domains.filter((d) => !before.domains.includes(d));
      if (removed.length)
        await tx.delete(tenantDomains).where(and(eq(tenantDomains.tenantId, id), inArray(tenantDomains.domain, removed)));
      await addDomains(tx, ctx, id, added, (d) => `domains.${patch.domains!.indexOf(d)}`);
    }
    if (patch.roles) {
      // A role still named by a mapping rule or as the default role cannot go.
      const inUse = [before.defaultRole, ...before.roleRules.map((r) => r.role)].filter((r): r is string => !!r);
      const missing = inUse.find((r) => !patch.roles!.includes(r));
      if (missing) {
        throw badRequest('role in use', [{ path: 'roles', message: `role "${missing}" is used by the role mappings or as the default role` }]);
      }
    }
    const [row] = await tx
      .update(tenants)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.roles !== undefined ? { roles: patch.roles } : {}),
        updatedAt: new Date(),
      })
      .where(eq(tenants.id, id))
      .returning();
    const after = { ...row, domains: patch.domains ? [...patch.domains].sort() : before.domains };
    const diff = changes(
      { name: before.name, domains: before.domains, roles: before.roles },
      { name: after.name, domains: after.domains, roles: after.roles },
    );
    if (diff) {
      await record(tx, ctx, {
        tenantId: id,
        action: 'tenant.updated',
        target: { type: 'tenant', id, label: after.name },
        details: diff,
      });
    }
    return after;
  });
}

/**
 * Deletes a tenant and everything of it, in one transaction. Its SCIM users and groups (with their
 * memberships) and its users (with their sessions and IdP identities) go a page at a time, so no
 * statement outgrows the statement timeout however large the tenant (250,000 users at once took
 * more than 10 s on PostgreSQL: a 503 at every try); the rest goes with the tenant's row.
 */
export async function deleteTenant(ctx: Ctx, id: string): Promise<void> {
  const db = await getDb();
  const clientIds = await db.transaction(async (tx) => {
    const before = await lockTenant(tx, id);
    const conns = await tx.select({ clientId: connections.clientId }).from(connections).where(eq(connections.tenantId, id));
    for (const dir of await tx.select({ id: directories.id }).from(directories).where(eq(directories.tenantId, id))) await deleteScimRows(tx, dir.id);
    await inPages(tx, (after) => sql`with page as (select id from users where tenant_id = ${id} and id > ${after} order by id limit ${PAGE_ROWS}),
      s as (delete from sessions where subject_id in (select id from page)),
      d as (delete from users where id in (select id from page))
      select max(id) as last from page`);
    await tx.delete(tenants).where(eq(tenants.id, id));
    // Every session in the tenant (end users, setup links) ends with it.
    await tx.delete(sessions).where(eq(sessions.tenantId, id));
    await record(tx, ctx, {
      tenantId: id,
      action: 'tenant.deleted',
      target: { type: 'tenant', id, label: before.name },
      details: { before: { name: before.name, slug: before.slug, domains: before.domains } },
    });
    return conns.map((c) => c.clientId);
  });
  await removeLibraryConnections(clientIds);
}

export type Provisioning = { strategy: Tenant['strategy']; defaultRole: string | null; allowedDomains: string[] };

export const provisioningOf = (t: Tenant): Provisioning => ({
  strategy: t.strategy,
  defaultRole: t.defaultRole,
  allowedDomains: t.allowedDomains,
});

/**
 * Refuses (409 naming `allowedDomains.<i>`) a domain another tenant owns: operator-added or
 * verified there. Allowing it would let this tenant's IdP sign in that tenant's people.
 */
async function refuseForeignDomains(tx: Executor, tenantId: string, domains: string[]): Promise<void> {
  const taken = await tx
    .select({ domain: tenantDomains.domain })
    .from(tenantDomains)
    .where(and(inArray(tenantDomains.domain, domains), sql`${tenantDomains.tenantId} <> ${tenantId}`, trustedDomainSql()));
  if (!taken.length) return;
  const i = domains.indexOf(taken[0].domain);
  throw conflict(`allowedDomains.${i}`, `domain ${taken[0].domain} belongs to another tenant; it cannot be allowed here`);
}

/**
 * Sets a tenant's provisioning. Through the operator API (`newRoles: 'add'`) the default role may
 * be a role the tenant lacks (it joins its roles), and a new default role applies at once to the
 * users it concerns, as a role mapping saved there does. The console (`'refuse'`) offers the
 * tenant's roles, and users get a new default role at their next sign-in or SCIM update.
 */
export async function setProvisioning(ctx: Ctx, id: string, input: ProvisioningInput, newRoles: NewRoles = 'refuse'): Promise<Provisioning> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const before = await lockTenant(tx, id);
    if (newRoles === 'refuse' && input.defaultRole && !before.roles.includes(input.defaultRole)) {
      throw badRequest('unknown role', [{ path: 'defaultRole', message: `unknown role; this tenant's roles are ${before.roles.join(', ')}` }]);
    }
    if (input.defaultRole !== undefined && input.defaultRole !== before.defaultRole) {
      refuseEscalation(ctx, before.consoleAccess ?? {}, input.defaultRole, 'defaultRole');
      refuseEscalation(ctx, before.consoleAccess ?? {}, before.defaultRole, 'defaultRole', 'the default role now: ', 'take it from users');
    }
    // What can refuse the sign-ins of admins above a narrower one: SCIM (those it did not
    // provision), a domain taken out of allowedDomains (those on it).
    if (input.strategy === 'scim' && before.strategy !== 'scim') await refuseShuttingOutAbove(tx, ctx, id, 'strategy');
    if (input.allowedDomains && lostAny(before.allowedDomains, input.allowedDomains)) await refuseShuttingOutAbove(tx, ctx, id, 'allowedDomains');
    if (input.allowedDomains?.length) await refuseForeignDomains(tx, id, input.allowedDomains);
    const { roles, added } = withRoles(before.roles, [input.defaultRole], 'defaultRole');
    const next: Provisioning = {
      strategy: input.strategy,
      defaultRole: input.defaultRole === undefined ? before.defaultRole : input.defaultRole,
      allowedDomains: input.allowedDomains ?? before.allowedDomains,
    };
    const [row] = await tx.update(tenants).set({ ...next, roles, updatedAt: new Date() }).where(eq(tenants.id, id)).returning();
    if (newRoles === 'add' && next.defaultRole !== before.defaultRole) {
      await applyRoleMapping(tx, ctx, id, { rules: row.roleRules, defaultRole: row.defaultRole });
    }
    const diff = changes(provisioningOf(before), next);
    if (diff) {
      await record(tx, ctx, {
        tenantId: id,
        action: 'provisioning.updated',
        target: { type: 'tenant', id, label: before.name },
        details: { ...diff, ...(added.length ? { rolesAdded: added } : {}) },
      });
    }
    return provisioningOf(row);
  });
}

