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
