import { Auth, customFetch } from '@auth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as appsRoute from '@/app/api/v1/applications/route';
import * as mappingRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import { ssoPortalAuthConfig } from '@/examples/nextjs-auth/auth';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { call } from '@/lib/testing/api';
import { portalFetch, TestBrowser } from '@/lib/testing/oidc';
import { samlTenant } from '@/lib/testing/sso';

/**
 * The Auth.js configuration the README gives for a Next.js product (examples/nextjs-auth/auth.ts),
 * run by Auth.js's own core against the portal: sign-in, callback, and the session with the
 * user's organisation and roles.
 */
const PRODUCT = 'https://product.example.test';

/** A cookie jar for the product's origin (Auth.js's state, PKCE, nonce and session cookies). */
class Jar {
  private readonly cookies = new Map<string, string>();
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Response) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const i = pair.indexOf('=');
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(sc)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }
}

beforeAll(async () => {
  await getDb();
});

describe('Auth.js (next-auth) in a product, configured as the README says', () => {
  it('signs in through the portal and puts the organisation and roles in the session', async () => {
    const t = await samlTenant();
    await call(mappingRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.tenant.id },
      body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'IT', role: 'admin' }], defaultRole: 'member' },
    });
    const app = (
      await call(appsRoute.POST, { method: 'POST', body: { name: 'Next.js product', redirectUris: [`${PRODUCT}/api/auth/callback/sso-portal`] } })
    ).body as { clientId: string; clientSecret: string };
    const config = ssoPortalAuthConfig({ issuer: env().PUBLIC_URL, clientId: app.clientId, clientSecret: app.clientSecret });
    // Auth.js fetches the portal's discovery, token and JWKS endpoints: in this test, in-process.
    (config.providers[0] as unknown as Record<symbol, unknown>)[customFetch] = portalFetch;
    const authConfig = { ...config, secret: 'product-secret-product-secret-0123', trustHost: true, basePath: '/api/auth' };
    const auth = (path: string, init: RequestInit = {}) => Auth(new Request(`${PRODUCT}/api/auth${path}`, init), authConfig);

    const jar = new Jar();
    const csrfRes = await auth('/csrf', { headers: { cookie: jar.header() } });
    jar.take(csrfRes);
    const { csrfToken } = await csrfRes.json();
    const start = await auth('/signin/sso-portal', {
      method: 'POST',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrfToken, callbackUrl: `${PRODUCT}/` }),
    });
    jar.take(start);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${env().PUBLIC_URL}/oidc/auth`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    // The person, at the portal: the organisation by email, then the tenant's SAML IdP.
    const browser = new TestBrowser([t.idp], { email: `grace@${t.domain}`, attributes: { groups: ['IT'] } });
    const asked = await browser.go(authorize);
    expect(asked.html).toContain('Work email');
    const typed = new URL(asked.url);
    typed.searchParams.set('email', `grace@${t.domain}`);
    const back = await browser.go(typed);
    expect(back.url.origin + back.url.pathname).toBe(`${PRODUCT}/api/auth/callback/sso-portal`);

    const callback = await auth(`/callback/sso-portal${back.url.search}`, { headers: { cookie: jar.header() } });
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe(`${PRODUCT}/`);
    jar.take(callback);
    const session = await (await auth('/session', { headers: { cookie: jar.header() } })).json();
    expect(session.user).toMatchObject({
      email: `grace@${t.domain}`,
      name: 'Ada Lovelace',
      orgId: t.tenant.id,
      orgSlug: t.tenant.slug,
      orgName: t.tenant.name,
      roles: ['admin'],
      groups: ['IT'],
    });
  });
});
