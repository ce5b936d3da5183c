import { tenantAccess } from '@/lib/auth/guards';
import { actorOf } from '@/lib/auth/permissions';
import { navigationPage } from '@/lib/http/html';
import { requestMeta } from '@/lib/http/request-meta';
import { env } from '@/lib/env';
import { startConnectionTest, startConnectionTestByLink } from '@/lib/sso/connections/test-start';

type Params = { params: Promise<{ slug: string; connectionId: string }> };

/** A single-use test link from the operator API: whoever opens it first runs the test, within 10 minutes. */
export async function GET(req: Request, { params }: Params) {
  const { slug, connectionId } = await params;
  const token = new URL(req.url).searchParams.get('token') ?? '';
  return startConnectionTestByLink(slug, connectionId, token);
}

/** "Test sign-in" on the connection's console page: the admin's own session, same-origin form POST only. */
export async function POST(req: Request, { params }: Params) {
  const { slug, connectionId } = await params;
  const origin = req.headers.get('origin');
  if (origin && origin !== new URL(env().PUBLIC_URL).origin) return new Response('Cross-site request refused', { status: 403 });
  // The same guard as every console page, console IP allowlist included.
  const access = await tenantAccess(slug, 'sso', requestMeta(req).ip);
  if (!access.ok && access.why === 'signed_out') return Response.redirect(new URL('/login', env().PUBLIC_URL), 303);
  if (!access.ok && access.why === 'ip_blocked') return Response.redirect(new URL(`/t/${slug}/sign-in-policy/blocked`, env().PUBLIC_URL), 303);
  if (!access.ok) return new Response('Not found', { status: 404 });
  const res = await startConnectionTest(access.tenant, connectionId, actorOf(access.principal));
  // The console's form (form-action 'self') may not be redirected to the IdP: a page goes there.
  const to = res.status === 302 ? res.headers.get('location') : null;
  if (!to || new URL(to, env().PUBLIC_URL).origin === new URL(env().PUBLIC_URL).origin) return res;
  const page = navigationPage(new URL(to, env().PUBLIC_URL), 'Continue to the identity provider');
  for (const c of res.headers.getSetCookie()) page.headers.append('set-cookie', c);
  return page;
}
