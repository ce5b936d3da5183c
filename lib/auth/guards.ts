import 'server-only';
import { headers } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import type { Ctx } from '../audit/types';
import { findTenant, type TenantWithDomains } from '../dal/tenants';
import { getUser } from '../dal/users';
import type { User } from '../db/schema';
import { requestMeta } from '../http/request-meta';
import { consoleAccessAllowed } from '../policies/cidr';
import { auth, sessionCheck } from './config';
import { sessionCookieName } from './session-cookie';
import { AppError, DatabaseUnavailable } from '../errors';
import { checkHealth } from '../health';
import { actorOf, canAccessTenant, consoleScopesOf, isOperator, type Principal, type TenantScope } from './permissions';
import { SLUG_PATTERN } from '../validation/common';

type SessionUser = { id: string; email: string; kind: string; tenantId: string | null; roles?: string[]; scopes?: TenantScope[] };

/** The signed-in console principal, or null. The session row was checked by Auth.js's jwt callback. */
export async function currentPrincipal(): Promise<Principal | null> {
  return principalOf((await auth()) as Session);
}

type Session = { user?: SessionUser; sessionId?: string } | null;

async function principalOf(session: Session): Promise<Principal | null> {
  const u = session?.user;
  if (!u || !session?.sessionId) return null;
  if (u.kind === 'operator') return { kind: 'operator', id: u.id, email: u.email, sessionId: session.sessionId };
  if (!u.tenantId) return null;
  // A customer's IT admin: through a setup link (its sections only), or signed in through the
  // tenant's SSO with a role that the tenant's console-access setting opens sections to (none by
  // default; read at every request, so a change or a lost role takes effect at once), never more
  // than the sources that vouched for them allow (`scopes`, lib/dal/sessions.ts liveSession).
  if (u.kind === 'portal_link') {
    return { kind: 'tenant_admin', id: u.id, email: null, tenantId: u.tenantId, sessionId: session.sessionId, scopes: u.scopes ?? [] };
  }
  if (u.kind === 'user' && u.roles?.length) {
    const tenant = await findTenant({ id: u.tenantId });
    const scopes = tenant ? consoleScopesOf(tenant.consoleAccess ?? {}, u.roles, u.scopes) : [];
    if (scopes.length) return { kind: 'tenant_admin', id: u.id, email: u.email, tenantId: u.tenantId, sessionId: session.sessionId, scopes };
  }
  return null;
}

/** The email of a signed-in end user whose roles open no console (what the operators' sign-in page tells them), or null. */
export async function endUserWithoutConsole(): Promise<string | null> {
  const session = (await auth()) as Session;
  if (session?.user?.kind !== 'user' || !session.sessionId) return null;
  return (await principalOf(session)) ? null : session.user.email;
}

export async function requireOperator(): Promise<Extract<Principal, { kind: 'operator' }>> {
  const p = await currentPrincipal();
  if (!isOperator(p)) return signedOut('/login');
  return p;
}

/**
 * Sends a visitor without a live session to the sign-in page `to` — unless they hold a session
 * cookie and the database failed: a session check that failed reads as "signed out", and the
 * sign-in page would blame the person for the outage. The page's error view (app/error.tsx)
 * answers instead, whether the check itself failed on the database (even for a moment) or the
 * database is down now.
 */
async function signedOut(to: string): Promise<never> {
  const name = sessionCookieName();
  const held = ((await headers()).get('cookie') ?? '').split(';').some((c) => {
    const n = c.trim().split('=')[0];
    return n === name || n.startsWith(`${name}.`); // Auth.js splits a large cookie into name.0, name.1, …
  });
  if (held && (sessionCheck().databaseUnavailable || !(await checkHealth()).ok)) {
    throw new DatabaseUnavailable('the session could not be checked: the database is unavailable');
  }
  redirect(to);
}

export type TenantAccess =
  | { ok: true; principal: Principal; tenant: TenantWithDomains }
  | { ok: false; why: 'signed_out' | 'not_found' | 'ip_blocked'; tenant?: TenantWithDomains };

/**
 * The one check of every tenant console page, action and route handler: a principal who may open
 * the tenant named by `slug` (optionally: this section), from an address its console IP allowlist
 * admits. A tenant's console allowlist binds its own admins (setup-link and SSO sessions), not
 * operators.
 */
export async function tenantAccess(slug: string, scope: TenantScope | undefined, ip: string | null | undefined): Promise<TenantAccess> {
  const principal = await currentPrincipal();
  if (!principal) return { ok: false, why: 'signed_out' };
  // A slug from the URL or an action's arguments (anything at all): only a slug's shape is looked up.
  if (typeof slug !== 'string' || !SLUG_PATTERN.test(slug)) return { ok: false, why: 'not_found' };
  const tenant = await findTenant({ slug });
  if (!tenant || !canAccessTenant(principal, tenant.id, scope)) return { ok: false, why: 'not_found' };
  if (principal.kind === 'tenant_admin' && tenant.signInPolicy?.consoleIpAllowlist?.length) {
    if (!consoleAccessAllowed(principal.kind, tenant.signInPolicy, ip ?? null)) return { ok: false, why: 'ip_blocked', tenant };
  }
  return { ok: true, principal, tenant };
}

/** The tenant named by `slug` if this principal may open it; 404 otherwise (no hint that it exists). */
export async function requireTenant(
  slug: string,
  scope?: TenantScope,
): Promise<{ principal: Principal; tenant: TenantWithDomains }> {
  const { ip } = requestMeta({ headers: await headers() });
  const access = await tenantAccess(slug, scope, ip);
  if (access.ok) return access;
  if (access.why === 'signed_out') return signedOut('/login');
  // Refused by the console IP allowlist: a 403 page that says why.
  if (access.why === 'ip_blocked') redirect(`/t/${access.tenant!.slug}/sign-in-policy/blocked`);
  notFound();
}

/** The audit context of a server action: who, from where. */
export async function ctxOf(p: Principal): Promise<Ctx> {
  return { ...requestMeta({ headers: await headers() }), actor: actorOf(p), ...(p.kind === 'tenant_admin' ? { consoleScopes: p.scopes } : {}) };
}

/** The signed-in end user (SSO session) with their tenant, or a redirect to the sign-in page. */
export async function requireEndUser(): Promise<{ user: User; tenant: TenantWithDomains }> {
  const session = (await auth()) as { user?: SessionUser; sessionId?: string } | null;
  const u = session?.user;
  if (!u || u.kind !== 'user' || !u.tenantId) return signedOut('/signin');
  const user = await getUser(u.tenantId, u.id).catch((err) => {
    if (err instanceof AppError && err.status === 404) return null;
    throw err;
  });
  const tenant = user ? await findTenant({ id: user.tenantId }) : null;
  if (!user || !tenant) return signedOut('/signin');
  return { user, tenant };
}
