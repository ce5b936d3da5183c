import { and, asc, desc, eq, getTableColumns, inArray, ne, sql } from 'drizzle-orm';
import { endSessionsOf } from '../dal/sessions';
import { narrowest, sectionsAbove, type ConsoleAccess } from '../auth/permissions';
import { directories, scimGroupMembers, scimGroups, scimUsers, tenants, users, type ScimUserRow, type User } from '../db/schema';
import { newId } from '../ids';
import { canonicalJson } from '../audit/chain';
import { inList } from '../db/lists';
import { pagesOf } from '../db/pages';
import { breather } from '../provisioning/breathe';
import { userChanges } from '../provisioning/user-changes';
import { diffRoles, evaluate, MappingBudgetExceeded, MappingMeter, RequestMappingBudgetExceeded, type Attributes } from '../provisioning/mapping';
import { scimError, type ScimContext } from './context';
import { mappingAttributes, namesOf, portalEmail } from './normalise';

/**
 * The portal side of SCIM: one portal user per (tenant, lower(email)), the same row JIT sign-in
 * uses. A SCIM user is linked to the portal user of its email (created when missing, claimed —
 * `source: "scim"` — when JIT made it first). The portal user's groups are the display names of
 * the SCIM groups of its SCIM users, its roles come from the tenant's mapping rules, and it is
 * suspended (by `scim`) when none of its SCIM users is active.
 *
 * A directory set up by a narrower admin (its `scopeCeiling`, lib/auth/permissions.ts `ceilingOf`)
 * caps what its users open in the console at that ceiling, and may not link to, change or remove a
 * portal user who holds console sections beyond it (403, nothing written; {@link refuseAbove}).
 *
 * Locking: callers lock SCIM rows first; portal users are locked here, several at once in id
 * order; audit events are written at the end of the transaction. One order everywhere, no
 * deadlock.
 */

/**
 * The roles the tenant's rules give these attributes. Over the evaluation budget
 * (lib/provisioning/mapping.ts) the request is refused with 400 invalidValue: nothing is written
 * (the transaction rolls back) and the IdP learns which user's attributes were too many. A user
 * this request leaves suspended keeps `kept`, the roles they had, instead: offboarding never
 * depends on the mapping (a suspended user's roles open nothing; they are worked out again on
 * reactivation).
 */
function rolesOf(c: ScimContext, attributes: Attributes, who: string, kept?: string[]): string[] {
  try {
    return evaluate({ rules: c.tenant.roleRules, defaultRole: c.tenant.defaultRole }, attributes, { meter: (c.mappingMeter ??= new MappingMeter()) }).roles;
  } catch (e) {
    if (e instanceof RequestMappingBudgetExceeded) {
      throw scimError(
        400,
        'invalidValue',
        `Re-evaluating the roles of the users this request changes takes too long under this tenant's role-mapping rules (${e.evaluated} users took ${Math.round(e.spentMs)} ms, the budget of one request being ${e.budgetMs} ms): send fewer members per request, or ask the tenant's admin to simplify the rules. Nothing was changed`,
      );
    }
    if (!(e instanceof MappingBudgetExceeded)) throw e;
    if (kept) {
      c.summary.push(`roles of ${who} kept: the role-mapping rules cost more than the budget over their attributes`);
      return kept;
    }
    throw scimError(
      400,
      'invalidValue',
      `The attributes and groups of ${who} are more than this tenant's role-mapping rules can evaluate (${e.cost} units, budget ${e.budget}); send fewer or shorter values. Nothing was changed`,
    );
  }
}

/**
 * Refuses (403) this directory acting on a portal user who holds console sections beyond its
 * ceiling: a directory_sync admin's directory may not take over, change or suspend an admin above them.
 */
async function refuseAbove(c: ScimContext, u: User): Promise<void> {
  if (!c.directory.scopeCeiling) return;
  const beyond = sectionsAbove(await consoleAccessIn(c), u, c.directory.scopeCeiling);
  if (beyond.length) {
    throw scimError(
      403,
      null,
      `${u.email} holds console sections (${beyond.join(', ')}) that the admin who set up this directory's token does not; only the operator or an admin holding them may let this directory manage that user (by issuing its token). Nothing was changed`,
    );
  }
}

