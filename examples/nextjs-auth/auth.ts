// Auth.js (next-auth v5) in any Next.js product: sign users in through the portal with its
// generic OIDC provider, keep the organisation and roles in the session, and let the portal take
// access away. Copy this file as `auth.ts` at the root of the product; set SSO_PORTAL_URL (the
// portal's PUBLIC_URL), SSO_CLIENT_ID and SSO_CLIENT_SECRET (from POST /api/v1/applications,
// redirect URI `<product>/api/auth/callback/sso-portal`, backchannelLogoutUri
// `<product>/api/auth/backchannel-logout`). lib/applications/authjs.int.test.ts runs it.
//
// Access taken away (a suspension, a deletion, a sign-out at the portal) ends the product's session:
// at once through the back-channel logout token, and at the latest when the access token expires
// (10 minutes), when the refresh is refused. Each refresh also brings the roles as they are now.
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { NextAuthConfig } from 'next-auth';

type PortalClaims = { sub: string; sid?: string; name?: string; email?: string; org_id: string; org_slug: string; org_name: string; roles: string[]; groups: string[] };
type Env = { issuer: string; clientId: string; clientSecret: string };

/**
 * Portal sessions that ended (their `sid`), until the product sessions made from them would have
 * refreshed anyway. In memory: with several instances of the product, keep it in a shared store.
 */
const ended = new Map<string, number>();
const REMEMBER_MS = 15 * 60_000;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as PortalClaims;
const session = (p: PortalClaims) => ({ sid: p.sid, orgId: p.org_id, orgSlug: p.org_slug, orgName: p.org_name, roles: p.roles, groups: p.groups });

/** The portal's discovery document, read once it has been read successfully (a failure is tried again next time). */
const discovered = new Map<string, Promise<{ token_endpoint: string; jwks_uri: string }>>();
const discovery = (env: Env, fetchImpl: typeof fetch) => {
  let known = discovered.get(env.issuer);
  if (!known) {
    known = fetchImpl(`${env.issuer}/.well-known/openid-configuration`).then((r) => {
      if (!r.ok) throw new Error(`discovery answered ${r.status}`);
      return r.json();
    });
    known.catch(() => discovered.delete(env.issuer));
    discovered.set(env.issuer, known);
  }
  return known;
};

/**
 * Refresh tokens rotate and a second use of one ends the whole sign-in, so requests arriving
 * together (or with a cookie from before the last refresh) share one refresh: its answer is kept a minute.
 */
const refreshed = new Map<string, { at: number; result: Promise<Record<string, unknown> | null> }>();

function refresh(env: Env, token: Record<string, unknown>, fetchImpl: typeof fetch): Promise<Record<string, unknown> | null> {
  const key = String(token.refreshToken);
  const now = Date.now();
  for (const [k, v] of refreshed) if (now - v.at > 60_000) refreshed.delete(k);
  const known = refreshed.get(key);
  if (known) return known.result;
  const result = (async () => {
    try {
      const res = await fetchImpl((await discovery(env, fetchImpl)).token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${encodeURIComponent(env.clientId)}:${encodeURIComponent(env.clientSecret)}`)}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: key }),
      });
      if (res.status === 400 || res.status === 401) return null; // invalid_grant: access taken away
      if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
      const t = await res.json();
      // Straight from the token endpoint over TLS (OIDC Core §3.1.3.7): the roles as they are now.
      return { ...token, ...session(claimsOf(t.id_token)), refreshToken: t.refresh_token, expiresAt: Date.now() + t.expires_in * 1000 };
    } catch {
      // The portal unreachable or answering oddly: the session stays, and the next request tries again.
      refreshed.delete(key);
      return token;
    }
  })();
  refreshed.set(key, { at: now, result });
  return result;
}

export function ssoPortalAuthConfig(env: Env, opts: { fetch?: typeof fetch } = {}): NextAuthConfig {
  const fetchImpl = opts.fetch ?? fetch;
  return {
    providers: [
      {
        id: 'sso-portal',
        name: 'SSO',
        type: 'oidc',
        issuer: env.issuer,
        clientId: env.clientId,
        clientSecret: env.clientSecret,
        checks: ['pkce', 'state', 'nonce'],
        authorization: { params: { scope: 'openid profile email organization roles groups offline_access' } },
        profile: (p: PortalClaims) => ({ id: p.sub, name: p.name, email: p.email }),
      },
    ],
    callbacks: {
      async jwt({ token, profile, account }) {
        if (profile && account) {
          return { ...token, ...session(profile as PortalClaims), refreshToken: account.refresh_token, expiresAt: (account.expires_at ?? 0) * 1000 };
        }
        if (typeof token.sid === 'string' && ended.has(token.sid)) return null;
        if (Date.now() < Number(token.expiresAt)) return token;
        return refresh(env, token, fetchImpl);
      },
      session({ session, token }) {
        const { orgId, orgSlug, orgName, roles, groups } = token as Record<string, unknown>;
        return { ...session, user: { ...session.user, orgId, orgSlug, orgName, roles, groups } } as typeof session;
      },
    },
  };
}

/**
 * POST <product>/api/auth/backchannel-logout: the portal's logout token (OpenID Connect
 * Back-Channel Logout 1.0 §2.6), verified against the portal's keys; the session it names ends.
 */
export function backchannelLogout(env: Env, opts: { fetch?: typeof fetch } = {}) {
  const fetchImpl = opts.fetch ?? fetch;
  let jwks: JWTVerifyGetKey | undefined;
  return async (request: Request): Promise<Response> => {
    // A form of at most 16 KiB (its length declared): nothing larger is read.
    const small = Number(request.headers.get('content-length') ?? Infinity) <= 16_384;
    const form = small && (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded') ? await request.text() : '';
    const logoutToken = new URLSearchParams(form).get('logout_token');
    try {
      jwks ??= createRemoteJWKSet(new URL((await discovery(env, fetchImpl)).jwks_uri), { [customFetch]: fetchImpl });
    } catch {
      // The portal's discovery unreachable: not this token's fault; the portal sends it again.
      return Response.json({ error: 'temporarily_unavailable' }, { status: 503, headers: { 'cache-control': 'no-store' } });
    }
    try {
      const { payload } = await jwtVerify(logoutToken ?? '', jwks, {
        issuer: env.issuer, audience: env.clientId, typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti', 'sid'], maxTokenAge: '5m',
      });
      const events = payload.events as Record<string, unknown> | undefined;
      const event = events?.['http://schemas.openid.net/event/backchannel-logout'];
      if (!event || typeof event !== 'object' || 'nonce' in payload) throw new Error('not a logout token');
      const now = Date.now();
      for (const [sid, until] of ended) if (until < now) ended.delete(sid);
      ended.set(String(payload.sid), now + REMEMBER_MS);
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    } catch {
      return Response.json({ error: 'invalid_request' }, { status: 400, headers: { 'cache-control': 'no-store' } });
    }
  };
}

// In the product:
//   // auth.ts
//   import NextAuth from 'next-auth';
//   const env = { issuer: process.env.SSO_PORTAL_URL!, clientId: process.env.SSO_CLIENT_ID!, clientSecret: process.env.SSO_CLIENT_SECRET! };
//   export const { handlers, auth, signIn, signOut } = NextAuth(ssoPortalAuthConfig(env));
//   export const onBackchannelLogout = backchannelLogout(env);
//   // app/api/auth/backchannel-logout/route.ts
//   export { onBackchannelLogout as POST } from '@/auth';
