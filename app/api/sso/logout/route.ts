import { clearSessionCookie, sessionFromCookie } from '@/lib/auth/session-cookie';
import { endSession, ssoOfSession } from '@/lib/dal/sessions';
import { env } from '@/lib/env';
import { navigationPage } from '@/lib/http/html';
import { crossSitePost } from '@/lib/http/request-meta';
import { spLogoutTarget } from '@/lib/sso/saml/logout';

/**
 * An end user's Sign out (a form post from /app): ends the portal session and, when it came from a
 * SAML IdP with a single logout service, sends the browser on to the IdP with a signed
 * LogoutRequest (it comes back to /signin). To the IdP by a page, not a redirect: a form of a page
 * with form-action 'self' may not be redirected to another origin. Posts from other sites are refused.
 */
export async function POST(req: Request) {
  if (crossSitePost(req)) return new Response('Cross-site sign-out refused', { status: 403 });
  const session = await sessionFromCookie(req.headers.get('cookie'));
  let target: string | null = null;
  if (session?.kind === 'user') {
    target = await spLogoutTarget(await ssoOfSession(session.sid));
    await endSession(session.sid);
  }
  const res = target ? navigationPage(new URL(target, env().PUBLIC_URL), 'Signing out…') : new Response(null, { status: 303, headers: { location: '/signin' } });
  res.headers.set('cache-control', 'no-store');
  res.headers.append('set-cookie', clearSessionCookie());
  return res;
}
