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
// While the portal cannot be reached the session carries on, for at most 10 minutes more.
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { NextAuthConfig } from 'next-auth';

type PortalClaims = {
  sub: string; sid?: string; name?: string; email?: string; org_id: string; org_slug: string; org_name: string; roles: string[];
  /** Absent, with `_claim_names.groups`, for a person in more than 200 groups (or 8 KiB of them): they are at userinfo. */
  groups?: string[]; _claim_names?: { groups?: string };
};
type Env = { issuer: string; clientId: string; clientSecret: string };

/** How long past its access token's expiry a session carries on while the portal cannot be reached. */
const GRACE_MS = 10 * 60_000;
/**
 * Portal sessions that ended (their `sid`), until every product session made from them has had to
 * refresh (the access token's 10 minutes and the grace). In memory: with several instances of the
 * product, keep it in a shared store.
 */
const ended = new Map<string, number>();
const REMEMBER_MS = 30 * 60_000;
/** `groups: null`: too many for a session cookie; read them from the portal's userinfo with an access token when needed. */
const session = (p: PortalClaims) => ({
  sid: p.sid, orgId: p.org_id, orgSlug: p.org_slug, orgName: p.org_name, roles: p.roles, groups: p._claim_names?.groups ? null : (p.groups ?? []),
});

/** The portal's discovery document, read once it has been read successfully (a failure is tried again next time). */
const discovered = new Map<string, Promise<{ token_endpoint: string; jwks_uri: string }>>();
const discovery = (env: Env, fetchImpl: typeof fetch) => {
  let known = discovered.get(env.issuer);
  if (!known) {
    known = fetchImpl(`${env.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) }).then((r) => {
      if (!r.ok) throw new Error(`discovery answered ${r.status}`);
      return r.json();
    });
    known.catch(() => discovered.delete(env.issuer));
    discovered.set(env.issuer, known);
  }
  return known;
};

type Refreshed = { session: ReturnType<typeof session>; refreshToken: string; expiresAt: number } | 'refused' | 'unreachable';

/**
 * Refresh tokens rotate and a second use of one ends the whole sign-in, so requests arriving
 * together (or with a cookie from before the last refresh) share one refresh of that token: the
 * portal's answer is kept a minute, and each request merges it into its own token.
 */
const refreshed = new Map<string, { at: number; answer: Promise<Refreshed> }>();

function portalRefresh(env: Env, refreshToken: string, fetchImpl: typeof fetch): Promise<Refreshed> {
  const now = Date.now();
  for (const [k, v] of refreshed) if (now - v.at > 60_000) refreshed.delete(k);
  const known = refreshed.get(refreshToken);
  if (known) return known.answer;
  const answer = (async (): Promise<Refreshed> => {
    try {
      const res = await fetchImpl((await discovery(env, fetchImpl)).token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${encodeURIComponent(env.clientId)}:${encodeURIComponent(env.clientSecret)}`)}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
        signal: AbortSignal.timeout(10_000),
      });
      // invalid_grant (access taken away) or invalid_client (the secret changed): signed out.
      if (res.status === 400 || res.status === 401) return 'refused';
      if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
      const t = await res.json();
      // Straight from the token endpoint over TLS (OIDC Core §3.1.3.7): the roles as they are now.
      return { session: session(decodeJwt<PortalClaims>(t.id_token)), refreshToken: t.refresh_token, expiresAt: Date.now() + t.expires_in * 1000 };
    } catch {
      refreshed.delete(refreshToken); // the next request tries again
      return 'unreachable';
    }
  })();
  refreshed.set(refreshToken, { at: now, answer });
  return answer;
}

async function refresh(env: Env, token: Record<string, unknown>, fetchImpl: typeof fetch): Promise<Record<string, unknown> | null> {
  if (typeof token.refreshToken !== 'string') return null;
  const answer = await portalRefresh(env, token.refreshToken, fetchImpl);
  if (answer === 'refused') return null;
  // The portal unreachable: the session carries on within the grace, then ends.
  if (answer === 'unreachable') return Date.now() - Number(token.expiresAt) < GRACE_MS ? token : null;
  return { ...token, ...answer.session, refreshToken: answer.refreshToken, expiresAt: answer.expiresAt };
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
