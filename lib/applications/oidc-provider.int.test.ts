import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import * as jose from 'jose';
import * as oc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as appsRoute from '@/app/api/v1/applications/route';
import * as appRoute from '@/app/api/v1/applications/[applicationId]/route';
import * as rotateRoute from '@/app/api/v1/applications/[applicationId]/rotate-secret/route';
import * as signingKeysRoute from '@/app/api/v1/oidc/signing-keys/route';
import * as rotateKeysRoute from '@/app/api/v1/oidc/signing-keys/rotate/route';
import * as userRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/route';
import * as suspendRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/suspend/route';
import * as reactivateRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/reactivate/route';
import * as mappingRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as policyRoute from '@/app/api/v1/tenants/[tenantId]/sign-in-policy/route';
import { SYSTEM } from '@/lib/audit/types';
import { dbHandle, getDb } from '@/lib/db/client';
import { auditEvents, backchannelDeliveries, oidcPayloads, oidcSigningKeys, users } from '@/lib/db/schema';
import { endSession } from '@/lib/dal/sessions';
import { setProvisioning } from '@/lib/dal/tenants';
import { updateConnection } from '@/lib/dal/connections';
import { sp } from '@/lib/sso/sp';
import { env } from '@/lib/env';
import { call } from '@/lib/testing/api';
import { portalFetch, TestBrowser } from '@/lib/testing/oidc';
import { samlTenant } from '@/lib/testing/sso';
import { backchannelJob, deliverDue } from './backchannel';
import { oidcMaintenanceJob } from './jobs';
import { rotateSigningKeys } from './keys';
import { initiateLoginLink, launchableApplications } from './registry';
import { oidcProvider, resetOidcProvider } from './provider';
import { metrics } from '@/lib/metrics';
import { ssoFlows } from '@/lib/db/schema';

/** Set by a test: the next lookup of a tenant's sign-in target fails (a fault that is not the database's). */
let failNextTarget = false;
vi.mock('@/lib/dal/sign-in', async (original) => {
  const real = await original<typeof import('@/lib/dal/sign-in')>();
  return {
    ...real,
    signInTarget: async (...args: Parameters<typeof real.signInTarget>) => {
      if (failNextTarget) {
        failNextTarget = false;
        throw new TypeError('lookup failed');
      }
      return real.signInTarget(...args);
    },
  };
});

/**
 * The contract's "Applications" section, driven by openid-client (a certified relying party
 * library) against the portal's route handlers, with a test SAML IdP behind the tenant's SSO.
 */

// A relying party's back-channel logout receiver.
const logoutTokens: string[] = [];
let receiver: http.Server;
let receiverUrl: string;