/**
 * The tenant's console access as it is now, read once per request in its transaction (the request's
 * authentication may be remembered from an earlier one; a group change may refresh many users).
 */
const accessByRequest = new WeakMap<ScimContext, Promise<ConsoleAccess>>();
function consoleAccessIn(c: ScimContext): Promise<ConsoleAccess> {
  let access = accessByRequest.get(c);
  if (!access) {
    access = c.tx
      .select({ access: tenants.consoleAccess })
      .from(tenants)
      .where(eq(tenants.id, c.tenant.id))
      .then(([t]) => t?.access ?? {});
    accessByRequest.set(c, access);
  }
  return access;
}

const byEmail = async (c: ScimContext, email: string) => {
  const [u] = await c.tx
    .select()
    .from(users)
    .where(and(eq(users.tenantId, c.tenant.id), sql`lower(${users.email}) = ${email}`))
    .for('update');
  return u ?? null;
};

/**
 * Links a SCIM user to its portal user (by email), creating or claiming it, and moves the portal
 * user's email along when the SCIM user's changed. Returns the portal user id (null without a
 * usable email) and whether the portal user was created now.
 */
export async function linkPortalUser(
  c: ScimContext,
  su: ScimUserRow,
): Promise<{ portalUserId: string | null; created: boolean; previous?: string }> {
  const email = portalEmail(su.resource);
  let previous: string | undefined;
  if (su.portalUserId) {
    const [current] = await c.tx.select().from(users).where(and(eq(users.tenantId, c.tenant.id), eq(users.id, su.portalUserId))).for('update');
    if (current) {
      if (!email || current.email.toLowerCase() === email) return { portalUserId: current.id, created: false };
      const [shared] = await c.tx
        .select({ id: scimUsers.id })
        .from(scimUsers)
        .where(and(eq(scimUsers.tenantId, c.tenant.id), eq(scimUsers.portalUserId, current.id), ne(scimUsers.id, su.id)))
        .limit(1);
      if (shared) {
        // Another SCIM user (another directory) still is this person: this one moves to the new email's portal user.
        previous = current.id;
      } else {
        const other = await byEmail(c, email);
        if (other && other.id !== current.id) {
          throw scimError(409, 'uniqueness', `email ${email} already belongs to another user of this tenant`);
        }
        await refuseAbove(c, current);
        await c.tx.update(users).set({ email, updatedAt: new Date() }).where(and(eq(users.tenantId, c.tenant.id), eq(users.id, current.id)));
        c.events.push({
          tenantId: c.tenant.id,
          action: 'user.updated',
          target: { type: 'user', id: current.id, label: email },
          details: { before: { email: current.email }, after: { email }, directoryId: c.directory.id, scimUserId: su.id },
        });
        c.summary.push(`email of portal user: ${current.email} → ${email}`);
        return { portalUserId: current.id, created: false };
      }
    }
  }
  if (!email) return { portalUserId: null, created: false };
  const names = namesOf(su.resource);
  const [inserted] = await c.tx
    .insert(users)
    .values({
      id: newId('usr'),
      tenantId: c.tenant.id,
      email,
      source: 'scim',
      status: su.active ? 'active' : 'suspended',
      suspendedBy: su.active ? null : 'scim',
      scopeCeiling: c.directory.scopeCeiling,
      ...names,
    })
    .onConflictDoNothing()
    .returning();
  const portal = inserted ?? (await byEmail(c, email));
  if (!portal) throw new Error(`portal user for ${email} neither inserted nor found`);
  if (!inserted) await refuseAbove(c, portal);
  await c.tx
    .update(scimUsers)
    .set({ portalUserId: portal.id })
    .where(and(eq(scimUsers.directoryId, c.directory.id), eq(scimUsers.id, su.id)));
  return { portalUserId: portal.id, created: !!inserted, previous };
}

/**
 * The portal user a new SCIM user gets when its email has none in the tenant yet: its final name,
 * attributes, roles and status (the values {@link refreshPortalUsers} would compute for a user in
 * no group). Null without a usable email. The caller inserts it (ON CONFLICT DO NOTHING).
 */
