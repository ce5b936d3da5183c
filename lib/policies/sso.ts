import 'server-only';
import { inflateRawSync, deflateRawSync } from 'node:zlib';
import type { Connection, SignInPolicy } from '../db/schema';
import { addRequestedAuthnContext } from './authn-request';
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

type AuthorizeResult = { redirect_url?: string; authorize_form?: string; error?: string };

/** The SP signing key the SSO library signs AuthnRequests with (initialised with the library). */
async function spKey(): Promise<{ privateKeyPem: string; certPem: string }> {
  const x509 = (await import('@boxyhq/saml-jackson/dist/saml/x509')) as unknown as {
    getDefaultCertificate?: () => Promise<{ publicKey: string; privateKey: string }>;
    default?: { getDefaultCertificate: () => Promise<{ publicKey: string; privateKey: string }> };
  };
  const get = x509.getDefaultCertificate ?? x509.default?.getDefaultCertificate;
  if (!get) throw new Error('the SSO library exposes no SP certificate');
  const c = await get();
  return { privateKeyPem: c.privateKey, certPem: c.publicKey };
}

/**
 * Asks the IdP for multi-factor authentication in the request the SSO library built:
 * SAML — a re-signed AuthnRequest with RequestedAuthnContext (see authn-request.ts);
 * OIDC — `acr_values` on the authorization URL (not signed; a voluntary request, which IdPs
 * that do not know the values ignore). Either way the answer is checked on return.
 */
export async function requestMfa(r: AuthorizeResult, connection: Pick<Connection, 'type' | 'idp'>): Promise<AuthorizeResult> {
  if (r.error) return r;
  if (connection.type === 'oidc') {
    if (!r.redirect_url) return r;
    const u = new URL(r.redirect_url);
    u.searchParams.set('acr_values', OIDC_MFA_REQUEST.join(' '));
    return { ...r, redirect_url: u.toString() };
  }
  if (isEntra(connection.idp.entityId)) return r;
  const key = await spKey();
  const ctx = { classRefs: SAML_MFA_REQUEST, comparison: 'exact' as const };
  if (r.redirect_url) {
    const u = new URL(r.redirect_url);
    const req = u.searchParams.get('SAMLRequest');
    if (!req) return r;
    const xml = inflateRawSync(Buffer.from(req, 'base64')).toString('utf8');
    u.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(addRequestedAuthnContext(xml, ctx, key))).toString('base64'));
    return { ...r, redirect_url: u.toString() };
  }
  if (r.authorize_form) {
    const m = /name="SAMLRequest" value="([^"]*)"/.exec(r.authorize_form);
    if (!m) return r;
    const xml = Buffer.from(m[1], 'base64').toString('utf8');
    const signed = Buffer.from(addRequestedAuthnContext(xml, ctx, key)).toString('base64');
    return { ...r, authorize_form: r.authorize_form.replace(m[0], `name="SAMLRequest" value="${signed}"`) };
  }
  return r;
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
