import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auth, customFetch } from '@auth/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as appsRoute from '@/app/api/v1/applications/route';
import * as mappingRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as suspendRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/suspend/route';
import { backchannelLogout, ssoPortalAuthConfig } from '@/examples/nextjs-auth/auth';
import { backchannelJob } from '@/lib/applications/backchannel';
import { eq } from 'drizzle-orm';
import { getDb } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
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
  constructor(private readonly cookies = new Map<string, string>()) {}
  copy() {
    return new Jar(new Map(this.cookies));
  }
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

/** The product's back-channel logout route (the example's handler), served on this machine. */
let logoutRoute: (r: Request) => Promise<Response> = async () => new Response(null, { status: 503 });
const answers: number[] = [];
const productServer = http.createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const answer = await logoutRoute(new Request(`${PRODUCT}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) }));
  answers.push(answer.status);
  res.writeHead(answer.status);
  res.end(await answer.text());
});
let logoutUri = '';

beforeAll(async () => {
  await getDb();
  await new Promise<void>((r) => productServer.listen(0, '127.0.0.1', r));
  logoutUri = `http://127.0.0.1:${(productServer.address() as AddressInfo).port}/api/auth/backchannel-logout`;
});
afterAll(() => productServer.close());

/** A product on Auth.js configured as the README says, and `grace@` of tenant `t` in `groups` signed in to it through the portal. */
async function signedInProduct(t: Awaited<ReturnType<typeof samlTenant>>, groups: string[]) {
  const app = (
    await call(appsRoute.POST, {
      method: 'POST',
      body: { name: 'Next.js product', redirectUris: [`${PRODUCT}/api/auth/callback/sso-portal`], backchannelLogoutUri: logoutUri },
    })
  ).body as { clientId: string; clientSecret: string };
  const productEnv = { issuer: env().PUBLIC_URL, clientId: app.clientId, clientSecret: app.clientSecret };
  // Auth.js and the example fetch the portal's discovery, token and JWKS endpoints: in this test, in-process.
  // The example's own requests to the portal, which the test can make fail (the portal unreachable).
  let unreachable = false;
  const productFetch = ((input: string | URL | Request, init?: RequestInit) =>
    unreachable ? Promise.reject(new TypeError('fetch failed')) : portalFetch(input, init)) as typeof fetch;
  const config = ssoPortalAuthConfig(productEnv, { fetch: productFetch });
  logoutRoute = backchannelLogout(productEnv, { fetch: productFetch });
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
  const browser = new TestBrowser([t.idp], { email: `grace@${t.domain}`, attributes: { groups } });
  const asked = await browser.go(authorize);
  expect(asked.html).toContain('Work email');
  const back = await browser.submit(asked, { email: `grace@${t.domain}` });
  expect(back.url.origin + back.url.pathname).toBe(`${PRODUCT}/api/auth/callback/sso-portal`);

  const callback = await auth(`/callback/sso-portal${back.url.search}`, { headers: { cookie: jar.header() } });
  expect(callback.status).toBe(302);
  expect(callback.headers.get('location')).toBe(`${PRODUCT}/`);
  jar.take(callback);
  const session = async (of = jar) => {
    const res = await auth('/session', { headers: { cookie: of.header() } });
    of.take(res);
    return res.json();
  };
  return { jar, session, setUnreachable: (v: boolean) => (unreachable = v) };
}

describe('Auth.js (next-auth) in a product, configured as the README says', () => {
  it('signs in through the portal and puts the organisation and roles in the session; a refresh brings new roles, and access taken away ends the session', async () => {
    const t = await samlTenant();
    const mapping = (role: string) =>
      call(mappingRoute.PUT, {
        method: 'PUT',
        params: { tenantId: t.tenant.id },
        body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'IT', role }], defaultRole: 'member' },
      });
    await mapping('admin');
    const { jar, session, setUnreachable } = await signedInProduct(t, ['IT']);
    expect((await session()).user).toMatchObject({
      email: `grace@${t.domain}`,
      name: 'Ada Lovelace',
      orgId: t.tenant.id,
      orgSlug: t.tenant.slug,
      orgName: t.tenant.name,
      roles: ['admin'],
      groups: ['IT'],
    });

    // Once the access token has expired (10 minutes), the session refreshes: the roles as they are now.
    await mapping('editor');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 11 * 60_000);
      // The portal unreachable at that moment: the session stays as it was, and the next request refreshes.
      setUnreachable(true);
      expect((await session()).user.roles).toEqual(['admin']);
      setUnreachable(false);
      expect((await session()).user.roles).toEqual(['editor']);
      // Two requests at once share one refresh (a second use of a refresh token would end the sign-in).
      vi.setSystemTime(Date.now() + 11 * 60_000);
      const [a, b] = await Promise.all([session(), session()]);
      expect([a.user.roles, b.user.roles]).toEqual([['editor'], ['editor']]);
      expect((await session()).user.email).toBe(`grace@${t.domain}`);
      // The portal unreachable for longer than the grace (10 minutes past the access token's expiry):
      // signed out (a copy of the session; the test goes on with the original).
      const copy = jar.copy();
      vi.setSystemTime(Date.now() + 11 * 60_000);
      setUnreachable(true);
      expect((await session(copy)).user.roles).toEqual(['editor']);
      vi.setSystemTime(Date.now() + 10 * 60_000);
      expect(await session(copy)).toBeNull();
      setUnreachable(false);
      expect((await session()).user.roles).toEqual(['editor']);
    } finally {
      vi.useRealTimers();
    }

    // A forged or empty logout token changes nothing.
    const forged = await fetch(logoutUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'logout_token=eyJhbGciOiJub25lIn0.e30.' });
    expect(forged.status).toBe(400);
    expect((await session()).user.email).toBe(`grace@${t.domain}`);

    // An admin suspends the person: the portal's logout token reaches the product, whose session ends.
    const [user] = await (await getDb()).select({ id: users.id }).from(users).where(eq(users.email, `grace@${t.domain}`));
    expect((await call(suspendRoute.POST, { method: 'POST', params: { tenantId: t.tenant.id, userId: user.id } })).status).toBe(200);
    const before = answers.length;
    await backchannelJob.run(undefined as never);
    expect(answers.slice(before)).toEqual([200]);
    expect(await session()).toBeNull();
  });

  it('a person in more groups than an ID token lists (over 200): the session says `groups: null` (ask userinfo), never an empty list, and keeps the roles', async () => {
    const t = await samlTenant();
    await call(mappingRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.tenant.id },
      body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'IT', role: 'admin' }], defaultRole: 'member' },
    });
    const { session } = await signedInProduct(t, ['IT', ...Array.from({ length: 250 }, (_, i) => `Team ${i}`)]);
    expect((await session()).user).toMatchObject({ orgId: t.tenant.id, roles: ['admin'], groups: null });
  });
});
