import { encode } from 'next-auth/jwt';
import { env } from '../env';
import { sp } from '../sso/sp';

export const sessionCookieName = () => (sp().secureCookies ? '__Secure-authjs.session-token' : 'authjs.session-token');

/**
 * The Set-Cookie header of an Auth.js session naming one of our `sessions` rows, for sessions
 * the portal starts itself (SSO sign-in, setup links). Auth.js reads it like its own.
 */
export async function sessionSetCookie(token: { sub: string; sid: string; kind: string; email?: string | null; name?: string | null }, maxAgeSeconds: number): Promise<string> {
  const jwt = await encode({ token, secret: env().AUTH_SECRET, salt: sessionCookieName(), maxAge: maxAgeSeconds });
  return `${sessionCookieName()}=${jwt}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${sp().secureCookies ? '; Secure' : ''}`;
}
