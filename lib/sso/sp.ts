import { env } from '../env';

/** The portal's service-provider endpoints, all under PUBLIC_URL. */
export function sp() {
  const base = env().PUBLIC_URL;
  return {
    /** SAML SP entity ID (the Audience every assertion must name exactly): the metadata URL, unique per install. */
    entityId: `${base}/.well-known/sp-metadata`,
    acsPath: '/api/oauth/saml',
    acsUrl: `${base}/api/oauth/saml`,
    /** Single logout (both bindings). */
    sloPath: '/api/oauth/saml/slo',
    sloUrl: `${base}/api/oauth/saml/slo`,
    oidcPath: '/api/oauth/oidc',
    oidcRedirectUrl: `${base}/api/oauth/oidc`,
    /** Where the SSO library sends the browser with a code after a successful IdP response. */
    callbackUrl: `${base}/api/sso/callback`,
    secureCookies: base.startsWith('https://'),
  };
}

/** Every connection belongs to this one product in the SSO library; the tenant is ours. */
export const PRODUCT = 'portal';
