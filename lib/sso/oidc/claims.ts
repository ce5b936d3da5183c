/**
 * Pure checks of what an OpenID provider sent (lib/sso/oidc/rp.ts does the I/O): the ID token's
 * issue time, and which email (and whether it is verified) a sign-in uses.
 */

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