beforeAll(async () => {
  await getDb();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel`;
});
afterAll(() => {
  receiver.closeAllConnections();
  receiver.close();
});

const issuer = () => new URL(env().PUBLIC_URL);
const APP_ORIGIN = 'https://app.example.test';

type AppBody = { name?: string; redirectUris?: string[]; type?: 'confidential' | 'public'; tenantIds?: string[] | null; postLogoutRedirectUris?: string[]; backchannelLogoutUri?: string | null; initiateLoginUri?: string | null };
async function newApp(body: AppBody = {}) {
  const res = await call(appsRoute.POST, {
    method: 'POST',
    body: { name: 'Product', redirectUris: [`${APP_ORIGIN}/callback`], postLogoutRedirectUris: [`${APP_ORIGIN}/bye`], ...body },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; clientId: string; clientSecret?: string; type: string; initiateLoginUri: string | null };
}

async function configFor(app: { clientId: string; clientSecret?: string }, auth: 'basic' | 'post' | 'none' = 'basic') {
  const clientAuth = auth === 'none' ? oc.None() : auth === 'post' ? oc.ClientSecretPost(app.clientSecret!) : oc.ClientSecretBasic(app.clientSecret!);
  const config = await oc.discovery(issuer(), app.clientId, undefined, clientAuth, {
    [oc.customFetch]: portalFetch as never,
    execute: [oc.allowInsecureRequests],
  });
  oc.enableNonRepudiationChecks(config); // verify the ID token's signature against the JWKS
  return config;
}

/** A tenant with a SAML connection, a user at its IdP, and a browser for that user. */
async function world(attributes: Record<string, string | string[]> = { groups: ['Engineering'] }) {
  const t = await samlTenant();
  await call(mappingRoute.PUT, {
    method: 'PUT',
    params: { tenantId: t.tenant.id },
    body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'member' },
  });
  const email = `ada@${t.domain}`;
  const browser = new TestBrowser([t.idp], { email, attributes });
  return { ...t, email, browser };
}

async function authorize(
  config: oc.Configuration,
  browser: TestBrowser,
  params: Record<string, string> = {},
  opts: { pkce?: boolean; stopAt?: (next: URL) => boolean } = {},
) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: `${APP_ORIGIN}/callback`,
    scope: 'openid profile email organization roles groups offline_access',
    state,
    nonce,
    ...(opts.pkce === false ? {} : { code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }),
    ...params,
  });
  const end = await browser.go(url, { stopAt: opts.stopAt });
  return { end, verifier, state, nonce };
}

async function signIn(config: oc.Configuration, browser: TestBrowser, params: Record<string, string> = {}) {
  const a = await authorize(config, browser, params);
  expect(a.end.status, `ended at ${a.end.url.href}: ${a.end.html?.slice(0, 300)}`).toBeNull();
  expect(a.end.url.origin).toBe(APP_ORIGIN);
  const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
  return { ...a, tokens, claims: tokens.claims()! };
}

/** An authorization request of `config`'s application for `loginHint`, as a URL (for requests made without a browser). */
const authorizationUrl = async (config: oc.Configuration, loginHint: string) =>
  oc.buildAuthorizationUrl(config, {
    redirect_uri: `${APP_ORIGIN}/callback`, scope: 'openid', state: 's', login_hint: loginHint,
    code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });

/** The database refuses the first insert into `table` of a row matching `when` (as a failing write would), and takes the others. */
async function firstInsertFails(name: string, table: string, when: string) {
  const db = await dbHandle();
  await db.query(`create sequence ${name}`);
  await db.query(`create or replace function ${name}() returns trigger language plpgsql as $$
    begin if nextval('${name}') = 1 then raise exception 'refused for the test'; end if; return new; end $$`);
  await db.query(`create trigger ${name} before insert on ${table} for each row when (${when}) execute function ${name}()`);
  return {
    /** Inserts tried so far. */
    tries: async () => Number((await db.query<{ n: string }>(`select last_value as n from ${name}`))[0].n),
    async drop() {
      await db.query(`drop trigger if exists ${name} on ${table}`);
      await db.query(`drop function if exists ${name}()`);
      await db.query(`drop sequence if exists ${name}`);
    },
  };
}

const runJob = () => backchannelJob.run(undefined as never);

/** The logout tokens received since `before` (an index into logoutTokens) for this client and user. */
const logoutTokensFor = (before: number, clientId: string, sub: string) =>
  logoutTokens.slice(before).map((t) => jose.decodeJwt(t)).filter((t) => t.aud === clientId && t.sub === sub);

/** The attacker's browser resumes the authorization `uid`: no code, and no sign-in of the tenant reached an application. */
async function expectNoCodeOnResume(attacker: TestBrowser, uid: string, tenantId: string) {
  const resumed = await attacker.go(new URL(`/oidc/auth/${uid}`, env().PUBLIC_URL), {
    stopAt: (u) => u.origin === APP_ORIGIN || u.pathname.startsWith('/oidc/interaction/'),
  });
  expect(resumed.url.searchParams.get('code')).toBeNull();
  const signedIn = await (await getDb()).select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, 'application.signed_in')));
  expect(signedIn).toHaveLength(0);
}

describe('the portal as OpenID Provider for the operator’s applications', () => {
  it('discovery: the issuer is PUBLIC_URL and every endpoint is found through it', async () => {
    const res = await portalFetch(`${env().PUBLIC_URL}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const d = await res.json();
    expect(d.issuer).toBe(env().PUBLIC_URL);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint']) {
      expect(d[k]).toMatch(new RegExp(`^${env().PUBLIC_URL}/oidc/`));
    }
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'organization', 'roles', 'groups', 'offline_access']));
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.response_types_supported).toEqual(['code']);
  });

  it('code flow with PKCE: the ID token (verified against the JWKS) carries the user, organisation and roles; userinfo the same', async () => {
    const w = await world();
    const app = await newApp();
    const config = await configFor(app);
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const [user] = await (await getDb()).select().from(users).where(eq(users.tenantId, w.tenant.id));
    expect(r.claims).toMatchObject({
      iss: env().PUBLIC_URL,
      sub: user.id,
      aud: app.clientId,
      email: w.email,
      email_verified: true,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      org_id: w.tenant.id,
      org_slug: w.tenant.slug,
      org_name: w.tenant.name,
      roles: ['editor'],
      groups: ['Engineering'],
      nonce: r.nonce,
    });
    for (const k of ['exp', 'iat', 'auth_time', 'sid']) expect(r.claims[k]).toBeDefined();
    expect(r.tokens.refresh_token).toBeTruthy();
    const jwks = jose.createLocalJWKSet(await (await portalFetch(`${env().PUBLIC_URL}/oidc/jwks`)).json());
    const { protectedHeader } = await jose.jwtVerify(r.tokens.id_token!, jwks, { issuer: env().PUBLIC_URL, audience: app.clientId });
    expect(protectedHeader.alg).toBe('RS256');
    const info = await oc.fetchUserInfo(config, r.tokens.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, email: w.email, org_id: w.tenant.id, org_slug: w.tenant.slug, roles: ['editor'], groups: ['Engineering'] });
    // The tenant's log names the application.
    const events = await (await getDb()).select().from(auditEvents).where(and(eq(auditEvents.tenantId, w.tenant.id), eq(auditEvents.action, 'application.signed_in')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ targetId: app.id, actorId: user.id });
  });

  it('a user in more than 200 groups, or more than 8 KiB of them: the ID token names userinfo as the source of `groups` (distributed claims, as Entra ID does), and userinfo lists them all', async () => {
    const many = ['Engineering', ...Array.from({ length: 250 }, (_, i) => `Team ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`)];
    const w = await world({ groups: many });
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const discovery = await (await portalFetch(`${env().PUBLIC_URL}/.well-known/openid-configuration`)).json();
    expect(discovery.claim_types_supported).toEqual(['normal', 'distributed']);
    for (const claims of [r.claims, (await oc.refreshTokenGrant(config, r.tokens.refresh_token!)).claims()!]) {
      expect(claims).toMatchObject({ roles: ['editor'], _claim_names: { groups: 'groups' }, _claim_sources: { groups: { endpoint: discovery.userinfo_endpoint } } });
      expect(claims.groups).toBeUndefined();
    }
    expect(r.tokens.id_token!.length).toBeLessThan(4000);
    const info = await oc.fetchUserInfo(config, r.tokens.access_token, r.claims.sub);
    expect(info.groups).toEqual(many);
    expect(info._claim_names).toBeUndefined();
    // At 200 the ID token still carries them itself.
    const w2 = await world({ groups: many.slice(0, 200) });
    const r2 = await signIn(config, w2.browser, { login_hint: w2.email });
    expect(r2.claims.groups).toEqual(many.slice(0, 200));
    expect(r2.claims._claim_names).toBeUndefined();
    // Fewer groups with long names: past 8 KiB of them, userinfo again.
    const long = ['Engineering', ...Array.from({ length: 9 }, (_, i) => `${i} ${'y'.repeat(1000)}`)];
    const w3 = await world({ groups: long });
    const r3 = await signIn(config, w3.browser, { login_hint: w3.email });
    expect(r3.claims).toMatchObject({ _claim_names: { groups: 'groups' } });
    expect(r3.tokens.id_token!.length).toBeLessThan(4000);
    expect((await oc.fetchUserInfo(config, r3.tokens.access_token, r3.claims.sub)).groups).toEqual([...long].sort());
  });

  it('refresh tokens rotate, return the roles as they are now, and a reused one is refused', async () => {
    const w = await world();
    const config = await configFor(await newApp(), 'post');
    const r = await signIn(config, w.browser, { login_hint: w.email });
    await call(mappingRoute.PUT, { method: 'PUT', params: { tenantId: w.tenant.id }, body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'admin' }] } });
    const refreshed = await oc.refreshTokenGrant(config, r.tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(r.tokens.refresh_token);
    expect(refreshed.claims()).toMatchObject({ roles: ['admin'], sid: r.claims.sid, auth_time: r.claims.auth_time });
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reuse revoked the whole grant: the newest refresh token is dead too.
    await expect(oc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('prompt=consent (which OIDC Core asks of clients that want offline_access) signs in without a consent screen, alone or with prompt=login', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const first = await signIn(config, w.browser, { login_hint: w.email, prompt: 'consent' });
    expect(first.tokens.refresh_token).toBeTruthy();
    expect(w.browser.idpVisits).toBe(1);
    // Again with the provider session in place (the consent prompt alone), then with a fresh login too.
    const again = await signIn(config, w.browser, { prompt: 'consent' });
    expect(again.claims.sub).toBe(first.claims.sub);
    expect(w.browser.idpVisits).toBe(1);
    const both = await signIn(config, w.browser, { prompt: 'login consent' });
    expect(both.claims.sub).toBe(first.claims.sub);
    expect(w.browser.idpVisits).toBe(2);
  });

  it('prompt=none: a browser signed in to its tenant gets a code without any page; otherwise login_required, nothing signed in', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const silent = (browser: TestBrowser, params: Record<string, string>) => authorize(config, browser, { prompt: 'none', ...params });
    // No portal session: login_required.
    const none = await silent(w.browser, { login_hint: w.email });
    expect(none.end.url.origin).toBe(APP_ORIGIN);
    expect(none.end.url.searchParams.get('error')).toBe('login_required');
    // Signed in at the portal (its own /sso), never through the provider.
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?email=${encodeURIComponent(w.email)}`)).url.pathname).toBe('/app');
    expect(w.browser.idpVisits).toBe(1);
    // Another organisation named, or another tenant's domain hinted: still login_required.
    const other = await samlTenant();
    expect((await silent(w.browser, { organization: other.tenant.slug })).end.url.searchParams.get('error')).toBe('login_required');
    expect((await silent(w.browser, { login_hint: `bob@${other.domain}` })).end.url.searchParams.get('error')).toBe('login_required');
    // An application closed to the tenant: the same.
    const closed = await configFor(await newApp({ tenantIds: [other.tenant.id] }));
    const refused = await authorize(closed, w.browser, { prompt: 'none', login_hint: w.email });
    expect(refused.end.url.searchParams.get('error')).toBe('login_required');
    // The tenant's sign-in IP allowlist does not admit this browser's address (203.0.113.10): the same.
    const allow = (ipAllowlist: string[]) => call(policyRoute.PUT, { method: 'PUT', params: { tenantId: w.tenant.id }, body: { ipAllowlist } });
    expect((await allow(['198.51.100.0/24'])).status).toBe(200);
    expect((await silent(w.browser, { login_hint: w.email })).end.url.searchParams.get('error')).toBe('login_required');
    expect((await allow(['203.0.113.0/24'])).status).toBe(200);
    // Its own tenant: a code at once, no IdP, no page.
    const before = w.browser.visited.length;
    const a = await silent(w.browser, { login_hint: w.email });
    expect(w.browser.visited.slice(before)).toEqual(['GET /oidc/auth']);
    expect(w.browser.idpVisits).toBe(1);
    const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(tokens.claims()).toMatchObject({ email: w.email, org_id: w.tenant.id, roles: ['editor'] });
    // The provider session lives as the portal session: suspending the user ends both, and the
    // application hears of it.
    const sent = logoutTokens.length;
    await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: tokens.claims()!.sub } });
    await runJob();
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(logoutTokens.slice(sent).map((t) => jose.decodeJwt(t)).filter((t) => t.aud === app.clientId)).toHaveLength(1);
  });

  it('prompt=none gives the adopted sign-in a new provider session ID: a session cookie planted in the browser gains nothing', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    // The attacker holds a saved, empty provider session (their own, signed out) ...
    const m = await world();
    const own = await signIn(config, m.browser, { login_hint: m.email });
    const [link] = await (await dbHandle()).queryPrepared<{ portal_session_id: string }>('select portal_session_id from oidc_session_links where account_id = $1', [own.claims.sub]);
    await endSession(link.portal_session_id);
    await runJob();
    await authorize(config, m.browser, { prompt: 'none' });
    // ... and plants its cookie in the victim's browser, which then signs in at the portal.
    for (const [k, c] of m.browser.jar) if (c.name.startsWith('oidc_session')) w.browser.jar.set(k, { ...c });
    await w.browser.go(`${env().PUBLIC_URL}/sso?email=${encodeURIComponent(w.email)}`);
    const a = await authorize(config, w.browser, { prompt: 'none', login_hint: w.email.toUpperCase() });
    const t = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    // The attacker's cookie cannot end the victim's sessions.
    const page = await m.browser.go(new URL('/oidc/session/end', env().PUBLIC_URL));
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html ?? '')?.[1];
    if (xsrf) await m.browser.go(new URL('/oidc/session/end/confirm', env().PUBLIC_URL), { method: 'POST', body: `xsrf=${xsrf}&logout=yes` });
    expect((await oc.refreshTokenGrant(config, t.refresh_token!)).access_token).toBeTruthy();
    // The organisation's slug in capitals, as the interaction takes it.
    const upper = await authorize(config, w.browser, { prompt: 'none', organization: w.tenant.slug.toUpperCase() });
    expect(upper.end.url.searchParams.get('code')).toBeTruthy();
  });

  it('one portal session serves every application: a second application signs in without the IdP; prompt=login goes back to it', async () => {
    const w = await world();
    const first = await configFor(await newApp());
    const second = await configFor(await newApp({ name: 'Second product' }));
    const a = await signIn(first, w.browser, { login_hint: w.email });
    expect(w.browser.idpVisits).toBe(1);
    const b = await signIn(second, w.browser, {});
    expect(w.browser.idpVisits).toBe(1);
    expect(b.claims.sub).toBe(a.claims.sub);
    expect(b.claims.auth_time).toBe(a.claims.auth_time);
    await new Promise((r) => setTimeout(r, 1100));
    const c = await signIn(second, w.browser, { prompt: 'login' });
    expect(w.browser.idpVisits).toBe(2);
    expect(c.claims.auth_time).toBeGreaterThan(a.claims.auth_time as number);
    // max_age: more seconds than that since the last sign-in → the IdP again (OIDC Core: elapsed > max_age).
    await new Promise((r) => setTimeout(r, 1100));
    const d = await signIn(first, w.browser, { max_age: '0' });
    expect(w.browser.idpVisits).toBe(3);
    expect(d.claims.sub).toBe(a.claims.sub);
  });

  it('the organisation by `organization` (slug or ID); without a hint the portal asks for the email', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const bySlug = await signIn(config, w.browser, { organization: w.tenant.slug });
    expect(bySlug.claims.org_id).toBe(w.tenant.id);
    const fresh = new TestBrowser([w.idp], { email: w.email });
    const asked = await authorize(config, fresh, {});
    expect(asked.end.status).toBe(200);
    expect(asked.end.html).toContain('Work email');
    const end = await fresh.submit(asked.end, { email: w.email });
    expect(end.url.origin).toBe(APP_ORIGIN);
    expect(end.url.searchParams.get('code')).toBeTruthy();
    const unknown = await authorize(config, new TestBrowser([w.idp], { email: w.email }), { organization: 'no-such-tenant-xyz' });
    expect(unknown.end.url.origin).toBe(APP_ORIGIN);
    expect(unknown.end.url.searchParams.get('error')).toBe('access_denied');
  });

  it('errors: an unknown client or redirect URI never redirects; others return to the application with `error`', async () => {
    const w = await world();
    const app = await newApp({ type: 'public' });
    const config = await configFor(app, 'none');
    const base = new URL(config.serverMetadata().authorization_endpoint!);
    const q = (p: Record<string, string>) => {
      const u = new URL(base);
      for (const [k, v] of Object.entries({ response_type: 'code', scope: 'openid', state: 's1', ...p })) u.searchParams.set(k, v);
      return u;
    };
    for (const u of [q({ client_id: 'client_nope', redirect_uri: `${APP_ORIGIN}/callback` }), q({ client_id: app.clientId, redirect_uri: 'https://evil.example/callback' })]) {
      const res = await portalFetch(u);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    // A public application must use PKCE, and S256: `plain` is refused.
    const noPkce = await authorize(config, w.browser, {}, { pkce: false });
    expect(noPkce.end.url.searchParams.get('error')).toBe('invalid_request');
    const plain = await authorize(config, w.browser, { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, { pkce: false });
    expect(plain.end.url.origin).toBe(APP_ORIGIN);
    expect(plain.end.url.searchParams.get('error')).toBe('invalid_request');
    // Without `openid` it is not an OpenID Connect request (a plain OAuth one, no nonce): refused at the application.
    const oauthOnly = await authorize(config, w.browser, { scope: 'profile email roles', nonce: '' });
    expect(oauthOnly.end.url.origin).toBe(APP_ORIGIN);
    expect(oauthOnly.end.url.searchParams.get('error')).toBe('invalid_request');
    expect(oauthOnly.end.url.searchParams.get('error_description')).toMatch(/openid/);
    expect(oauthOnly.end.url.searchParams.get('code')).toBeNull();
    // A public application with S256 signs in without a secret.
    const ok = await signIn(config, w.browser, { login_hint: w.email });
    expect(ok.claims.org_id).toBe(w.tenant.id);
    // A redirect URI the operator removes stops working at once, though the application was just read.
    expect((await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: app.id }, body: { redirectUris: [`${APP_ORIGIN}/elsewhere`] } })).status).toBe(200);
    const removed = await portalFetch(q({ client_id: app.clientId, redirect_uri: `${APP_ORIGIN}/callback`, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
    expect(removed.status).toBe(400);
    expect(removed.headers.get('location')).toBeNull();
  });

  it('an application limited to other tenants, or a user the tenant refuses: access_denied at the application', async () => {
    const w = await world();
    const other = await samlTenant();
    const limited = await configFor(await newApp({ tenantIds: [other.tenant.id] }));
    const denied = await authorize(limited, w.browser, { login_hint: w.email });
    expect(denied.end.url.origin).toBe(APP_ORIGIN);
    expect(denied.end.url.searchParams.get('error')).toBe('access_denied');
    expect(w.browser.idpVisits).toBe(0);
    // Under the scim strategy an unknown user is refused by the tenant's SSO.
    await setProvisioning(SYSTEM, w.tenant.id, { strategy: 'scim' });
    const config = await configFor(await newApp());
    const refused = await authorize(config, w.browser, { login_hint: w.email });
    expect(refused.end.url.origin).toBe(APP_ORIGIN);
    expect(refused.end.url.searchParams.get('error')).toBe('access_denied');
  });

  it('tokens are answered only once stored: when storing them fails, the exchange fails and the application holds nothing', async () => {
    const w = await world();
    const app = await newApp();
    const config = await configFor(app);
    const db = await dbHandle();
    // The database refuses this application's refresh tokens (written with its access token, in one statement).
    await db.query(`create or replace function refuse_refresh_${app.clientId}() returns trigger language plpgsql as $$ begin raise exception 'refused for the test'; end $$`);
    await db.query(`create trigger refuse_refresh_${app.clientId} before insert on oidc_payloads for each row when (new.model = 'RefreshToken' and new.client_id = '${app.clientId}') execute function refuse_refresh_${app.clientId}()`);
    try {
      const a = await authorize(config, w.browser, { login_hint: w.email });
      const failed = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce }).catch((e) => e);
      expect(failed).toBeInstanceOf(Error);
      expect(failed.access_token).toBeUndefined();
      // Nothing of that exchange was stored: no access token either.
      const stored = await (await getDb()).select().from(oidcPayloads).where(and(eq(oidcPayloads.clientId, app.clientId), sql`${oidcPayloads.model} in ('AccessToken', 'RefreshToken')`));
      expect(stored).toEqual([]);
    } finally {
      await db.query(`drop trigger refuse_refresh_${app.clientId} on oidc_payloads`);
      await db.query(`drop function refuse_refresh_${app.clientId}()`);
    }
    // Storing works again: the next sign-in gets its tokens.
    expect((await signIn(config, w.browser, { login_hint: w.email })).tokens.refresh_token).toBeTruthy();
  });

  it('a redirect URI registered without a path works with either spelling (https://app and https://app/ are one URL)', async () => {
    const w = await world();
    const config = await configFor(await newApp({ redirectUris: [APP_ORIGIN], postLogoutRedirectUris: [`${APP_ORIGIN}/bye`] }));
    for (const spelled of [APP_ORIGIN, `${APP_ORIGIN}/`]) {
      const a = await authorize(config, w.browser, { login_hint: w.email, redirect_uri: spelled });
      expect(a.end.url.href.startsWith(`${APP_ORIGIN}/?`), a.end.url.href).toBe(true);
      // openid-client sends the URL it landed on (https://app/) as redirect_uri.
      const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
      expect(tokens.claims()?.email).toBe(w.email);
    }
    // Another URI is still refused, without a redirect.
    const other = await authorize(config, new TestBrowser([w.idp], { email: w.email, attributes: {} }), { login_hint: w.email, redirect_uri: `${APP_ORIGIN}/other` });
    expect(other.end.status).toBe(400);
  });

  it('a code works once: its second use is invalid_grant and revokes what the first use issued', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, { login_hint: w.email });
    const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    await expect(oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a code used again after it expired is still a reuse: invalid_grant, and what the first use issued is revoked', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, { login_hint: w.email });
    const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    // The used code stays known (to recognise its reuse) long after its minute.
    const db = await getDb();
    const [kept] = await db.execute<{ days: number }>(
      sql`select extract(epoch from (expires_at - now())) / 86400 as days from oidc_payloads
          where model = 'AuthorizationCode' and consumed_at is not null and payload->>'clientId' = ${config.clientMetadata().client_id}`,
    ).then((r) => (r as unknown as { rows: { days: number }[] }).rows);
    expect(Number(kept?.days)).toBeGreaterThan(1);
    // Five minutes on (the code lived one; the tokens it paid for ten), the code comes back.
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 5 * 60_000);
    try {
      await expect(oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
    } finally {
      clock.mockRestore();
    }
    expect((await oc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a token exchange or refresh whose storing fails stores nothing: the same code, then refresh token, works again', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, { login_hint: w.email });
    const db = await dbHandle();
    const real = db.queryPrepared.bind(db);
    /** The next write of the provider's records fails (a database error, or a crash before it). */
    const failNextWrite = () => {
      const spy = vi.spyOn(db, 'queryPrepared').mockImplementation(async (text, params) => {
        if (text.includes('jsonb_to_recordset')) {
          spy.mockRestore();
          throw new Error('the database went away');
        }
        return real(text, params);
      });
      return spy;
    };
    const exchange = () => oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    failNextWrite();
    await expect(exchange()).rejects.toBeTruthy();
    const tokens = await exchange();
    expect(tokens.claims()).toMatchObject({ email: w.email });
    failNextWrite();
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toBeTruthy();
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ email: w.email });
    expect((await oc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);
  });

  it('a token exchange that fails after its writes were queued (the ID token could not be signed) stores none of them: the same code works again', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, { login_hint: w.email });
    const provider = (await oidcProvider()) as unknown as { IdToken: { prototype: { issue(...args: unknown[]): Promise<string> } } };
    const real = provider.IdToken.prototype.issue;
    const spy = vi.spyOn(provider.IdToken.prototype, 'issue').mockImplementationOnce(async function () {
      throw new Error('the signing key could not be read');
    });
    const exchange = () => oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    try {
      await expect(exchange()).rejects.toMatchObject({ cause: { status: 500 } });
    } finally {
      spy.mockRestore();
    }
    expect(provider.IdToken.prototype.issue).toBe(real);
    const tokens = await exchange();
    expect(tokens.claims()).toMatchObject({ email: w.email });
    expect((await oc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });

  it('two simultaneous refreshes with one refresh token: one gets tokens, the other invalid_grant, and the grant is revoked', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const counted = async (outcome: string) =>
      (await metrics().tokens.get()).values.find((v) => v.labels.grant_type === 'refresh_token' && v.labels.outcome === outcome)?.value ?? 0;
    const [issued, refused] = [await counted('issued'), await counted('refused')];
    const both = await Promise.allSettled([oc.refreshTokenGrant(config, r.tokens.refresh_token!), oc.refreshTokenGrant(config, r.tokens.refresh_token!)]);
    expect(both.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    // Counted by the answer given: one issued, one refused.
    expect([(await counted('issued')) - issued, (await counted('refused')) - refused]).toEqual([1, 1]);
    expect(both.find((x) => x.status === 'rejected')).toMatchObject({ reason: { error: 'invalid_grant' } });
    // A second redemption is treated as reuse: the winner's tokens die with the grant.
    const won = (both.find((x) => x.status === 'fulfilled') as PromiseFulfilledResult<oc.TokenEndpointResponse>).value;
    await expect(oc.refreshTokenGrant(config, won.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a session ending whose reaping fails halfway is reaped again without a second logout token', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const before = logoutTokens.length;
    expect((await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: r.claims.sub } })).status).toBe(200);
    // The first run fails while removing the provider session's records (a crash, a database error).
    const db = await dbHandle();
    await db.query(`create or replace function test_keep_session() returns trigger language plpgsql as $$ begin raise exception 'the database went away'; end $$`);
    await db.query(`create trigger test_keep_session before delete on oidc_payloads for each row when (old.model = 'Session') execute function test_keep_session()`);
    try {
      await runJob().catch(() => undefined);
    } finally {
      await db.query(`drop trigger if exists test_keep_session on oidc_payloads`);
    }
    await runJob();
    expect(await (await getDb()).select().from(backchannelDeliveries).where(eq(backchannelDeliveries.applicationId, app.id))).toHaveLength(1);
    expect(logoutTokensFor(before, app.clientId, r.claims.sub)).toHaveLength(1);
  });

  it("a refused request (another application's token, a used refresh token) does not count as the portal session's activity", async () => {
    const w = await world();
    const configA = await configFor(await newApp());
    const configB = await configFor(await newApp());
    const r = await signIn(configA, w.browser, { login_hint: w.email });
    const db = await dbHandle();
    const [link] = await db.query<{ id: string }>(`select s.id from oidc_session_links l join sessions s on s.id = l.portal_session_id where l.account_id = $1`, [r.claims.sub]);
    const lastSeen = async () => (await db.query<{ t: string }>(`select last_seen_at::text as t from sessions where id = $1`, [link.id]))[0].t;
    await db.query(`update sessions set last_seen_at = now() - interval '1 hour' where id = $1`, [link.id]);
    const aged = await lastSeen();
    expect((await oc.tokenIntrospection(configB, r.tokens.access_token)).active).toBe(false);
    const refreshed = await oc.refreshTokenGrant(configA, r.tokens.refresh_token!);
    await db.query(`update sessions set last_seen_at = now() - interval '1 hour' where id = $1`, [link.id]);
    const agedAgain = await lastSeen();
    expect(agedAgain).not.toBe(aged);
    expect((await oc.tokenIntrospection(configB, refreshed.refresh_token!)).active).toBe(false);
    await expect(oc.refreshTokenGrant(configB, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await lastSeen()).toBe(agedAgain);
    // The application's own use counts.
    expect((await oc.tokenIntrospection(configA, refreshed.access_token)).active).toBe(true);
    expect(await lastSeen()).not.toBe(agedAgain);
  });

  it('suspension, deletion and sign-out: refreshes fail at once; every application of the session gets a signed logout token', async () => {
    const w = await world();
    const withChannel = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(withChannel);
    const second = await configFor(await newApp({ name: 'Other product', backchannelLogoutUri: receiverUrl }));
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const r2 = await signIn(second, w.browser, {});
    const userId = r.claims.sub;
    const before = logoutTokens.length;
    expect((await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId } })).status).toBe(200);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await runJob();
    const tokens = logoutTokens.slice(before);
    expect(tokens).toHaveLength(2);
    const jwks = jose.createLocalJWKSet(await (await portalFetch(`${env().PUBLIC_URL}/oidc/jwks`)).json());
    const sids = new Set<unknown>();
    for (const t of tokens) {
      const { payload, protectedHeader } = await jose.jwtVerify(t, jwks, { issuer: env().PUBLIC_URL });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload).toMatchObject({ sub: userId, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
      expect(payload.nonce).toBeUndefined();
      sids.add(payload.sid);
    }
    expect(sids).toEqual(new Set([r.claims.sid, r2.claims.sid]));
    const delivered = await (await getDb()).select().from(backchannelDeliveries).where(eq(backchannelDeliveries.applicationId, withChannel.id));
    expect(delivered).toMatchObject([{ status: 'delivered', accountId: userId }]);
    // Reactivated, the old refresh token stays dead (its session ended); a new sign-in works.
    await call(reactivateRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId } });
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await signIn(config, w.browser, { login_hint: w.email, prompt: 'login' });
    // Sign-out of the portal session ends it too.
    const sid = [...w.browser.jar.values()].find((c) => c.name === 'authjs.session-token');
    expect(sid).toBeTruthy();
    const db = await getDb();
    const [link] = await db.execute<{ portal_session_id: string }>(
      // The portal session the provider session came from.
      (await import('drizzle-orm')).sql`select portal_session_id from oidc_session_links order by created_at desc limit 1`,
    ).then((r) => (r as unknown as { rows: { portal_session_id: string }[] }).rows);
    await endSession(link.portal_session_id);
    await expect(oc.refreshTokenGrant(config, again.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Deleted: the same.
    const fresh = await signIn(config, new TestBrowser([w.idp], { email: w.email }), { login_hint: w.email });
    expect((await call(userRoute.DELETE, { method: 'DELETE', params: { tenantId: w.tenant.id, userId } })).status).toBe(204);
    await expect(oc.refreshTokenGrant(config, fresh.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revocation and introspection work on an application’s own tokens only', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const other = await configFor(await newApp({ name: 'Other' }));
    const r = await signIn(config, w.browser, { login_hint: w.email });
    expect((await oc.tokenIntrospection(config, r.tokens.access_token)).active).toBe(true);
    expect((await oc.tokenIntrospection(other, r.tokens.access_token)).active).toBe(false);
    await oc.tokenRevocation(config, r.tokens.refresh_token!);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('the authorization and end-session endpoints take POST as they take GET (OIDC Core 3.1.2.1, RP-Initiated Logout 2)', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const verifier = oc.randomPKCECodeVerifier();
    const params = {
      client_id: config.clientMetadata().client_id, response_type: 'code', redirect_uri: `${APP_ORIGIN}/callback`, scope: 'openid email offline_access',
      state: 'st', nonce: 'no', code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', login_hint: w.email, prompt: 'consent',
    };
    const authEndpoint = config.serverMetadata().authorization_endpoint!;
    const end = await w.browser.go(authEndpoint, { method: 'POST', body: new URLSearchParams(params).toString() });
    expect(end.url.origin, end.html?.slice(0, 300)).toBe(APP_ORIGIN);
    // The browser is sent on to the same request as a GET: a navigation, which carries its SameSite=Lax cookies.
    expect(w.browser.visited.slice(0, 2)).toEqual(['POST /oidc/auth', 'GET /oidc/auth']);
    const tokens = await oc.authorizationCodeGrant(config, end.url, { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: 'no' });
    expect(tokens.claims()?.email).toBe(w.email);
    // An unknown client never redirects, posted or not.
    const unknown = await new TestBrowser([w.idp], { email: w.email, attributes: {} }).go(authEndpoint, { method: 'POST', body: new URLSearchParams({ ...params, client_id: 'nobody' }).toString() });
    expect(unknown.status).toBe(400);
    expect(unknown.url.origin).toBe(issuer().origin);
    // A form too large to go on as a URL (past 8 KiB, or the provider's own limit) is refused with a reason.
    for (const kib of [9, 60]) {
      const huge = await portalFetch(authEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `${new URLSearchParams(params)}&pad=${'x'.repeat(kib * 1024)}` });
      expect(huge.status).toBe(413);
      expect(await huge.text()).toContain('at most 8 KiB');
    }
    // The interaction's own form ("Continue as …"), posted too large by anyone: a 413 page with its reason, not a 500.
    const hugeStep = await portalFetch(`${env().PUBLIC_URL}/oidc/interaction/anything`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `confirm=1&pad=${'a'.repeat(60 * 1024)}` });
    expect(hugeStep.status).toBe(413);
    expect(await hugeStep.text()).toContain('The form is too large');
    // A form another site posts carries no SameSite=Lax cookie: answered with the redirect alone,
    // it sets no provider session in the browser (which would hide the real one from a later logout).
    const crossSite = await portalFetch(config.serverMetadata().end_session_endpoint!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(crossSite.status).toBe(303);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    // Logout, posted: to the registered URI.
    const bye = await w.browser.go(config.serverMetadata().end_session_endpoint!, {
      method: 'POST',
      body: new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye`, state: 'z' }).toString(),
    });
    expect(bye.url.href).toBe(`${APP_ORIGIN}/bye?state=z`);
    await expect(oc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('RP-initiated logout redirects only to a registered URI and ends the portal session', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const bad = oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/bye' });
    expect((await portalFetch(bad)).status).toBe(400);
    const url = oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye`, state: 'z' });
    // Loaded as an image by some page of the same site, it signs nobody out.
    const asImage = await portalFetch(url, { headers: { cookie: w.browser.cookieHeader(new URL(url)), 'sec-fetch-dest': 'image' } });
    expect(asImage.status).toBe(200);
    const live = (await oc.refreshTokenGrant(config, r.tokens.refresh_token!)).refresh_token!;
    expect(live).toBeTruthy();
    const before = w.browser.visited.length;
    const end = await w.browser.go(url);
    expect(end.url.href).toBe(`${APP_ORIGIN}/bye?state=z`);
    // The hint proves this very session (OIDC RP-Initiated Logout: no question to ask): the end
    // session endpoint answers the redirect itself, with no page for the browser to submit.
    expect(w.browser.visited.slice(before)).toEqual(['GET /oidc/session/end']);
    await expect(oc.refreshTokenGrant(config, live)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The browser's portal session ended: the next sign-in goes through the IdP again.
    const visits = w.browser.idpVisits;
    await signIn(config, w.browser, { login_hint: w.email });
    expect(w.browser.idpVisits).toBe(visits + 1);
  });

  it('RP-initiated logout from a browser with no session (none sent, or it already ended) returns to the application at once, and ends nobody else’s', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const url = oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye`, state: 'n' });
    // No cookie at all (the application's server, or a browser whose cookies are gone): nothing to end.
    const bare = await portalFetch(url);
    expect(bare.status).toBe(303);
    expect(bare.headers.get('location')).toBe(`${APP_ORIGIN}/bye?state=n`);
    // The person's own session goes on.
    const live = (await oc.refreshTokenGrant(config, r.tokens.refresh_token!)).refresh_token!;
    expect(live).toBeTruthy();
    expect((await portalFetch(oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/bye' }))).status).toBe(400);
    // Signed out once in the browser; the application sends it again: straight back again.
    expect((await w.browser.go(url)).url.href).toBe(`${APP_ORIGIN}/bye?state=n`);
    const before = w.browser.visited.length;
    expect((await w.browser.go(url)).url.href).toBe(`${APP_ORIGIN}/bye?state=n`);
    expect(w.browser.visited.slice(before)).toEqual(['GET /oidc/session/end']);
    await expect(oc.refreshTokenGrant(config, live)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Without a redirect URI: the provider's own "signed out" page.
    const plain = await w.browser.go(oc.buildEndSessionUrl(config, { client_id: config.clientMetadata().client_id }));
    expect(plain.status).toBe(200);
    expect(plain.html).toContain('You are signed out.');
  });

  it('RP-initiated logout with a hint of another session asks first, and tells no application of another session', async () => {
    const w = await world();
    const x = await configFor(await newApp({ name: 'X' }));
    const yApp = await newApp({ name: 'Y', backchannelLogoutUri: receiverUrl });
    const y = await configFor(yApp);
    // The same user signed in to Y in another browser; this browser signed in to X only.
    const other = new TestBrowser([w.idp], { email: w.email, attributes: { groups: ['Engineering'] } });
    const ry = await signIn(y, other, { login_hint: w.email });
    await signIn(x, w.browser, { login_hint: w.email });
    const before = logoutTokens.length;
    const page = await w.browser.go(oc.buildEndSessionUrl(y, { id_token_hint: ry.tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye` }));
    expect(page.status).toBe(200);
    expect(page.html).toContain('Sign out?');
    // The person confirms: this browser's session ends; Y, which it never signed in to, hears nothing.
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html!)![1];
    await w.browser.go(new URL('/oidc/session/end/confirm', env().PUBLIC_URL), { method: 'POST', body: `xsrf=${xsrf}&logout=yes` });
    await runJob();
    const toY = logoutTokens.slice(before).map((t) => jose.decodeJwt(t)).filter((t) => t.aud === yApp.clientId);
    expect(toY).toEqual([]);
    // The other browser's sign-in to Y goes on.
    expect((await oc.refreshTokenGrant(y, ry.tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('RP-initiated logout of a session from a SAML IdP with single logout signs out at the IdP, then returns to the application', async () => {
    const t = await samlTenant({ sloUrl: true });
    const email = `ada@${t.domain}`;
    const browser = new TestBrowser([t.idp], { email });
    const config = await configFor(await newApp());
    const r = await signIn(config, browser, { login_hint: email });
    const end = await browser.go(oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye`, state: 'y' }));
    expect(browser.idpLogouts).toBe(1);
    expect(end.url.href).toBe(`${APP_ORIGIN}/bye?state=y`);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('signing keys rotate on demand through the API: the published next key signs at once, the old stays published until its tokens expire, and the operator log records it', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const before = await signIn(config, w.browser, { login_hint: w.email });
    const oldKid = jose.decodeProtectedHeader(before.tokens.id_token!).kid;
    const listed = await call(signingKeysRoute.GET, {});
    expect(listed.status).toBe(200);
    const current = listed.body.data.find((k: { state: string }) => k.state === 'current');
    const next = listed.body.data.find((k: { state: string }) => k.state === 'next');
    expect(current).toMatchObject({ kid: oldKid, alg: 'RS256', publishedUntil: null });
    expect(JSON.stringify(listed.body)).not.toMatch(/"d"|sealed/i);

    // The next key has been published for an hour.
    await (await getDb()).update(oidcSigningKeys).set({ createdAt: new Date(Date.now() - 3600_000) }).where(eq(oidcSigningKeys.kid, next.kid));
    const rotated = await call(rotateKeysRoute.POST, { method: 'POST' });
    expect(rotated.status).toBe(200);
    const state = Object.fromEntries(rotated.body.data.map((k: { kid: string; state: string }) => [k.kid, k.state]));
    expect(state[next.kid]).toBe('current');
    expect(state[oldKid!]).toBe('retired');
    expect(Object.values(state).filter((s) => s === 'next')).toHaveLength(1);
    // Published until every token the old key signed has expired (their lifetime, and 5 minutes).
    const until = Date.parse(rotated.body.data.find((k: { kid: string }) => k.kid === oldKid).publishedUntil);
    expect(until).toBeGreaterThan(Date.now() + 600_000);
    expect(until).toBeLessThan(Date.now() + 20 * 60_000);

    // This instance signs with the new key at once.
    const jwks = await (await portalFetch(`${env().PUBLIC_URL}/oidc/jwks`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(oldKid);
    expect(jwks.keys.every((k: { d?: string }) => !k.d)).toBe(true);
    const after = await signIn(await configFor(await newApp()), w.browser, {});
    expect(jose.decodeProtectedHeader(after.tokens.id_token!).kid).toBe(next.kid);
    await jose.jwtVerify(before.tokens.id_token!, jose.createLocalJWKSet(jwks), { issuer: env().PUBLIC_URL });

    const [event] = await (await getDb()).select().from(auditEvents).where(eq(auditEvents.action, 'oidc_signing_key.rotated'));
    expect(event).toMatchObject({ tenantId: null, details: { before: { current: oldKid }, after: { current: next.kid } } });

    // At once again (a retry, a second operator): the new next key has been published for no time at
    // all, and instances and relying parties have not seen it yet; refused, nothing changed.
    const again = await call(rotateKeysRoute.POST, { method: 'POST' });
    expect(again.status).toBe(409);
    // Nor by an instance whose clock runs ahead of the database's.
    await expect(rotateSigningKeys({ force: true, by: SYSTEM, now: new Date(Date.now() + 5 * 60_000) })).rejects.toMatchObject({ status: 409 });
    expect(JSON.stringify(again.body)).toMatch(/published/);
    expect((await call(signingKeysRoute.GET, {})).body).toEqual({ data: rotated.body.data });
  });

  it('after a scheduled rotation, an ID token from before still signs its person out (RP-initiated logout) for as long as a portal session lives', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    // The keys are due: the current one has signed for 91 days, the next one was published a day ago.
    const db = await getDb();
    const long = new Date(Date.now() - 91 * 24 * 3600_000);
    await db.update(oidcSigningKeys).set({ activatedAt: long, createdAt: long }).where(eq(oidcSigningKeys.state, 'current'));
    await db.update(oidcSigningKeys).set({ createdAt: new Date(Date.now() - 2 * 24 * 3600_000) }).where(eq(oidcSigningKeys.state, 'next'));
    expect((await oidcMaintenanceJob.run(undefined as never)) as { rotated: boolean }).toMatchObject({ rotated: true });
    resetOidcProvider();
    // Seven hours later the job runs again (retired keys past their time are deleted); the person signs out of the product.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 7 * 3600_000);
      await oidcMaintenanceJob.run(undefined as never);
      resetOidcProvider();
      const end = await w.browser.go(oc.buildEndSessionUrl(config, { id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: `${APP_ORIGIN}/bye`, state: 'k' }));
      expect(end.url.href).toBe(`${APP_ORIGIN}/bye?state=k`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps no bearer token in clear in its storage', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const rows = JSON.stringify(await (await getDb()).select().from(oidcPayloads));
    expect(rows).not.toContain(r.tokens.access_token);
    expect(rows).not.toContain(r.tokens.refresh_token!);
  });
});

describe('the OpenID Provider under attack', () => {
  it('a session this browser did not start (IdP-initiated, e.g. posted cross-site) is not reused silently', async () => {
    const w = await world();
    await updateConnection(SYSTEM, w.tenant.id, w.connection.id, { allowIdpInitiated: true });
    // An unsolicited response for the attacker's account, posted into the victim's browser.
    const attacker = `mallory@${w.domain}`;
    const response = w.idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: attacker, attributes: { email: attacker } });
    const landed = await w.browser.go(sp().acsUrl, { method: 'POST', body: new URLSearchParams({ SAMLResponse: response, RelayState: '' }).toString() });
    expect(landed.url.pathname).toBe('/app');
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, {});
    expect(a.end.status).toBe(200);
    expect(a.end.html).toContain('Continue as');
    expect(a.end.html).toContain(`(${attacker})`); // the address, not only the name the IdP chose
    // Another site cannot press the button: without the interaction cookie the POST is refused.
    const forged = await portalFetch(TestBrowser.formOf(a.end).action, { method: 'POST', body: 'confirm=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(400);
    // The person can.
    const confirmed = await w.browser.submit(a.end);
    expect(confirmed.url.origin).toBe(APP_ORIGIN);
    const tokens = await oc.authorizationCodeGrant(config, confirmed.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(tokens.claims()!.email).toBe(attacker);
  });

  it('a sign-in another site started at /sso (login CSRF through a hostile IdP that answers at once) is not reused silently either; one the person started is', async () => {
    const w = await world();
    // Another site sends Ada's browser to /sso for the tenant; its IdP signs Mallory in at once.
    const attacker = `mallory@${w.domain}`;
    w.browser.user = { email: attacker };
    const config = await configFor(await newApp());
    // Another site, or a sibling subdomain (same-site: it may be someone else's).
    for (const site of ['cross-site', 'same-site']) {
      const landed = await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`, { headers: { 'sec-fetch-site': site } });
      expect(landed.url.pathname).toBe('/app');
      const a = await authorize(config, w.browser, {});
      expect(a.end.status, site).toBe(200);
      expect(a.end.html).toContain('Continue as');
      expect(a.end.html).toContain(`(${attacker})`);
    }
    // Started from a page of the portal (or typed in): the session is the person's own.
    w.browser.user = { email: w.email };
    for (const site of ['same-origin', 'none']) {
      expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`, { headers: { 'sec-fetch-site': site } })).url.pathname).toBe('/app');
      const b = await authorize(config, w.browser, {});
      expect(b.end.url.origin, site).toBe(APP_ORIGIN);
      expect(b.end.url.searchParams.get('code')).toBeTruthy();
    }
  });

  it('a session this browser did not start is not reused silently even when the application names the organisation or a user', async () => {
    const w = await world();
    await updateConnection(SYSTEM, w.tenant.id, w.connection.id, { allowIdpInitiated: true });
    // Mallory plants her own sign-in (same tenant, same domain) in Ada's browser ...
    const attacker = `mallory@${w.domain}`;
    const response = w.idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: attacker, attributes: { email: attacker } });
    await w.browser.go(sp().acsUrl, { method: 'POST', body: new URLSearchParams({ SAMLResponse: response, RelayState: '' }).toString() });
    const config = await configFor(await newApp());
    // ... and Ada's application asks for Ada, or for her organisation: the person is asked first.
    for (const params of [{ login_hint: w.email }, { organization: w.tenant.slug }, { organization: w.tenant.id, login_hint: w.email }] as Record<string, string>[]) {
      const a = await authorize(config, w.browser, params);
      expect(a.end.status, JSON.stringify(params)).toBe(200);
      expect(a.end.html).toContain('Continue as');
    }
    // Without a page to show, no code either.
    for (const params of [{ login_hint: w.email }, { organization: w.tenant.slug }] as Record<string, string>[]) {
      const a = await authorize(config, w.browser, { ...params, prompt: 'none' });
      expect(a.end.url.origin).toBe(APP_ORIGIN);
      expect(a.end.url.searchParams.get('error')).toBe('login_required');
      expect(a.end.url.searchParams.get('code')).toBeNull();
    }
    expect(w.browser.idpVisits).toBe(0);
  });

  it('a new sign-in in the same browser takes the applications along: signing out then ends them too', async () => {
    const w = await world();
    const config = await configFor(await newApp({ backchannelLogoutUri: receiverUrl }));
    const r = await signIn(config, w.browser, { login_hint: w.email });
    // The person signs in again at the portal (a bookmark, the IdP's tile) and then signs out.
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    expect(w.browser.idpVisits).toBe(2);
    const before = logoutTokens.length;
    const out = await w.browser.go(`${env().PUBLIC_URL}/api/sso/logout`, { method: 'POST', body: '', stopAt: (u) => u.pathname === '/signin' });
    expect(out.status).toBeLessThan(400);
    await runJob();
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(logoutTokens.slice(before).map((t) => jose.decodeJwt(t)).filter((t) => t.aud === config.clientMetadata().client_id)).toHaveLength(1);
    // And the browser is signed out: the next sign-in goes to the IdP.
    await signIn(config, w.browser, { login_hint: w.email });
    expect(w.browser.idpVisits).toBe(3);
  });

  it('a sign-in again at the portal keeps the applications’ provider session as long as the new portal session: refreshes work, and a later suspension still reaches them', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const db = await getDb();
    // The first portal session ends 2 s from now (it was signed in to long ago).
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    await db.execute(sql`update sessions set expires_at = now() + interval '2 seconds' where tenant_id = ${w.tenant.id}`);
    const r = await signIn(config, w.browser, { organization: w.tenant.slug });
    // Before it ends the person signs in again at the portal: a new session of 8 hours takes the applications along.
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    expect(w.browser.idpVisits).toBe(2);
    // The first session's end passes, and the provider's 15 s of clock tolerance after it.
    await new Promise((res) => setTimeout(res, 18_000));
    const fresh = await oc.refreshTokenGrant(config, r.tokens.refresh_token!);
    expect(fresh.claims()?.roles).toEqual(['editor']);
    const before = logoutTokens.length;
    expect((await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: r.claims.sub } })).status).toBe(200);
    await runJob();
    expect(logoutTokensFor(before, app.clientId, r.claims.sub)).toHaveLength(1);
  }, 60_000);

  it('a session ended by a suspension is not taken along by a sign-in again before the jobs ran: the applications still get their logout token', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const r = await signIn(config, w.browser, { organization: w.tenant.slug });
    const before = logoutTokens.length;
    // Suspended and reactivated at once; the person signs in again in the same browser, all before any job run.
    expect((await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: r.claims.sub } })).status).toBe(200);
    expect((await call(reactivateRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: r.claims.sub } })).status).toBe(200);
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    await runJob();
    expect(logoutTokensFor(before, app.clientId, r.claims.sub)).toHaveLength(1);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a session the idle timeout ended is not taken along by a sign-in again before the jobs ran either', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const r = await signIn(config, w.browser, { organization: w.tenant.slug });
    expect((await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: w.tenant.id }, body: { sessionIdleSeconds: 600 } })).status).toBe(200);
    // Idle for 11 minutes (and the minute of slack for an unwritten activity).
    await (await getDb()).execute(sql`update sessions set created_at = now() - interval '30 minutes', last_seen_at = now() - interval '12 minutes' where tenant_id = ${w.tenant.id}`);
    const before = logoutTokens.length;
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    await runJob();
    expect(logoutTokensFor(before, app.clientId, r.claims.sub)).toHaveLength(1);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a portal session that ended while the jobs were late (its provider session’s own record expired meanwhile) still sends every logout token', async () => {
    const w = await world();
    const app = await newApp({ backchannelLogoutUri: receiverUrl });
    const config = await configFor(app);
    const r = await signIn(config, w.browser, { organization: w.tenant.slug });
    const db = await getDb();
    // The portal session reached its end a minute ago and no job ran since (a restart, a slow run):
    // the provider session's record, which ends with it, is past its expiry and its grace too.
    await db.execute(sql`update sessions set expires_at = now() - interval '1 minute' where tenant_id = ${w.tenant.id}`);
    await db.execute(sql`update oidc_payloads set expires_at = now() - interval '1 minute',
      payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now() - interval '1 minute')::bigint))
      where model = 'Session' and account_id = ${r.claims.sub}`);
    const before = logoutTokens.length;
    await oidcMaintenanceJob.run(undefined as never); // the housekeeping may run first
    await runJob();
    expect(logoutTokensFor(before, app.clientId, r.claims.sub)).toHaveLength(1);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reaped: the record and its link are gone.
    expect(await db.select().from(oidcPayloads).where(and(eq(oidcPayloads.model, 'Session'), eq(oidcPayloads.accountId, r.claims.sub)))).toHaveLength(0);
  });

  it('another person signing in in the same browser ends the first one’s session and its applications', async () => {
    const w = await world();
    const config = await configFor(await newApp({ backchannelLogoutUri: receiverUrl }));
    const r = await signIn(config, w.browser, { login_hint: w.email });
    const before = logoutTokens.length;
    const other = `grace@${w.domain}`;
    w.browser.user = { email: other, attributes: {} };
    expect((await w.browser.go(`${env().PUBLIC_URL}/sso?email=${encodeURIComponent(other)}`)).url.pathname).toBe('/app');
    await runJob();
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(logoutTokensFor(before, config.clientMetadata().client_id, r.claims.sub)).toHaveLength(1);
  });

  it('a refresh cannot revive a session the idle timeout ended (never used since sign-in: no slack)', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    expect((await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: w.tenant.id }, body: { sessionIdleSeconds: 600 } })).status).toBe(200);
    // Signed in 630 s ago and not used since: the policy ended it 30 s ago.
    const [link] = await (await dbHandle()).queryPrepared<{ portal_session_id: string }>('select portal_session_id from oidc_session_links where account_id = $1', [r.claims.sub]);
    await (await dbHandle()).queryPrepared(`update sessions set created_at = now() - interval '630 seconds', last_seen_at = null where id = $1`, [link.portal_session_id]);
    await expect(oc.refreshTokenGrant(config, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('max_age is met only by a sign-in the IdP was made to make afresh, not by a portal session from /sso (interaction, existing provider session, prompt=none)', async () => {
    const w = await world();
    const forced: boolean[] = [];
    const parse = w.idp.parseAuthnRequest.bind(w.idp);
    w.idp.parseAuthnRequest = (q: string) => {
      const r = parse(q);
      forced.push(r.forceAuthn);
      return r;
    };
    const a = await configFor(await newApp());
    const b = await configFor(await newApp());
    // Someone at a browser left signed in at the IdP signs in through /sso: the IdP's own session answers.
    await w.browser.go(`${env().PUBLIC_URL}/sso?email=${encodeURIComponent(w.email)}`);
    expect(forced).toEqual([false]);
    // Single sign-on without max_age: at once.
    await signIn(a, w.browser);
    expect(forced).toEqual([false]);
    // max_age (well within the session's age) from the application with a provider session, and from another: to the IdP, with ForceAuthn.
    const toIdp = (u: URL) => u.href.startsWith(w.idp.ssoUrl);
    for (const config of [a, b]) {
      const step = await authorize(config, w.browser, { max_age: '600' }, { stopAt: toIdp });
      expect(toIdp(step.end.url), step.end.url.href).toBe(true);
      expect(parse(step.end.url.searchParams.get('SAMLRequest')!).forceAuthn).toBe(true);
    }
    // However max_age is spelled (the provider reads any number that is a whole one).
    for (const maxAge of ['600', '6e2', '600.0', '0000000000600']) {
      const silent = await authorize(b, w.browser, { prompt: 'none', max_age: maxAge });
      expect(silent.end.url.searchParams.get('error'), maxAge).toBe('login_required');
      expect(silent.end.url.searchParams.get('code')).toBeNull();
      const step = await authorize(a, w.browser, { max_age: maxAge }, { stopAt: toIdp });
      expect(toIdp(step.end.url), `${maxAge}: ${step.end.url.href}`).toBe(true);
    }
    // Once the IdP signed the person in afresh, max_age is met for every application, without the IdP again.
    await signIn(a, w.browser, { max_age: '600' });
    const visits = w.browser.idpVisits;
    const again = await signIn(b, w.browser, { max_age: '600' });
    expect(w.browser.idpVisits).toBe(visits);
    expect(again.claims.auth_time).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);
  });

  it('prompt=login cannot be skipped by going straight to the interaction’s continue step', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    await signIn(config, w.browser, { login_hint: w.email });
    // prompt=login: the interaction sends the browser to /sso; an attacker skips it.
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: `${APP_ORIGIN}/callback`, scope: 'openid', state: 's', nonce: 'n', prompt: 'login',
      code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    await w.browser.go(url, { stopAt: (u) => u.href.startsWith(w.idp.ssoUrl) });
    const skipped = await w.browser.go(new URL(`/oidc/interaction/${w.browser.interactionUid()}/continue`, env().PUBLIC_URL));
    expect(skipped.url.origin).toBe(APP_ORIGIN);
    expect(skipped.url.searchParams.get('error')).toBe('access_denied');
    expect(skipped.url.searchParams.get('code')).toBeNull();
    expect(w.browser.idpVisits).toBe(1);
  });

  it('prompt=login cannot be met by a sign-in the IdP was not asked to make afresh (/sso?returnTo=…/continue)', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    await signIn(config, w.browser, { login_hint: w.email });
    // prompt=login sends the browser to the IdP with ForceAuthn; someone at the signed-in browser
    // instead signs in through /sso (no ForceAuthn: the IdP's own session answers) and returns there.
    const a = await authorize(config, w.browser, { prompt: 'login' }, { stopAt: (u) => u.href.startsWith(w.idp.ssoUrl) });
    const uid = w.browser.interactionUid()!;
    const lure = `${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}&returnTo=${encodeURIComponent(`/oidc/interaction/${uid}/continue`)}`;
    const end = await w.browser.go(lure);
    expect(w.browser.idpVisits).toBe(2);
    expect(end.url.origin).toBe(APP_ORIGIN);
    expect(end.url.searchParams.get('code')).toBeNull();
    expect(end.url.searchParams.get('error')).toBe('access_denied');
    expect(a.end.url.href.startsWith(w.idp.ssoUrl)).toBe(true);
  });

  it('a provider session is reused only from an address the tenant’s IP allowlist admits', async () => {
    const w = await world();
    const first = await configFor(await newApp());
    const second = await configFor(await newApp({ name: 'Second product' }));
    await signIn(first, w.browser, { login_hint: w.email });
    // The browser's address (203.0.113.10) is no longer admitted: the provider session alone gives no code.
    expect((await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: w.tenant.id }, body: { ipAllowlist: ['198.51.100.0/24'] } })).status).toBe(200);
    const refused = await authorize(second, w.browser, { login_hint: w.email });
    expect(refused.end.url.origin).toBe(APP_ORIGIN);
    expect(refused.end.url.searchParams.get('code')).toBeNull();
    expect(refused.end.url.searchParams.get('error')).toBe('access_denied');
    const silent = await authorize(first, w.browser, { prompt: 'none' });
    expect(silent.end.url.searchParams.get('code')).toBeNull();
    expect(silent.end.url.searchParams.get('error')).toBe('login_required');
  });

  it('a sign-in sent to another browser’s interaction (/sso?returnTo=…) does not finish it: no code for the attacker', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    // The attacker opens an application's sign-in in their own browser and learns its interaction.
    const attacker = new TestBrowser([w.idp], null);
    await authorize(config, attacker, { login_hint: w.email }, { stopAt: (u) => u.href.startsWith(w.idp.ssoUrl) });
    const uid = attacker.interactionUid()!;
    // The victim follows a link that signs them in at their IdP and returns to that interaction.
    const lure = `${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}&returnTo=${encodeURIComponent(`/oidc/interaction/${uid}/continue`)}`;
    await w.browser.go(lure);
    expect(w.browser.idpVisits).toBe(1);
    await expectNoCodeOnResume(attacker, uid, w.tenant.id);
  });

  it('an application sign-in’s request to the IdP, finished in another browser, finishes nothing: no code for either', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    // The attacker starts a sign-in and stops where their browser would go to the IdP.
    const attacker = new TestBrowser([w.idp], null);
    const { end: atIdp } = await authorize(config, attacker, { login_hint: w.email }, { stopAt: (u) => u.href.startsWith(w.idp.ssoUrl) });
    const uid = attacker.interactionUid()!;
    // The victim opens that IdP link and signs in there; their browser lacks the flow's cookie.
    const victim = await w.browser.go(atIdp.url);
    expect(w.browser.idpVisits).toBe(1);
    expect(victim.url.origin).not.toBe(APP_ORIGIN);
    await expectNoCodeOnResume(attacker, uid, w.tenant.id);
    const refused = await (await getDb()).select().from(auditEvents).where(and(eq(auditEvents.tenantId, w.tenant.id), eq(auditEvents.action, 'sso.login_failed')));
    expect(refused.map((e) => e.reason)).toEqual(['state_mismatch']);
  });

  it('the product sign-in goes from the authorization request straight to the IdP and from the SSO callback straight back to the application', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    await signIn(config, w.browser, { login_hint: w.email });
    expect(w.browser.visited.map((v) => v.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid'))).toEqual([
      'GET /oidc/auth',
      'POST /api/oauth/saml',
      'GET /api/sso/callback',
    ]);
    // The provider's resume ran inside the callback: its cookie is cleared, and the provider session set.
    const names = [...w.browser.jar.values()].map((c) => c.name);
    expect(names).toContain('oidc_session');
    expect(names).not.toContain('oidc_resume');
  });

  it('a resume inside the callback that fails after reading the grant (a returning browser, prompt=login) still leaves the browser a hop that works', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    await signIn(config, w.browser, { login_hint: w.email });
    const provider = (await oidcProvider()) as unknown as { AuthorizationCode: { prototype: { save(...args: unknown[]): Promise<string> } } };
    const spy = vi.spyOn(provider.AuthorizationCode.prototype, 'save').mockImplementationOnce(async function () {
      throw new Error('the code could not be made');
    });
    let again;
    try {
      again = await authorize(config, w.browser, { login_hint: w.email, prompt: 'login' });
    } finally {
      spy.mockRestore();
    }
    expect(again.end.url.origin, again.end.html?.slice(0, 300)).toBe(APP_ORIGIN);
    expect(w.browser.visited.slice(-2).map((v) => v.replace(/\/auth\/[^/]+/, '/auth/:uid'))).toEqual(['GET /api/sso/callback', 'GET /oidc/auth/:uid']);
    const tokens = await oc.authorizationCodeGrant(config, again.end.url, { pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce });
    expect(tokens.claims()?.email).toBe(w.email);
  });

  it('the callback resumes only the authorization its flow started: a sign-in sent on to another browser’s resume path does not finish it', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    // The attacker's browser starts an authorization request and stops at the IdP.
    const attacker = new TestBrowser([w.idp], { email: `mallory@${w.domain}`, attributes: {} });
    await authorize(config, attacker, { login_hint: `mallory@${w.domain}` }, { stopAt: (next) => next.href.startsWith(w.idp.ssoUrl) });
    const uid = attacker.interactionUid();
    expect(uid).toBeTruthy();
    // The victim signs in through /sso with that authorization's resume path as the landing page.
    const end = await w.browser.go(`${issuer().origin}/sso?email=${encodeURIComponent(w.email)}&returnTo=${encodeURIComponent(`/oidc/auth/${uid}`)}`);
    // The victim's browser went there itself, without the authorization's cookie: refused, no code.
    expect(w.browser.visited.at(-1)).toBe(`GET /oidc/auth/${uid}`);
    expect(end.url.origin).not.toBe(APP_ORIGIN);
    expect(end.status).toBe(400);
  });

  it('a resume inside the callback that fails (its writes are not stored) leaves the browser the hop to the provider, which resumes then', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    // The resume's writes (the code with its grant and session) fail the first time only.
    const failing = await firstInsertFails('test_resume_fail', 'oidc_payloads', `new.model = 'AuthorizationCode'`);
    try {
      const r = await signIn(config, w.browser, { login_hint: w.email });
      expect(r.claims.email).toBe(w.email);
      expect(await failing.tries()).toBe(2);
      expect(w.browser.visited.map((v) => v.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid'))).toEqual([
        'GET /oidc/auth',
        'POST /api/oauth/saml',
        'GET /api/sso/callback',
        'GET /oidc/auth/:uid',
      ]);
    } finally {
      await failing.drop();
    }
  });

  it('the authorization request stores its interaction with the SSO flow it starts, all or nothing: a flow that cannot be stored leaves neither, and a clear 503', async () => {
    const w = await world();
    const app = await newApp();
    const config = await configFor(app);
    const db = await dbHandle();
    const interactions = async () =>
      Number((await db.query<{ n: string }>(`select count(*) as n from oidc_payloads where model = 'Interaction' and payload->'params'->>'client_id' = $1`, [app.clientId]))[0].n);
    // The SSO flow's insert fails the first time only.
    const failing = await firstInsertFails('test_flow_fail', 'sso_flows', `new.tenant_id = '${w.tenant.id}'`);
    try {
      const first = await portalFetch(await authorizationUrl(config, w.email), { headers: { accept: 'text/html' } });
      expect(first.status).toBe(503);
      expect(await first.text()).toContain('could not be started');
      // Nothing stored, nothing set, nothing kept by a cache; try again shortly.
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(first.headers.get('retry-after')).toBe('5');
      expect(first.headers.getSetCookie()).toEqual([]);
      expect(await interactions()).toBe(0);
      // Tried again, it signs in.
      const r = await signIn(config, w.browser, { login_hint: w.email });
      expect(r.claims.email).toBe(w.email);
    } finally {
      await failing.drop();
    }
  });

  it('the authorization endpoint in another letter case or with a trailing slash (the provider routes both so) still starts the sign-in at once', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    for (const path of ['/oidc/AUTH', '/oidc/auth/']) {
      const url = await authorizationUrl(config, w.email);
      url.pathname = path;
      const res = await portalFetch(url, { headers: { accept: 'text/html' } });
      expect(res.headers.get('location'), path).toContain(w.idp.ssoUrl);
    }
  });

  it('a HEAD of the authorization request, or a GET that is not a navigation, starts no sign-in (the interaction begins only for a page)', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const url = await authorizationUrl(config, w.email);
    const flowsOf = async () => (await (await getDb()).select().from(ssoFlows).where(eq(ssoFlows.tenantId, w.tenant.id))).length;
    const head = await portalFetch(url, { method: 'HEAD', headers: { accept: 'text/html' } });
    expect(head.status).toBe(303);
    expect(head.headers.get('location')).toMatch(/^\/oidc\/interaction\/[^/]+$/);
    expect(await flowsOf()).toBe(0);
    // Nor does a GET that is not a page the browser navigates to (an image or script of another site).
    const image = await portalFetch(url, { headers: { accept: 'image/*', 'sec-fetch-dest': 'image', 'sec-fetch-site': 'cross-site' } });
    expect(image.headers.get('location')).toMatch(/^\/oidc\/interaction\/[^/]+$/);
    expect(await flowsOf()).toBe(0);
    // A GET does start it.
    const get = await portalFetch(url, { headers: { accept: 'text/html' } });
    expect(get.headers.get('location')?.startsWith(w.idp.ssoUrl)).toBe(true);
    expect(await flowsOf()).toBe(1);
  });

  it('a fault in the first step of the sign-in (not the database’s) leaves the provider’s redirect to the interaction’s page, which runs it again', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    failNextTarget = true;
    const a = await authorize(config, w.browser, { login_hint: w.email });
    expect(failNextTarget).toBe(false); // the fault happened
    expect(w.browser.visited.map((v) => v.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid'))).toEqual([
      'GET /oidc/auth',
      'GET /oidc/interaction/:uid',
      'POST /api/oauth/saml',
      'GET /api/sso/callback',
    ]);
    expect(a.end.url.origin).toBe(APP_ORIGIN);
    expect(a.end.url.searchParams.get('code')).toBeTruthy();
  });

  it('a login_hint no organisation uses: the person types their work email and signs in with it (the address they typed decides)', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const a = await authorize(config, w.browser, { login_hint: 'ada@unknown-hint.example' });
    expect(a.end.status).toBe(400);
    expect(a.end.html).toContain('No organisation uses this email domain');
    const typed = await w.browser.submit(a.end, { email: w.email });
    expect(typed.url.origin).toBe(APP_ORIGIN);
    const tokens = await oc.authorizationCodeGrant(config, typed.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(tokens.claims()).toMatchObject({ email: w.email, org_id: w.tenant.id });
  });

  it('email_verified is true only for an address on a domain the tenant owns', async () => {
    const w = await world();
    const partner = `partner-${Date.now().toString(36)}.example.org`;
    await setProvisioning(SYSTEM, w.tenant.id, { strategy: 'jit', allowedDomains: [partner] });
    const config = await configFor(await newApp());
    const own = await signIn(config, w.browser, { login_hint: w.email });
    expect(own.claims.email_verified).toBe(true);
    const outsider = new TestBrowser([w.idp], { email: `guest@${partner}` });
    const r = await signIn(config, outsider, { organization: w.tenant.slug });
    expect(r.claims).toMatchObject({ email: `guest@${partner}`, email_verified: false });
  });

  it('a login_hint that is the signed-in person’s own email uses their portal session, whatever its domain (a partner address; the start page’s links send it)', async () => {
    const w = await world();
    const partner = `partner-${Date.now().toString(36)}.example.org`;
    await setProvisioning(SYSTEM, w.tenant.id, { strategy: 'jit', allowedDomains: [partner] });
    const guest = `guest@${partner}`;
    const browser = new TestBrowser([w.idp], { email: guest });
    expect((await browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    const visits = browser.idpVisits;
    const config = await configFor(await newApp());
    const a = await authorize(config, browser, { login_hint: guest.toUpperCase() });
    expect(a.end.url.origin).toBe(APP_ORIGIN);
    const tokens = await oc.authorizationCodeGrant(config, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce });
    expect(tokens.claims()).toMatchObject({ email: guest, org_id: w.tenant.id });
    expect(browser.idpVisits).toBe(visits);
    // Another address of that domain is still nobody's.
    const other = await authorize(config, browser, { login_hint: `someone@${partner}` });
    expect(other.end.status).toBe(400);
  });

  it('a session whose person’s email was moved onto a domain another tenant owns does not answer for that address: the owner’s IdP does', async () => {
    const w = await world();
    const owner = await samlTenant();
    const browser = new TestBrowser([w.idp], { email: `mallory@${w.domain}` });
    expect((await browser.go(`${env().PUBLIC_URL}/sso?tenant=${w.tenant.slug}`)).url.pathname).toBe('/app');
    // As a SCIM change may (no domain rule applies to what a directory sets).
    const victim = `victim@${owner.domain}`;
    await (await getDb()).update(users).set({ email: victim }).where(and(eq(users.tenantId, w.tenant.id), eq(users.email, `mallory@${w.domain}`)));
    const config = await configFor(await newApp());
    const a = await authorize(config, browser, { login_hint: victim }, { stopAt: (next) => next.href.startsWith(owner.idp.ssoUrl) });
    expect(a.end.url.href.startsWith(owner.idp.ssoUrl)).toBe(true);
  });

  it('a suspended user’s access token reads inactive at once, and a refusal names only a known reason', async () => {
    const w = await world();
    const config = await configFor(await newApp());
    const r = await signIn(config, w.browser, { login_hint: w.email });
    await call(suspendRoute.POST, { method: 'POST', params: { tenantId: w.tenant.id, userId: r.claims.sub } });
    expect((await oc.tokenIntrospection(config, r.tokens.access_token)).active).toBe(false);
    await expect(oc.fetchUserInfo(config, r.tokens.access_token, r.claims.sub)).rejects.toBeTruthy();
    // A crafted error on the way back is not passed on as free text.
    const a = await authorize(config, new TestBrowser([w.idp], { email: w.email }), { login_hint: w.email, prompt: 'login' }).catch(() => null);
    void a;
  });
});

