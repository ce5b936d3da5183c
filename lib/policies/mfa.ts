/**
 * Did the identity provider authenticate the person with more than one factor? Pure: decides
 * from what the IdP signed (a SAML assertion's AuthnContextClassRef and attributes, an OIDC ID
 * token's `amr`/`acr`), and from nothing the browser sent.
 *
 * Values that count, by source:
 * - SAML AuthnContextClassRef: REFEDS MFA (`https://refeds.org/profile/mfa`, Shibboleth,
 *   SimpleSAMLphp, research federations), ADFS `http://schemas.microsoft.com/claims/multipleauthn`,
 *   the `…:ac:classes:MultiFactor` class several IdPs emit (OneLogin, PingFederate,
 *   Okta's configurable class), the SAML 2.0 mobile two-factor classes and Okta's
 *   `urn:okta:loa:2fa:any` level. Plain PasswordProtectedTransport, Password, X509, Kerberos and
 *   `urn:federation:authentication:windows` do not.
 * - SAML attributes: Microsoft Entra ID reports MFA in
 *   `http://schemas.microsoft.com/claims/authnmethodsreferences` (value `…/claims/multipleauthn`)
 *   while its AuthnContextClassRef stays Password/PasswordProtectedTransport; Okta's
 *   "dynamic authentication context" attribute (commonly named `amr`) carries RFC 8176 values.
 * - OIDC `amr` (RFC 8176): `mfa`, or methods from two different factor kinds (something you know:
 *   pwd/pin/kba; have: hwk/swk/otp/sms/tel/sc/pop; are: fpt/face/iris/retina/vbm). One method alone
 *   (e.g. `otp`, `hwk`) is one factor. `mca` (several channels) is not several factors.
 * - OIDC `acr`: the OpenID PAPE multi-factor policies, REFEDS MFA, Okta `urn:okta:loa:2fa:any`,
 *   and the SAML-style MFA values above. Okta's `…:2fa:any:ifpossible` does not count (it may
 *   fall back to one factor).
 */

export const SAML_MFA_CLASSES = [
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:okta:loa:2fa:any',
] as const;

export const OIDC_MFA_ACR = [
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
  'https://refeds.org/profile/mfa',
  'urn:okta:loa:2fa:any',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor',
] as const;

/** What the portal asks a SAML IdP for when MFA is required (RequestedAuthnContext, Comparison="exact"). */
export const SAML_MFA_REQUEST = [
  'https://refeds.org/profile/mfa',
  'http://schemas.microsoft.com/claims/multipleauthn',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor',
] as const;

/** What the portal asks an OpenID provider for (`acr_values`, in order of preference; a voluntary request). */
export const OIDC_MFA_REQUEST = [
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'https://refeds.org/profile/mfa',
  'urn:okta:loa:2fa:any',
] as const;

/** SAML attributes that list authentication methods (Entra ID; Okta's dynamic authentication context). */
export const SAML_METHOD_ATTRIBUTES = ['http://schemas.microsoft.com/claims/authnmethodsreferences', 'authnmethodsreferences', 'amr'] as const;

const KNOW = new Set(['pwd', 'pin', 'kba']);
const HAVE = new Set(['hwk', 'swk', 'otp', 'sms', 'tel', 'sc', 'pop']);
const ARE = new Set(['fpt', 'face', 'iris', 'retina', 'vbm']);

const norm = (s: string) => s.trim();
const samlClasses = new Set<string>(SAML_MFA_CLASSES);
const oidcAcr = new Set<string>(OIDC_MFA_ACR);

/** RFC 8176 methods: `mfa`, or at least two different kinds of factor. */
export function amrShowsMfa(amr: readonly string[]): boolean {
  const methods = amr.map((m) => norm(m).toLowerCase());
  if (methods.includes('mfa')) return true;
  const kinds = new Set<string>();
  for (const m of methods) {
    if (KNOW.has(m)) kinds.add('know');
    else if (HAVE.has(m)) kinds.add('have');
    else if (ARE.has(m)) kinds.add('are');
  }
  return kinds.size >= 2;
}

export type MfaVerdict = { mfa: boolean; evidence: string | null };

/** A signed SAML assertion: its AuthnContextClassRef and its attributes. */
export function samlShowsMfa(assertion: { authnContextClassRef: string | null; attributes: Record<string, string[]> }): MfaVerdict {
  const classRef = assertion.authnContextClassRef ? norm(assertion.authnContextClassRef) : null;
  if (classRef && samlClasses.has(classRef)) return { mfa: true, evidence: `AuthnContextClassRef ${classRef}` };
  for (const name of SAML_METHOD_ATTRIBUTES) {
    const values = (Object.hasOwn(assertion.attributes, name) ? assertion.attributes[name] : undefined) ?? [];
    const trimmed = values.map(norm);
    const hit = trimmed.find((v) => samlClasses.has(v));
    if (hit) return { mfa: true, evidence: `${name} ${hit}` };
    if (amrShowsMfa(trimmed)) return { mfa: true, evidence: `${name} ${trimmed.join(' ')}` };
  }
  return { mfa: false, evidence: classRef ? `AuthnContextClassRef ${classRef}` : null };
}

const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split(/\s+/) : []).filter((x): x is string => typeof x === 'string' && x.trim() !== '');

/** OIDC ID token claims: `amr` (RFC 8176) and `acr`. */
export function oidcShowsMfa(claims: { amr?: unknown; acr?: unknown }): MfaVerdict {
  const amr = strings(claims.amr);
  if (amrShowsMfa(amr)) return { mfa: true, evidence: `amr ${amr.join(' ')}` };
  const acr = typeof claims.acr === 'string' ? norm(claims.acr) : null;
  if (acr && oidcAcr.has(acr)) return { mfa: true, evidence: `acr ${acr}` };
  const seen = [amr.length ? `amr ${amr.join(' ')}` : null, acr ? `acr ${acr}` : null].filter(Boolean).join('; ');
  return { mfa: false, evidence: seen || null };
}