export function newPortalUserFor(c: ScimContext, resource: Record<string, unknown>, active: boolean): User | null {
  const email = portalEmail(resource);
  if (!email) return null;
  const groups: string[] = [];
  const attributes = mappingAttributes(resource, groups);
  const roles = rolesOf(c, attributes, email);
  const now = new Date();
  return {
    id: newId('usr'),
    tenantId: c.tenant.id,
    email,
    source: 'scim',
    status: active ? 'active' : 'suspended',
    suspendedBy: active ? null : 'scim',
    roles,
    groups,
    attributes,
    scopeCeiling: c.directory.scopeCeiling,
    ...namesOf(resource),
    lastLoginAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The audit events of a portal user {@link newPortalUserFor} made. */
export function announcePortalUserCreated(c: ScimContext, u: User, scimUserIds: string[]): void {
  const target = { type: 'user', id: u.id, label: u.email };
  const common = { directoryId: c.directory.id, scimUserIds };
  c.events.push({ tenantId: c.tenant.id, action: 'user.created', target, details: { ...common, source: 'scim', roles: u.roles, groups: u.groups, status: u.status } });
  c.summary.push(`portal user ${u.email} created${u.status === 'suspended' ? ' (suspended)' : ''}`);
  if (u.status === 'suspended') {
    c.events.push({ tenantId: c.tenant.id, action: 'user.suspended', target, reason: 'deactivated in directory', details: { ...common, suspendedBy: 'scim' } });
  }
}

/** Portal users of these SCIM users (distinct, sorted). */
export async function portalUsersOf(c: ScimContext, scimUserIds: string[]): Promise<string[]> {
  if (!scimUserIds.length) return [];
  const rows = await c.tx
    .selectDistinct({ id: scimUsers.portalUserId })
    .from(scimUsers)
    .where(and(eq(scimUsers.directoryId, c.directory.id), inList(scimUsers.id, scimUserIds)));
  return rows.map((r) => r.id).filter((x): x is string => !!x).sort();
}

type Refresh = { created?: boolean; reason?: string };

/**
 * Recomputes portal users from their SCIM users (in id order): name, groups, attributes, roles and
 * status, writing user.created / user.updated / user.roles_changed / user.suspended /
 * user.reactivated events. A suspension by an admin (or a policy) is never lifted here.
 */
export async function refreshPortalUsers(c: ScimContext, ids: string[], opts: Record<string, Refresh> = {}): Promise<void> {
  // A page at a time (lib/db/pages.ts): a group of 250,000 members renamed or deleted at once
  // outgrew the statement timeout.
  for (const page of pagesOf([...new Set(ids)].sort())) await refreshPage(c, page, opts);
}

async function refreshPage(c: ScimContext, sorted: string[], opts: Record<string, Refresh>): Promise<void> {
  const locked = await c.tx.select().from(users).where(and(eq(users.tenantId, c.tenant.id), inList(users.id, sorted))).orderBy(asc(users.id)).for('update');
  // Their SCIM users, each with the names of its groups, in one statement.
  const linked = await c.tx
    .select({
      ...getTableColumns(scimUsers),
      groupNames: sql<string[]>`array(select g.display_name from ${scimGroupMembers} m join ${scimGroups} g on g.id = m.group_id where m.user_id = "scim_users"."id")`, // qualified: a bare "id" would be g.id
    })
    .from(scimUsers)
    .where(and(eq(scimUsers.tenantId, c.tenant.id), inList(scimUsers.portalUserId, sorted)))
    .orderBy(desc(scimUsers.updatedAt));
  // The limits of the directories involved (usually only this one, known already).
  const others = [...new Set(linked.map((s) => s.directoryId))].filter((id) => id !== c.directory.id);
  const limits = new Map<string, string[] | null>([[c.directory.id, c.directory.scopeCeiling]]);
  if (others.length) {
    for (const d of await c.tx.select({ id: directories.id, limit: directories.scopeCeiling }).from(directories).where(inArray(directories.id, others))) limits.set(d.id, d.limit);
  }
  const byPortalUser = new Map<string, typeof linked>();
  for (const s of linked) {
    const mine = s.portalUserId ? byPortalUser.get(s.portalUserId) : undefined;
    if (mine) mine.push(s);
    else if (s.portalUserId) byPortalUser.set(s.portalUserId, [s]);
  }
  const updates: Update[] = [];
  const pause = breather(); // other requests run between users of a group of thousands
  for (const before of locked) {
    await pause();
    const mine = byPortalUser.get(before.id);
    if (!mine) continue; // no longer a SCIM user here (unlinked); leave it as it is
    const u = await refreshOne(c, before, mine, mine.flatMap((s) => s.groupNames), narrowest(...mine.map((s) => limits.get(s.directoryId))), opts[before.id] ?? {});
    if (u) updates.push(u);
  }
  await writeUpdates(c, updates);
}

type Update = { id: string; after: Pick<User, 'firstName' | 'lastName' | 'groups' | 'roles' | 'attributes' | 'status' | 'suspendedBy' | 'source' | 'scopeCeiling'> };

/** The changed portal users, in one statement (a group PATCH of 50 members is one UPDATE, not 50). */
async function writeUpdates(c: ScimContext, updates: Update[]): Promise<void> {
  if (!updates.length) return;
  const rows = updates.map(({ id, after: a }) => ({
    id,
    first_name: a.firstName,
    last_name: a.lastName,
    groups: a.groups,
    roles: a.roles,
    attributes: a.attributes ?? null,
    status: a.status,
    suspended_by: a.suspendedBy,
    source: a.source,
    scope_ceiling: a.scopeCeiling,
  }));
  await c.tx.execute(sql`
    update users as u set first_name = v.first_name, last_name = v.last_name,
      groups = array(select jsonb_array_elements_text(v.groups)), roles = array(select jsonb_array_elements_text(v.roles)),
      attributes = v.attributes, status = v.status, suspended_by = v.suspended_by, source = v.source, updated_at = now(),
      scope_ceiling = case when v.scope_ceiling is null then null else array(select jsonb_array_elements_text(v.scope_ceiling)) end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as v(id text, first_name text, last_name text, groups jsonb, roles jsonb, attributes jsonb, status text, suspended_by text, source text, scope_ceiling jsonb)
    where u.tenant_id = ${c.tenant.id} and u.id = v.id`);
}

async function refreshOne(c: ScimContext, before: User, linked: ScimUserRow[], groupNames: string[], scopeCeiling: string[] | null, opts: Refresh): Promise<Update | null> {
  // Names and attributes from the most recently changed active SCIM user (else the most recent).
  const main = linked.find((s) => s.active) ?? linked[0];
  const groups = [...new Set(groupNames)].sort();
  const attributes = mappingAttributes(main.resource, groups);
  const names = namesOf(main.resource);
  const anyActive = linked.some((s) => s.active);
  let status = before.status;
  let suspendedBy = before.suspendedBy;
  if (!anyActive && before.status === 'active') {
    status = 'suspended';
    suspendedBy = 'scim';
  } else if (anyActive && before.status === 'suspended' && before.suspendedBy === 'scim') {
    status = 'active';
    suspendedBy = null;
  }
  const roles = rolesOf(c, attributes, before.email, status === 'active' && !c.keepRolesOverBudget ? undefined : before.roles);
  const after = { ...names, groups, roles, attributes, status, suspendedBy, source: 'scim' as const, scopeCeiling };
  // Key order aside (the stored attributes come back in jsonb's order, not the order they were made in).
  const changed =
    canonicalJson([before.firstName, before.lastName, before.groups, before.roles, before.attributes, before.status, before.suspendedBy, before.source, before.scopeCeiling]) !==
    canonicalJson([after.firstName, after.lastName, after.groups, after.roles, after.attributes, after.status, after.suspendedBy, after.source, after.scopeCeiling]);
  if (changed) await refuseAbove(c, before);
  const update: Update | null = changed ? { id: before.id, after } : null;
  if (status === 'suspended' && before.status === 'active') await endSessionsOf(c.tx, before.id);

  const target = { type: 'user', id: before.id, label: before.email };
  const common = { directoryId: c.directory.id, scimUserIds: linked.map((s) => s.id) };
  if (opts.created) {
    c.events.push({
      tenantId: c.tenant.id,
      action: 'user.created',
      target,
      details: { ...common, source: 'scim', roles, groups, status },
    });
    c.summary.push(`portal user ${before.email} created${status === 'suspended' ? ' (suspended)' : ''}`);
    if (status === 'suspended') {
      c.events.push({ tenantId: c.tenant.id, action: 'user.suspended', target, reason: 'deactivated in directory', details: { ...common, suspendedBy: 'scim' } });
    }
    return update;
  }
  const changes = userChanges(
    { firstName: before.firstName, lastName: before.lastName, groups: before.groups, source: before.source },
    { firstName: after.firstName, lastName: after.lastName, groups: after.groups, source: after.source },
  );
  if (changes) c.events.push({ tenantId: c.tenant.id, action: 'user.updated', target, details: { ...changes, ...common } });
  const diff = diffRoles(before.roles, roles);
  if (diff.added.length || diff.removed.length) {
    c.events.push({
      tenantId: c.tenant.id,
      action: 'user.roles_changed',
      target,
      details: { before: { roles: before.roles }, after: { roles }, ...diff, ...common },
    });
    c.summary.push(`roles of ${before.email}: ${roles.join(', ') || 'none'}`);
  }
  if (status === 'suspended' && before.status === 'active') {
    c.events.push({
      tenantId: c.tenant.id,
      action: 'user.suspended',
      target,
      reason: opts.reason ?? 'deactivated in directory',
      details: { ...common, suspendedBy: 'scim' },
    });
    c.summary.push(`portal user ${before.email} suspended, sessions ended`);
  } else if (status === 'active' && before.status === 'suspended') {
    c.events.push({ tenantId: c.tenant.id, action: 'user.reactivated', target, reason: 'reactivated in directory', details: common });
    c.summary.push(`portal user ${before.email} reactivated`);
  } else if (before.status === 'suspended' && anyActive && before.suspendedBy !== 'scim') {
    c.summary.push(`portal user ${before.email} stays suspended (suspended by ${before.suspendedBy ?? 'unknown'})`);
  }
  return update;
}

/**
 * After a SCIM DELETE: the SCIM user is gone; its portal user stays listed and is suspended
 * unless another SCIM user of it is still active. Writes user.deleted (the directory removed the
 * person) for the portal user.
 */
export async function afterScimUserDeleted(c: ScimContext, su: ScimUserRow): Promise<void> {
  if (!su.portalUserId) return;
  const [before] = await c.tx.select().from(users).where(and(eq(users.tenantId, c.tenant.id), eq(users.id, su.portalUserId))).for('update');
  if (!before) return;
  await refuseAbove(c, before);
  const others = await c.tx
    .select({ id: scimUsers.id })
    .from(scimUsers)
    .where(and(eq(scimUsers.tenantId, c.tenant.id), eq(scimUsers.portalUserId, before.id)));
  const target = { type: 'user', id: before.id, label: before.email };
  c.events.push({
    tenantId: c.tenant.id,
    action: 'user.deleted',
    target,
    reason: 'deleted in directory',
    details: { directoryId: c.directory.id, scimUserId: su.id, userName: su.userName, portalUser: 'kept' },
  });
  if (others.length) {
    await refreshPortalUsers(c, [before.id], { [before.id]: { reason: 'deleted in directory' } });
    return;
  }
  const groups: string[] = [];
  const attributes = mappingAttributes(su.resource, groups);
  const roles = rolesOf(c, attributes, before.email, before.roles);
  const suspend = before.status === 'active';
  await c.tx
    .update(users)
    .set({
      groups,
      roles,
      attributes,
      ...(suspend ? { status: 'suspended' as const, suspendedBy: 'scim' as const } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(users.tenantId, c.tenant.id), eq(users.id, before.id)));
  await endSessionsOf(c.tx, before.id);
  const changes = userChanges({ groups: before.groups }, { groups });
  if (changes) c.events.push({ tenantId: c.tenant.id, action: 'user.updated', target, details: { ...changes, directoryId: c.directory.id } });
  const diff = diffRoles(before.roles, roles);
  if (diff.added.length || diff.removed.length) {
    c.events.push({ tenantId: c.tenant.id, action: 'user.roles_changed', target, details: { before: { roles: before.roles }, after: { roles }, ...diff, directoryId: c.directory.id } });
  }
  if (suspend) {
    c.events.push({ tenantId: c.tenant.id, action: 'user.suspended', target, reason: 'deleted in directory', details: { directoryId: c.directory.id, suspendedBy: 'scim' } });
    c.summary.push(`portal user ${before.email} suspended, sessions ended`);
  }
}
