import 'server-only';
import { listConnections } from '../dal/connections';
import { findTenant, findTenantByDomain } from '../dal/tenants';
import { log } from '../log';
import { signInErrorPage } from './error-page';
import { startSignIn } from './flow';

/**
 * `GET /sso?email=…` (home-realm discovery by the email's domain) or `GET /sso?tenant=<slug>`:
 * finds the tenant and its connection and sends the browser to the IdP.
 */
export async function startSsoFromRequest(req: Request): Promise<Response> {
  const q = new URL(req.url).searchParams;
  const email = q.get('email')?.trim().toLowerCase();
  const slug = q.get('tenant')?.trim().toLowerCase();
  const domain = email?.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : null;
  const tenant = domain ? await findTenantByDomain(domain) : slug ? await findTenant({ slug }) : null;
  if (!tenant) return signInErrorPage('unknown_tenant', 404);
  const {
    data: [connection],
  } = await listConnections(tenant.id, { limit: 1 });
  if (!connection) return signInErrorPage('no_connection', 404);
  try {
    return await startSignIn(tenant, connection, q.get('returnTo'));
  } catch (err) {
    log('error', 'could not start sign-in', { err, tenantId: tenant.id });
    return new Response('Sign-in could not be started; try again shortly.', { status: 503 });
  }
}