describe('back-channel delivery', () => {
  it('an application whose endpoint never answers does not hold up the others’ logout tokens', async () => {
    // Accepts the connection and never answers (a host that is down behind a load balancer).
    const stuck = http.createServer(() => {});
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    try {
      const hanging = await newApp({ name: 'Hanging product', backchannelLogoutUri: `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/bc` });
      const healthy = await newApp({ name: 'Healthy product', backchannelLogoutUri: receiverUrl });
      const db = await getDb();
      const due = (applicationId: string, n: number, ageMs: number) =>
        Array.from({ length: n }, (_, i) => ({ id: `bcl_t${applicationId}${i}`, applicationId, accountId: 'usr_gone', sid: `sid-${applicationId}-${i}`, reason: 'session_ended', nextAttemptAt: new Date(Date.now() - ageMs) }));
      // The hanging application's deliveries are due first, more of them than a run takes.
      await db.insert(backchannelDeliveries).values([...due(hanging.id, 60, 60_000), ...due(healthy.id, 1, 1_000)]);
      const before = logoutTokens.length;
      let finished = false;
      const run = deliverDue().then((c) => ((finished = true), c));
      await vi.waitFor(() => expect(logoutTokens.slice(before).map((t) => jose.decodeJwt(t).aud)).toContain(healthy.clientId), { timeout: 5_000, interval: 50 });
      // Delivered while the hanging one was still being tried.
      expect(finished).toBe(false);
      const counts = await run;
      expect(counts.delivered).toBe(1);
      // The hanging application's others wait for the next run rather than holding this one.
      const rows = await db.select().from(backchannelDeliveries).where(eq(backchannelDeliveries.applicationId, hanging.id));
      expect(rows.filter((r) => r.attempts > 0)).toHaveLength(1);
      expect(rows.every((r) => r.status === 'pending')).toBe(true);
    } finally {
      stuck.closeAllConnections();
      stuck.close();
    }
  }, 40_000);
});

