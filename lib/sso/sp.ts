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

/**
 * Where an OIDC connection's provider sends the browser back: the portal's one redirect URI, or,
 * for a connection a tenant's admin made, the tenant's own (`{oidcRedirectUrl}/{tenantId}`).
 */
export function oidcRedirectUrlOf(c: { tenantId: string; oidcRedirect: 'shared' | 'tenant' }): string {
  return c.oidcRedirect === 'tenant' ? `${sp().oidcRedirectUrl}/${c.tenantId}` : sp().oidcRedirectUrl;
}

/** Every connection belongs to this one product in the SSO library; the tenant is ours. */
export const PRODUCT = 'portal';
