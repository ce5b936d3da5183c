import type { Actor } from '../audit/types';

/**
 * Who is acting in the consoles. An operator runs the portal and may act on every tenant; a
 * tenant admin is scoped to exactly one tenant (customer IT admins: setup links, SSO admins).
 */
export type Principal =
  | { kind: 'operator'; id: string; email: string; sessionId: string }
  | { kind: 'tenant_admin'; id: string; email: string | null; tenantId: string; sessionId: string; scopes: TenantScope[] };

export const TENANT_SCOPES = ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'] as const;
export type TenantScope = (typeof TENANT_SCOPES)[number];

/** What each section lets an admin set up, as a sentence names it ("It lets you set up …"). */
export const SCOPE_NAMES: Record<TenantScope, string> = {
  sso: 'SSO connections, users, provisioning and sign-in policy',
  directory_sync: 'directory sync (SCIM)',
  role_mappings: 'role mappings',
  audit_log: 'the audit log and webhooks',
  domains: 'email domains',
};

export function isOperator(p: Principal | null): p is Extract<Principal, { kind: 'operator' }> {
  return p?.kind === 'operator';
}

/** May this principal see and change tenant `tenantId` (optionally: this section of it)? */
export function canAccessTenant(p: Principal | null, tenantId: string, scope?: TenantScope): boolean {
  if (!p) return false;
  if (p.kind === 'operator') return true;
  return p.tenantId === tenantId && (scope === undefined || p.scopes.includes(scope));
}

/** Creating, renaming and deleting tenants and managing API keys is for operators only. */
export const canManagePortal = (p: Principal | null): boolean => isOperator(p);

export function actorOf(p: Principal): Actor {
  return p.kind === 'operator'
    ? { type: 'operator', id: p.id, label: p.email }
    : { type: 'admin', id: p.id, label: p.email };
}

/** Which console sections each app role opens after SSO (`GET/PUT …/console-access`); default: none. */
export type ConsoleAccess = Record<string, TenantScope[]>;

/** The console sections a user with these roles holds: the union of their roles' scopes, in TENANT_SCOPES order. */
export function scopesOfRoles(access: ConsoleAccess, roles: readonly string[]): TenantScope[] {
  const held = new Set<TenantScope>();
  for (const r of roles) if (Object.hasOwn(access, r)) for (const s of access[r]) held.add(s);
  return TENANT_SCOPES.filter((s) => held.has(s));
}

/**
 * The console sections a signed-in user opens: those their roles open, within `ceiling` (see
 * {@link ceilingOf}; null: no limit).
 */
export function consoleScopesOf(access: ConsoleAccess, roles: readonly string[], ceiling: readonly string[] | null | undefined): TenantScope[] {
  const opened = scopesOfRoles(access, roles);
  return ceiling ? opened.filter((s) => ceiling.includes(s)) : opened;
}

/**
 * The ceiling a source of identity (an SSO connection, a SCIM directory) takes from the admin who
 * makes or changes it: their console sections, or null (no limit) for an operator, the API, the
 * system or an admin holding every section. Whoever sets up a source decides who its users are
 * and which groups they are in; what those users open in the console is capped at this, so a
 * narrower admin cannot reach sections they lack through users they vouch for.
 */
export function ceilingOf(ctx: { consoleScopes?: readonly string[] }): TenantScope[] | null {
  if (holdsEveryScope(ctx.consoleScopes)) return null;
  return TENANT_SCOPES.filter((s) => ctx.consoleScopes!.includes(s));
}

/** A user as far as their console sections go: their roles and ceiling. */
export type ConsoleHolder = { email: string; roles: string[]; scopeCeiling: string[] | null };

/**
 * The console sections `u` holds beyond `holder`'s: what makes them "above" someone who would act
 * on them (suspend them, or vouch for who they are through a source). `holder` undefined or null
 * has no limit: nobody is above them.
 */
export function sectionsAbove(access: ConsoleAccess, u: ConsoleHolder, holder: readonly string[] | null | undefined): TenantScope[] {
  return holder ? consoleScopesOf(access, u.roles, u.scopeCeiling).filter((s) => !holder.includes(s)) : [];
}

/** The narrowest of several ceilings (their intersection; null is no limit). */
export function narrowest(...ceilings: (readonly string[] | null | undefined)[]): TenantScope[] | null {
  const set = ceilings.filter((c): c is readonly string[] => !!c);
  return set.length ? TENANT_SCOPES.filter((s) => set.every((c) => c.includes(s))) : null;
}

/**
 * The scopes a role would open that `holder` does not hold (empty: the holder may grant it).
 * `holder` undefined is an operator, the API or the system: they hold every scope.
 */
export function scopesBeyond(access: ConsoleAccess, role: string | null | undefined, holder: readonly string[] | undefined): TenantScope[] {
  if (!role || holder === undefined) return [];
  return scopesOfRoles(access, [role]).filter((s) => !holder.includes(s));
}

/** Whether this principal holds every section of its tenant's console (operators do). */
export const holdsEverySection = (p: Principal): boolean => p.kind === 'operator' || holdsEveryScope(p.scopes);

/** Whether `holder` holds every console scope (who may change console access from the console). */
export const holdsEveryScope = (holder: readonly string[] | undefined): boolean => holder === undefined || TENANT_SCOPES.every((s) => holder.includes(s));
