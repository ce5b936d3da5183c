/**
 * Pure checks of what an OpenID provider sent (lib/sso/oidc/rp.ts does the I/O): its discovery
 * document's issuer, the ID token's issue time, and which email (and whether it is verified) a
 * sign-in uses.
 */

export const WELL_KNOWN = '/.well-known/openid-configuration';

/**
 * Why a discovery document's `issuer` is refused, or null: it must be the URL the document was
 * fetched from without WELL_KNOWN (OpenID Connect Discovery §4.3), compared as URLs, trailing
 * slashes aside. The discovery URL's query is not part of it (Entra ID's `?appid=`, Azure AD B2C's
 * `?p=`). A document on one's own server naming another provider's issuer would let its answers
 * pass for that provider's (`iss` checks): the first step of an IdP mix-up across tenants.
 */
export function issuerProblem(discoveryUrl: string, issuer: string): string | null {
  const strip = (u: URL) => `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  let fetched: URL | null = null;
  let named: URL | null = null;
  try {
    fetched = new URL(discoveryUrl);
    named = new URL(issuer);
  } catch {
    // compared below as unequal
  }
  if (fetched && named && fetched.pathname.endsWith(WELL_KNOWN) && !named.search && !named.hash) {
    const base = new URL(fetched.pathname.slice(0, -WELL_KNOWN.length) || '/', fetched.origin);
    if (strip(base) === strip(named)) return null;
  }
  const entra =
    fetched?.hostname === 'login.microsoftonline.com'
      ? ` (Microsoft Entra ID: name the tenant by its ID, not its domain: https://login.microsoftonline.com/<tenant ID>/v2.0${WELL_KNOWN})`
      : '';
  const shown = JSON.stringify(issuer.length > 200 ? `${issuer.slice(0, 200)}…` : issuer);
  return `the discovery document's issuer ${shown} is not the URL it was fetched from: the discovery URL must be the issuer followed by ${WELL_KNOWN}${entra}`;
}

/** How far ahead of the portal's clock an ID token's `iat` may be (clock skew), in seconds. */
export const IAT_MAX_SKEW_S = 60;
/**
 * How old an ID token may be when the portal receives it, in seconds. It is minted at the code
 * exchange, moments earlier; a sign-in flow lives 10 minutes at most.
 */
export const IAT_MAX_AGE_S = 600;

/** Why an ID token's `iat` is refused, or null when it is acceptable at `nowS` (seconds). */
export function iatProblem(iat: unknown, nowS: number): string | null {
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'the ID token has no numeric iat';
  if (iat > nowS + IAT_MAX_SKEW_S) return `the ID token is issued ${Math.round(iat - nowS)} s in the future`;
  if (iat < nowS - IAT_MAX_AGE_S - IAT_MAX_SKEW_S) return `the ID token was issued ${Math.round(nowS - iat)} s ago`;
  return null;
}

/**
 * The email of an OIDC sign-in and whether the provider vouches for it: both from one source —
 * the ID token when it carries `email` (it is signed), else the userinfo answer — so that an
 * `email_verified` never describes another address than the one used. Verified only when the
 * provider says exactly `true` (the JSON boolean, or the string "true" some providers send);
 * missing, false or anything else is unverified.
 */
export function emailOf(idToken: Record<string, unknown>, userinfo: Record<string, unknown>): { email: string | null; emailVerified: boolean } {
  const source = typeof idToken.email === 'string' ? idToken : userinfo;
  const email = typeof source.email === 'string' ? source.email : null;
  return { email, emailVerified: email !== null && (source.email_verified === true || source.email_verified === 'true') };
}
