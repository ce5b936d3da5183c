import 'server-only';
import type { SQL } from 'drizzle-orm';
import { signInTarget, type SignInTenant } from '../dal/sign-in';
import type { Connection } from '../db/schema';
import type { Ctx } from '../audit/types';
import { AppError } from '../errors';
import { log } from '../log';
import { isDatabaseFault, signInErrorPage } from './error-page';
import { isPersonalMailDomain } from './failures';
import { fail, isAppReturn, refusalAnswer, startSignIn } from './flow';
import { requestMeta } from '../http/request-meta';
import { signInIpAllowed } from '../policies/sso';

/**
 * `GET /sso?email=…` (home-realm discovery by the email's domain) or `GET /sso?tenant=<slug>`:
 * finds the tenant and its connection and sends the browser to the IdP.
 */
export async function startSsoFromRequest(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const email = q.get('email')?.trim().toLowerCase();
  const slug = q.get('tenant')?.trim().toLowerCase();
  const domain = email?.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : null;
  // A sign-in for one of the operator's applications returns there, refusals included.
  const returnTo = q.get('returnTo');
  const appReturn = isAppReturn(returnTo) ? returnTo : null;
  // A NUL character names no tenant (and PostgreSQL text cannot hold one).
  if ([domain, slug].some((v) => v?.includes('\u0000'))) return refusalAnswer('unknown_tenant', 404, appReturn);
  const target = domain ? await signInTarget({ domain }) : slug ? await signInTarget({ slug }) : null;
  if (!target) {
    const reason = domain && isPersonalMailDomain(domain) ? 'personal_email' : 'unknown_tenant';
    // The person's own page shows what they typed and keeps it for another try.
    return appReturn ? refusalAnswer(reason, 404, appReturn) : signInErrorPage(reason, 404, { email: email ?? slug ?? null });
  }
  // Login CSRF: a page of another site can send a browser here, and the tenant's IdP may sign in
  // whoever it likes at once. Such a session is marked as one this browser's person did not start
  // (an application asks before it reuses it: lib/applications/interaction.ts), as an IdP-initiated
  // one is. Browsers say where a navigation came from; a request without the header counts as the person's own.
  const site = req.headers.get('sec-fetch-site');
  const crossSite = site === 'cross-site' || site === 'same-site';
  return startTenantSso(target, requestMeta(req), { returnTo, forceAuthn: q.get('forceAuthn') === '1', crossSite });
}

/**
 * Sends the browser to the tenant's IdP: its sign-in policy's IP allowlist first, then its active
 * connection. `/sso` calls it, and so does an application's sign-in (lib/applications/interaction.ts),
 * which names its interaction so that the callback can finish it.
 */
export async function startTenantSso(
  target: { tenant: SignInTenant; connection: Connection | null },
  meta: Omit<Ctx, 'actor'>,
  opts: { returnTo: string | null; forceAuthn?: boolean; interaction?: string; along?: (statement: SQL) => void; crossSite?: boolean },
): Promise<Response> {
  const { tenant, connection } = target;
  const appReturn = isAppReturn(opts.returnTo) ? opts.returnTo : null;
  // Sign-in policy: the tenant's IP allowlist, before the browser is sent to the IdP.
  if (!signInIpAllowed(tenant.signInPolicy ?? {}, meta.ip)) {
    return fail({ ip: meta.ip, userAgent: meta.userAgent }, tenant.id, 'ip_not_allowed', 403, { ip: meta.ip ?? null }, appReturn);
  }
  // Only an active connection serves sign-in; drafts and tested ones serve only test sign-ins.
  if (!connection) return refusalAnswer('no_connection', 404, appReturn);
  try {
    return await startSignIn(tenant, connection, opts.returnTo, undefined, { forceAuthn: opts.forceAuthn, interaction: opts.interaction, along: opts.along, crossSite: opts.crossSite });
  } catch (err) {
    // A connection whose stored IdP location fails the URL rules (written before they existed).
    if (err instanceof AppError && err.code === 'invalid_url') {
      return fail({ ip: meta.ip, userAgent: meta.userAgent }, tenant.id, 'connection_misconfigured', 502, { connectionId: connection.id }, appReturn);
    }
    if (await isDatabaseFault(err)) throw err; // answered 503 service_unavailable (unlessDatabaseDown)
    log('error', 'could not start sign-in', { err, tenantId: tenant.id });
    return new Response('Sign-in could not be started; try again shortly.', { status: 503, headers: { 'cache-control': 'no-store', 'retry-after': '5' } });
  }
}
