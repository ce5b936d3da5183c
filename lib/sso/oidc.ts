import 'server-only';
import { log } from '../log';
import { signInErrorPage } from './error-page';
import { sso } from './jackson';

export async function handleOidcRedirect(url: URL): Promise<Response> {
  const { jackson } = await sso();
  try {
    const out = (await jackson.oauthController.oidcAuthzResponse(Object.fromEntries(url.searchParams) as never)) as {
      redirect_url?: string;
      error?: string;
    };
    if (!out.redirect_url) return signInErrorPage('idp_error', 400);
    return new Response(null, { status: 303, headers: { location: out.redirect_url, 'cache-control': 'no-store' } });
  } catch (err) {
    log('warn', 'OIDC redirect refused', { err });
    return signInErrorPage('state_mismatch', 400);
  }
}
