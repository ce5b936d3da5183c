import 'server-only';
import type { Connection, SignInPolicy } from '../db/schema';
import type { RequestedContext } from './authn-request';
import { ipAllowed } from './cidr';
import { OIDC_MFA_REQUEST, oidcShowsMfa, SAML_MFA_REQUEST, samlShowsMfa, type MfaVerdict } from './mfa';

export { tenantPolicy } from './store';

/** May an end user sign in to this tenant from this address? */
export const signInIpAllowed = (policy: SignInPolicy, ip: string | null | undefined) => ipAllowed(policy.ipAllowlist, ip);

/** MFA for a sign-in through this connection: the connection's own setting, else the tenant's. */
export const mfaRequiredFor = (policy: SignInPolicy, connection: Pick<Connection, 'requireMfa'>) =>
  connection.requireMfa ?? policy.requireMfa === true;

/**
 * Microsoft Entra ID enforces MFA through Conditional Access and reports it in the
 * `authnmethodsreferences` attribute, while its AuthnContextClassRef stays Password/…; an exact
 * RequestedAuthnContext that the user's existing session does not match fails with AADSTS75011.
 * So Entra is not sent one; its answer is still checked.
 */
const isEntra = (entityId: string | undefined) => !!entityId && /^https:\/\/sts\.windows\.net\//i.test(entityId);

type AuthorizeResult = { redirect_url?: string; error?: string };

/**
 * The RequestedAuthnContext that asks a SAML IdP for multi-factor authentication (signed into
 * the AuthnRequest, lib/sso/saml/request.ts); none for Entra (see isEntra). The answer is
 * checked on return either way.
 */
export const samlMfaContext = (connection: Pick<Connection, 'idp'>): RequestedContext | null =>
  isEntra(connection.idp.entityId) ? null : { classRefs: SAML_MFA_REQUEST, comparison: 'exact' };

/**
 * Asks an OIDC provider for multi-factor authentication: `acr_values` on the authorization URL
 * (not signed; a voluntary request, which providers that do not know the values ignore). The
 * answer is checked on return.
 */
export function requestOidcMfa(r: AuthorizeResult): AuthorizeResult {
  if (r.error || !r.redirect_url) return r;
  const u = new URL(r.redirect_url);
  u.searchParams.set('acr_values', OIDC_MFA_REQUEST.join(' '));
  return { ...r, redirect_url: u.toString() };
}

const NO_AUTHN_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext';

/**
 * An IdP that cannot satisfy the requested authentication context answers with the status
 * NoAuthnContext (SAML core 3.2.2.2); when MFA was required that is an `mfa_required` refusal.
 */
export const isNoAuthnContext = (e: { statusCodes?: readonly string[] }) => !!e.statusCodes?.includes(NO_AUTHN_CONTEXT);

/** The MFA check of a SAML sign-in, on the signed assertion's content only. */
export const checkSamlMfa = samlShowsMfa;

/** The MFA check of an OIDC sign-in: the ID token's `amr`/`acr` as the SSO library passed them on. */
export function checkOidcMfa(raw: Record<string, unknown> | undefined): MfaVerdict {
  return oidcShowsMfa({ amr: raw?.amr, acr: raw?.acr });
}