describe('applications API', () => {
  it('creates (secret shown once), lists without secrets, updates, rotates the secret and deletes, each audited', async () => {
    const created = await newApp({ name: 'Billing' });
    expect(created.clientSecret).toMatch(/^cs_/);
    const list = await call(appsRoute.GET, { path: '/api/v1/applications?limit=200' });
    expect(list.status).toBe(200);
    const listed = list.body.data.find((a: { id: string }) => a.id === created.id);
    expect(listed).toMatchObject({ name: 'Billing', type: 'confidential', tenantIds: null, backchannelLogoutUri: null });
    expect(JSON.stringify(list.body)).not.toContain(created.clientSecret);
    const patched = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: created.id }, body: { redirectUris: ['http://127.0.0.1:4000/cb', `${APP_ORIGIN}/callback`] } });
    expect(patched.status).toBe(200);
    expect(patched.body.redirectUris).toEqual(['http://127.0.0.1:4000/cb', `${APP_ORIGIN}/callback`]);
    // The type may change: made public it has no secret, and no secret to rotate.
    const toPublic = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: created.id }, body: { type: 'public' } });
    expect(toPublic.body.type).toBe('public');
    expect((await call(rotateRoute.POST, { method: 'POST', params: { applicationId: created.id } })).status).toBe(400);
    // Made confidential again: a new secret, shown once in the PATCH's answer (as on POST).
    const toConfidential = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: created.id }, body: { type: 'confidential' } });
    expect(toConfidential.body).toMatchObject({ type: 'confidential', clientSecret: expect.stringMatching(/^cs_/) });
    const viaPatch = await configFor({ clientId: created.clientId, clientSecret: toConfidential.body.clientSecret });
    const first = await world();
    await signIn(viaPatch, first.browser, { login_hint: first.email });
    expect((await call(appRoute.GET, { params: { applicationId: created.id } })).body.clientSecret).toBeUndefined();
    const rotated = await call(rotateRoute.POST, { method: 'POST', params: { applicationId: created.id } });
    expect(rotated.status).toBe(200);
    const oldConfig = await configFor(created);
    const w = await world();
    const a = await authorize(oldConfig, w.browser, { login_hint: w.email });
    const refused = await oc.authorizationCodeGrant(oldConfig, a.end.url, { pkceCodeVerifier: a.verifier, expectedState: a.state, expectedNonce: a.nonce }).catch((e) => e);
    expect(refused.error ?? refused.cause?.[0]?.parameters?.error).toBe('invalid_client');
    const newConfig = await configFor({ clientId: created.clientId, clientSecret: rotated.body.clientSecret });
    const r = await signIn(newConfig, w.browser, {});
    expect((await call(appRoute.DELETE, { method: 'DELETE', params: { applicationId: created.id } })).status).toBe(204);
    expect((await call(appRoute.GET, { params: { applicationId: created.id } })).status).toBe(404);
    await expect(oc.refreshTokenGrant(newConfig, r.tokens.refresh_token!)).rejects.toBeTruthy();
    const events = await (await getDb()).select().from(auditEvents).where(eq(auditEvents.targetId, created.id));
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['application.created', 'application.updated', 'application.secret_rotated', 'application.deleted']));
    // A secret's change is shown by fingerprints, never the secret.
    const rotation = events.find((e) => e.action === 'application.secret_rotated')!;
    expect(rotation.details).toMatchObject({ before: { secret: expect.stringMatching(/^sha256:[0-9a-f]{8}…$/) }, after: { secret: expect.stringMatching(/^sha256:[0-9a-f]{8}…$/) } });
    expect((rotation.details as { before: { secret: string } }).before.secret).not.toBe((rotation.details as { after: { secret: string } }).after.secret);
    expect(JSON.stringify(events)).not.toContain(rotated.body.clientSecret);
    expect(JSON.stringify(events)).not.toContain(toConfidential.body.clientSecret);
  });

  it('an application made public loses every code and token it holds: what needed its secret is not left usable without one', async () => {
    const app = await newApp({ name: 'Going public' });
    const confidential = await configFor(app);
    const w = await world();
    const r = await signIn(confidential, w.browser, { login_hint: w.email });
    // A code issued without PKCE (allowed for a confidential application), not yet redeemed.
    const pending = await authorize(confidential, w.browser, {}, { pkce: false });
    const code = pending.end.url.searchParams.get('code')!;
    expect(code).toBeTruthy();
    // And a sign-in begun without PKCE, at the IdP when the type changes.
    const other = new TestBrowser([w.idp], { email: w.email, attributes: { groups: ['Engineering'] } });
    const begun = await authorize(confidential, other, { login_hint: w.email }, { pkce: false, stopAt: (next) => next.href.startsWith(w.idp.ssoUrl) });
    expect(begun.end.url.href.startsWith(w.idp.ssoUrl)).toBe(true);
    const made = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: app.id }, body: { type: 'public' } });
    expect(made.status).toBe(200);
    // Someone who stole the refresh token or the code, now without any secret to show.
    const bare = await configFor({ clientId: app.clientId }, 'none');
    await expect(oc.refreshTokenGrant(bare, r.tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const redeemed = await portalFetch(bare.serverMetadata().token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${APP_ORIGIN}/callback`, client_id: app.clientId }).toString(),
    });
    expect(redeemed.status).toBe(400);
    expect(await redeemed.json()).toMatchObject({ error: 'invalid_grant' });
    // The sign-in begun before finishes at no code.
    const finished = await other.go(begun.end.url);
    expect(finished.url.searchParams.get('code')).toBeNull();
    const [event] = await (await getDb())
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, app.id), eq(auditEvents.action, 'application.updated')));
    expect(event.details).toMatchObject({ before: { type: 'confidential' }, after: { type: 'public' }, revokedRecords: expect.any(Number) });
    // Made public, it signs its users in again as any public application does (PKCE).
    expect((await signIn(bare, w.browser, {})).claims.sub).toBe(r.claims.sub);
  });

  it('an application with an initiate-login URI is offered on the start page of the tenants it admits; the link names the issuer and the person (OIDC Core 4), and its sign-in needs no IdP', async () => {
    const w = await world();
    const other = await samlTenant();
    const offered = await newApp({ name: 'Offered', initiateLoginUri: `${APP_ORIGIN}/login?from=portal` });
    expect(offered.initiateLoginUri).toBe(`${APP_ORIGIN}/login?from=portal`);
    const elsewhere = await newApp({ name: 'Elsewhere', initiateLoginUri: `${APP_ORIGIN}/start`, tenantIds: [other.tenant.id] });
    const none = await newApp({ name: 'Not offered' });
    expect(none.initiateLoginUri).toBeNull();
    const ids = async (tenantId: string) => (await launchableApplications(tenantId)).map((a) => a.id);
    expect(await ids(w.tenant.id)).toContain(offered.id);
    expect(await ids(w.tenant.id)).not.toContain(elsewhere.id);
    expect(await ids(w.tenant.id)).not.toContain(none.id);
    expect(await ids(other.tenant.id)).toEqual(expect.arrayContaining([offered.id, elsewhere.id]));

    const link = new URL(initiateLoginLink(offered.initiateLoginUri!, w.email));
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_ORIGIN}/login`);
    expect(Object.fromEntries(link.searchParams)).toEqual({ from: 'portal', iss: env().PUBLIC_URL, login_hint: w.email });
    // The application's own query is kept as written.
    expect(new URL(initiateLoginLink(`${APP_ORIGIN}/start?next=/x&flag`, w.email)).search).toBe(`?next=/x&flag&iss=${encodeURIComponent(env().PUBLIC_URL)}&login_hint=${encodeURIComponent(w.email)}`);
    // What the application then does: a code flow with that login_hint, which a browser signed in to the portal finishes without its IdP.
    const config = await configFor(offered);
    await signIn(config, w.browser, { login_hint: w.email });
    const visits = w.browser.idpVisits;
    const again = await authorize(config, w.browser, { login_hint: link.searchParams.get('login_hint')! });
    expect(again.end.url.searchParams.get('code')).toBeTruthy();
    expect(w.browser.idpVisits).toBe(visits);

    const cleared = await call(appRoute.PATCH, { method: 'PATCH', params: { applicationId: offered.id }, body: { initiateLoginUri: null } });
    expect(cleared.body.initiateLoginUri).toBeNull();
    expect(await ids(w.tenant.id)).not.toContain(offered.id);
    const [event] = await (await getDb())
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, offered.id), eq(auditEvents.action, 'application.updated')));
    expect(event.details).toMatchObject({ before: { initiateLoginUri: `${APP_ORIGIN}/login?from=portal` }, after: { initiateLoginUri: null } });
  });

  it.each([
    ['plain http on a public host', { redirectUris: ['http://app.example.test/cb'] }, 'redirectUris.0'],
    ['a javascript: URI', { redirectUris: ['javascript:alert(1)'] }, 'redirectUris.0'],
    ['a fragment', { redirectUris: ['https://app.example.test/cb#x'] }, 'redirectUris.0'],
    ['no redirect URI', { redirectUris: [] }, 'redirectUris'],
    ['a bad post-logout URI', { postLogoutRedirectUris: ['ftp://x.example/bye'] }, 'postLogoutRedirectUris.0'],
    ['a bad back-channel URI', { backchannelLogoutUri: 'http://10.0.0.1/logout' }, 'backchannelLogoutUri'],
    ['a bad initiate-login URI', { initiateLoginUri: 'http://app.example.test/login' }, 'initiateLoginUri'],
    ['an unknown tenant', { tenantIds: ['tnt_nope'] }, 'tenantIds.0'],
    ['an unknown type', { type: 'spa' }, 'type'],
  ])('refuses %s with a 400 naming the field (and a bad URI itself), storing nothing', async (_n, body, path) => {
    const before = (await call(appsRoute.GET, { path: '/api/v1/applications?limit=200' })).body.data.length;
    const res = await call(appsRoute.POST, { method: 'POST', body: { name: 'Bad', redirectUris: [`${APP_ORIGIN}/callback`], ...body } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const b = body as { redirectUris?: string[]; postLogoutRedirectUris?: string[]; backchannelLogoutUri?: string; initiateLoginUri?: string };
    const uri = [b.redirectUris, b.postLogoutRedirectUris, [b.backchannelLogoutUri], [b.initiateLoginUri]].flat().find((u) => typeof u === 'string');
    if (uri) expect(JSON.stringify(res.body)).toContain(uri);
    expect((await call(appsRoute.GET, { path: '/api/v1/applications?limit=200' })).body.data.length).toBe(before);
  });
});
