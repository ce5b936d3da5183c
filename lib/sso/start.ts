import 'server-only';
import { signInTarget } from '../dal/sign-in';
import { log } from '../log';
import { signInErrorPage } from './error-page';
import { fail, startSignIn } from './flow';
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
  // A NUL character names no tenant (and PostgreSQL text cannot hold one).
  if ([domain, slug].some((v) => v?.includes('\u0000'))) return signInErrorPage('unknown_tenant', 404);
  const target = domain ? await signInTarget({ domain }) : slug ? await signInTarget({ slug }) : null;
  if (!target) return signInErrorPage('unknown_tenant', 404);
  const { tenant, connection } = target;
  // Sign-in policy: the tenant's IP allowlist, before the browser is sent to the IdP.
  const meta = requestMeta(req);
  if (!signInIpAllowed(tenant.signInPolicy ?? {}, meta.ip)) {
    return fail({ ip: meta.ip, userAgent: meta.userAgent }, tenant.id, 'ip_not_allowed', 403, { ip: meta.ip ?? null });
  }
  // Only an active connection serves sign-in; drafts and tested ones serve only test sign-ins.
  if (!connection) return signInErrorPage('no_connection', 404);
  try {
    return await startSignIn(tenant, connection, q.get('returnTo'));
  } catch (err) {
    log('error', 'could not start sign-in', { err, tenantId: tenant.id });
    return new Response('Sign-in could not be started; try again shortly.', { status: 503 });
  }
}
