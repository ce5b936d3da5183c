import 'server-only';
import { and, arrayOverlaps, asc, eq, gt } from 'drizzle-orm';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { holdsEveryScope, scopesBeyond, sectionsAbove, type ConsoleAccess, type ConsoleHolder } from '../auth/permissions';
import { getDb, type Tx } from '../db/client';
import { tenants, users, type Tenant } from '../db/schema';
import { forbidden, notFound } from '../errors';
import type { ConsoleAccessInput } from '../validation/console-access';

/**
 * Console access for SSO users: which app roles open which sections of their tenant's console.
 * Nothing opens it by default. An operator (console or API) or a tenant admin holding every
 * section may change it; and nobody may grant, through this setting, a rule or a default role,
 * a section they do not hold themselves (see {@link refuseEscalation}). The setting is kept as it
 * was sent (`{}`, the default: nobody).
 */
export const consoleAccessOf = (t: Pick<Tenant, 'consoleAccess'>): { roles: ConsoleAccess } => ({ roles: t.consoleAccess ?? {} });

export async function getConsoleAccess(tenantId: string): Promise<{ roles: ConsoleAccess }> {
  const db = await getDb();
  const [t] = await db.select({ consoleAccess: tenants.consoleAccess }).from(tenants).where(eq(tenants.id, tenantId));
  if (!t) throw notFound('Tenant');
  return consoleAccessOf(t);
}

/** Roles and scopes in a stable order, roles without scopes dropped: what a setting means, to tell whether a change changes anything (and for its event). */
const normalised = (roles: ConsoleAccess): ConsoleAccess =>
  Object.fromEntries(
    Object.entries(roles)
      .filter(([, scopes]) => scopes.length)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([role, scopes]) => [role, [...scopes].sort()]),
  );

export async function putConsoleAccess(ctx: Ctx, tenantId: string, input: ConsoleAccessInput): Promise<{ roles: ConsoleAccess }> {
  if (!holdsEveryScope(ctx.consoleScopes)) {
    throw forbidden('roles', 'only an admin who holds every section of this console may change who opens it');
  }
  // Stored and answered as sent (the contract's "the stored setting"); scopes are never repeated (validation).
  const next = input.roles;
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) throw notFound('Tenant');
    await tx.update(tenants).set({ consoleAccess: next, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
    const diff = changes({ roles: normalised(before.consoleAccess ?? {}) }, { roles: normalised(next) });
    if (diff) {
      await record(tx, ctx, { tenantId, action: 'console_access.updated', target: { type: 'tenant', id: tenantId, label: before.name }, details: diff });
    }
    return { roles: next };
  });
}

/**
 * Refuses (403 naming the field) when `role` opens a console section `ctx`'s holder lacks and the
 * change would give it to users (a new or changed rule, a new default role) or take it from them
 * (`what`: a removed or changed rule, the default role changed or its users moved). Operators, the
 * API and the system hold every section.
 */
export function refuseEscalation(ctx: Ctx, access: ConsoleAccess, role: string | null | undefined, path: string, how = '', what = 'give it to users'): void {
  const beyond = scopesBeyond(access, role, ctx.consoleScopes);
  if (beyond.length) {
    throw forbidden(path, `${how}role "${role}" opens console sections you do not hold (${beyond.join(', ')}); only an admin holding them may ${what}`);
  }
}

/**
 * Refuses (403) a console admin acting on users who hold console sections they lack (suspending,
 * reactivating or deleting an admin above them, or deleting the directory that keeps them active).
 * Operators, the API and the system may.
 */
export async function refuseActingAbove(tx: Tx, ctx: Ctx, tenantId: string, targets: readonly ConsoleHolder[], path: string): Promise<void> {
  if (ctx.consoleScopes === undefined || !targets.length) return;
  const [t] = await tx.select({ access: tenants.consoleAccess }).from(tenants).where(eq(tenants.id, tenantId));
  for (const u of targets) {
    const beyond = sectionsAbove(t?.access ?? {}, u, ctx.consoleScopes);
    if (beyond.length) throw forbidden(path, `${u.email} holds console sections you do not (${beyond.join(', ')}); only an admin holding them may change their account`);
  }
}


/** Whether a list lost an entry in a change. */
export const lostAny = (before: readonly string[], after: readonly string[]): boolean => before.some((x) => !after.includes(x));

/**
 * Refuses (403 naming `path`) a console admin's tightening of what refuses sign-ins (the sign-in IP
 * allowlist and MFA, the provisioning strategy and allowed domains, a connection's requirements,
 * deactivation or deletion) while an active user holds console sections they lack: it could shut
 * out the admins above them. With nobody above them (a setup link setting up a new tenant) it is
 * theirs to set. Operators, the API, the system and holders of every section may.
 */
export async function refuseShuttingOutAbove(tx: Tx, ctx: Ctx, tenantId: string, path: string): Promise<void> {
  if (holdsEveryScope(ctx.consoleScopes)) return;
  const [t] = await tx.select({ access: tenants.consoleAccess }).from(tenants).where(eq(tenants.id, tenantId));
  const access = t?.access ?? {};
  const rolesAbove = Object.keys(access).filter((role) => scopesBeyond(access, role, ctx.consoleScopes).length);
  if (!rolesAbove.length) return;
  // Every holder of such a role is looked at (a page at a time): one above them among thousands
  // capped by a connection's limit is enough to refuse.
  for (let after = ''; ; ) {
    const holders = await tx
      .select({ id: users.id, email: users.email, roles: users.roles, scopeCeiling: users.scopeCeiling })
      .from(users)
      .where(and(eq(users.tenantId, tenantId), eq(users.status, 'active'), arrayOverlaps(users.roles, rolesAbove), gt(users.id, after)))
      .orderBy(asc(users.id))
      .limit(HOLDERS_PAGE);
    for (const u of holders) {
      const beyond = sectionsAbove(access, u, ctx.consoleScopes);
      if (beyond.length) {
        throw forbidden(path, `${u.email} holds console sections you do not (${beyond.join(', ')}); while they do, only an admin holding every section may tighten this (it could shut them out)`);
      }
    }
    if (holders.length < HOLDERS_PAGE) return;
    after = holders[holders.length - 1].id;
  }
}
const HOLDERS_PAGE = 1000;
