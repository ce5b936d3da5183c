import { decode, encode } from 'next-auth/jwt';
import { env } from '../env';
import { sp } from '../sso/sp';

export const sessionCookieName = () => (sp().secureCookies ? '__Secure-authjs.session-token' : 'authjs.session-token');

/**
 * The Set-Cookie header of an Auth.js session naming one of our `sessions` rows, for sessions
 * the portal starts itself (SSO sign-in, setup links). Auth.js reads it like its own.
 */
export async function sessionSetCookie(
  token: { sub: string; sid: string; kind: string; email?: string | null; name?: string | null; unsolicited?: boolean; forced?: boolean },
  maxAgeSeconds: number,
): Promise<string> {
  const jwt = await encode({ token, secret: env().AUTH_SECRET, salt: sessionCookieName(), maxAge: maxAgeSeconds });
  return `${sessionCookieName()}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${sp().secureCookies ? '; Secure' : ''}`;
}

/** The Set-Cookie header that removes the session cookie. */
export const clearSessionCookie = () => `${sessionCookieName()}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${sp().secureCookies ? '; Secure' : ''}`;

/**
 * The session named by this request's Auth.js cookie (`sub`, `sid`, `kind`; `unsolicited` when it
 * came from an IdP-initiated sign-in, which this browser did not start; `forced` when the IdP was
 * made to sign the person in afresh for it), or null. Does not check that the row is live.
 */
export async function sessionFromCookie(cookieHeader: string | null): Promise<{ sub: string; sid: string; kind: string; unsolicited: boolean; forced: boolean } | null> {
  const name = sessionCookieName();
  const raw = cookieHeader
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  if (!raw) return null;
  try {
    const t = await decode({ token: raw, secret: env().AUTH_SECRET, salt: name });
    return t && typeof t.sub === 'string' && typeof t.sid === 'string' && typeof t.kind === 'string'
      ? { sub: t.sub, sid: t.sid, kind: t.kind, unsolicited: t.unsolicited === true, forced: t.forced === true }
      : null;
  } catch {
    return null;
  }
}
