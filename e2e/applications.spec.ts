import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import * as oc from 'openid-client';
import pg from 'pg';
import { TestSamlIdp } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { NodeBrowser } from './support/node-browser';
import { freePort, startPortal, tempDataDir } from './support/portal';

const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'applications-spec-key-0123456789';

/**
 * Every instance serves every step of an application's sign-in: two portals on one PostgreSQL,
 * the browser's requests spread over both in turn, the token exchange on one and the refresh on
 * the other; then a suspension through one ends the application's access through the other.
 */
test('two instances on one PostgreSQL: authorization, token exchange and refresh on different instances', async () => {
  test.setTimeout(180_000);
  const name = `portal_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const portA = await freePort();
  const publicUrl = `http://localhost:${portA}`;
  const env = { DATABASE_URL: url.toString(), OPERATOR_API_KEY: KEY, AUTH_SECRET: randomBytes(32).toString('hex'), PUBLIC_URL: publicUrl };
  const a = await startPortal({ ...env, PORT: String(portA), DATA_DIR: tempDataDir() });
  const b = await startPortal({ ...env, DATA_DIR: tempDataDir() });
  try {
    const domain = `twin-${randomBytes(3).toString('hex')}.example.com`;
    const tenant = (await api('/tenants', { method: 'POST', key: KEY, base: a.url, body: { name: 'Twin Co', domains: [domain] } })).body;
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', key: KEY, base: b.url, body: { type: 'saml', metadataXml: idp.metadataXml() } })).status).toBe(201);
    const app = (
      await api('/applications', { method: 'POST', key: KEY, base: b.url, body: { name: 'Twin product', redirectUris: ['https://product.example.test/callback'] } })
    ).body;

    // The relying party talks to instance B for everything after discovery.
    const viaB = (input: string | URL | Request, init?: RequestInit) => {
      const u = new URL(input instanceof Request ? input.url : input);
      return fetch(new URL(u.pathname + u.search, b.url), init);
    };
    const config = await oc.discovery(new URL(publicUrl), app.clientId, undefined, oc.ClientSecretBasic(app.clientSecret), {
      [oc.customFetch]: viaB as never,
      execute: [oc.allowInsecureRequests],
    });
    oc.enableNonRepudiationChecks(config);
    const verifier = oc.randomPKCECodeVerifier();
    const authUrl = oc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://product.example.test/callback',
      scope: 'openid profile email organization roles offline_access',
      state: 'st',
      nonce: 'nn',
      login_hint: `grace@${domain}`,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const browser = new NodeBrowser(publicUrl, [a.url, b.url], idp, { acsUrl: `${publicUrl}/api/oauth/saml`, entityId: `${publicUrl}/.well-known/sp-metadata` }, `grace@${domain}`);
    const { url: back } = await browser.go(authUrl.href);
    expect(back.origin).toBe('https://product.example.test');
    expect(new Set(browser.instancesUsed.map((s) => s.split(' → ')[1]))).toEqual(new Set([a.url, b.url]));

    const tokens = await oc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: 'nn' });
    expect(tokens.claims()).toMatchObject({ email: `grace@${domain}`, org_id: tenant.id, org_slug: tenant.slug, roles: ['member'] });
    // The refresh on instance A.
    const viaA = (input: string | URL | Request, init?: RequestInit) => {
      const u = new URL(input instanceof Request ? input.url : input);
      return fetch(new URL(u.pathname + u.search, a.url), init);
    };
    config[oc.customFetch] = viaA as never;
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });

    // Suspended through A; the refresh through B is refused.
    const users = (await api(`/tenants/${tenant.id}/users?email=grace@${domain}`, { key: KEY, base: a.url })).body.data;
    expect((await api(`/tenants/${tenant.id}/users/${users[0].id}/suspend`, { method: 'POST', key: KEY, base: a.url })).status).toBe(200);
    config[oc.customFetch] = viaB as never;
    await expect(oc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  }
});

/**
 * A change to an application reaches the provider's routes at once: Next.js bundles the module that
 * remembers applications for a moment once per server chunk, so the API's copy clearing its own
 * memory left the copy of the route that had just served the application answering from the old
 * row for two seconds: a redirect URI taken out still got a code, a deleted application a 500.
 */
test('a redirect URI taken out, or an application deleted, stops at the very next authorization request of a signed-in browser', async () => {
  const base = E2E.baseURL;
  const domain = `change-${randomBytes(3).toString('hex')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Change Co'), domains: [domain] } })).body;
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml: idp.metadataXml() } })).status).toBe(201);
  const made = await api('/applications', { method: 'POST', body: { name: uniq('Changing app'), redirectUris: ['https://one.example.test/cb', 'https://two.example.test/cb'] } });
  expect(made.status).toBe(201);
  const config = await oc.discovery(new URL(base), made.body.clientId, undefined, oc.ClientSecretBasic(made.body.clientSecret), { execute: [oc.allowInsecureRequests] });
  const browser = new NodeBrowser(base, [base], idp, { acsUrl: `${base}/api/oauth/saml`, entityId: `${base}/.well-known/sp-metadata` }, `grace@${domain}`);
  const authorize = async (redirectUri: string) => {
    const verifier = oc.randomPKCECodeVerifier();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      state: 'st',
      nonce: 'nn',
      login_hint: `grace@${domain}`,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { ...(await browser.go(url.href)), verifier };
  };
  // Signed in, the code exchanged: the provider's routes have just read the application.
  const first = await authorize('https://one.example.test/cb');
  expect(first.url.origin).toBe('https://one.example.test');
  await oc.authorizationCodeGrant(config, first.url, { pkceCodeVerifier: first.verifier, expectedState: 'st', expectedNonce: 'nn' });
  expect((await api(`/applications/${made.body.id}`, { method: 'PATCH', body: { redirectUris: ['https://two.example.test/cb'] } })).status).toBe(200);
  const removed = await authorize('https://one.example.test/cb');
  expect(removed.url.origin).toBe(base);
  expect(removed.status).toBe(400);
  const kept = await authorize('https://two.example.test/cb');
  expect(kept.url.searchParams.get('code')).toBeTruthy();
  expect((await api(`/applications/${made.body.id}`, { method: 'DELETE' })).status).toBe(204);
  const gone = await authorize('https://two.example.test/cb');
  expect(gone.url.origin).toBe(base);
  expect(gone.status).toBe(400);
});
