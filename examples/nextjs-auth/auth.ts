// Auth.js (next-auth v5) in any Next.js product: sign users in through the portal with its
// generic OIDC provider, and keep the organisation and roles in the session. Copy this file
// as `auth.ts` at the root of the product; set SSO_PORTAL_URL (the portal's PUBLIC_URL),
// SSO_CLIENT_ID and SSO_CLIENT_SECRET (from POST /api/v1/applications, redirect URI
// `<product>/api/auth/callback/sso-portal`). lib/applications/authjs.int.test.ts runs it.
import type { NextAuthConfig } from 'next-auth';

type PortalClaims = { sub: string; name?: string; email?: string; org_id: string; org_slug: string; org_name: string; roles: string[]; groups: string[] };

export function ssoPortalAuthConfig(env: { issuer: string; clientId: string; clientSecret: string }): NextAuthConfig {
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
        authorization: { params: { scope: 'openid profile email organization roles groups' } },
        profile: (p: PortalClaims) => ({ id: p.sub, name: p.name, email: p.email }),
      },
    ],
    callbacks: {
      jwt({ token, profile }) {
        const p = profile as PortalClaims | undefined;
        if (p) Object.assign(token, { orgId: p.org_id, orgSlug: p.org_slug, orgName: p.org_name, roles: p.roles, groups: p.groups });
        return token;
      },
      session({ session, token }) {
        const { orgId, orgSlug, orgName, roles, groups } = token as Record<string, unknown>;
        return { ...session, user: { ...session.user, orgId, orgSlug, orgName, roles, groups } } as typeof session;
      },
    },
  };
}

// In the product:
//   import NextAuth from 'next-auth';
//   export const { handlers, auth, signIn, signOut } = NextAuth(ssoPortalAuthConfig({
//     issuer: process.env.SSO_PORTAL_URL!, clientId: process.env.SSO_CLIENT_ID!, clientSecret: process.env.SSO_CLIENT_SECRET!,
//   }));
