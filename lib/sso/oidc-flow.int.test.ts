// The test OpenID provider runs on http://localhost: the portal fetches its discovery document
// only when private/http URLs are allowed. Set before anything reads the (cached) environment.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from '@/e2e/idp/oidc-idp';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, sessions, users } from '@/lib/db/schema';
import { createConnection } from '@/lib/dal/connections';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { createTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';
import { handleCallback } from './flow';
import { handleOidcRedirect } from './flow';
import { sp } from './sp';
import { startSsoFromRequest } from './start';

const meta = { ip: '203.0.113.10', userAgent: 'vitest' };
const CLIENT_ID = 'portal-oidc-test';
const CLIENT_SECRET = 'portal-oidc-test-secret-0123456789';

// One provider for the file; each test has its own tenant (email domain) and users.
const idpUsers: OidcTestUser[] = [];
let idp: OidcIdp;

beforeAll(async () => {
  idp = await startOidcIdp({
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [sp().oidcRedirectUrl] }],
    users: idpUsers,
  });
});
afterAll(() => idp?.close());

async function setup() {
  const domain = uniqueDomain('oidc');
  const tenant = await createTenant(SYSTEM, { name: `OIDC ${domain}`, domains: [domain] });
  const connection = await createConnection(SYSTEM, tenant.id, {
    type: 'oidc',
    discoveryUrl: idp.discoveryUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  return { tenant, connection, domain };
}

function addUser(u: OidcTestUser): OidcTestUser {
  idpUsers.push(u);
  return u;
}

/** /sso?email= → the provider's authorization endpoint, with the portal's flow cookie. */
async function begin(email: string) {
  const res = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}&returnTo=/app?tab=me`));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { location, cookie };
}

/**
 * A whole sign-in as a browser makes it: /sso → the provider (login as `email`) → the portal's
 * OIDC redirect handler → the callback, with or without the flow cookie.
 */
async function signIn(email: string, opts: { withCookie?: boolean; meta?: typeof meta } = {}) {
  const b = await begin(email);
  expect(b.location.origin).toBe(idp.issuer);
  const back = await signInWithHttpClient(b.location, email);
  expect(back.origin + back.pathname).toBe(sp().oidcRedirectUrl);
  const redirect = await handleOidcRedirect(back, meta);
  if (redirect.status !== 303) return { redirect, callback: null, authorizeUrl: b.location };
  const callbackUrl = new URL(redirect.headers.get('location')!);
  const callback = await handleCallback(callbackUrl, opts.withCookie === false ? null : b.cookie, opts.meta ?? meta);
  return { redirect, callback, callbackUrl, cookie: b.cookie, authorizeUrl: b.location };
}

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}

describe('SP-initiated OIDC sign-in with JIT provisioning', () => {
  it('keeps the issuer from discovery and sends the browser to the provider with PKCE and a nonce', async () => {
    const { connection, domain } = await setup();
    expect(connection).toMatchObject({ type: 'oidc', idp: { issuer: idp.issuer } });
    const { location, cookie } = await begin(`probe@${domain}`);
    expect(location.pathname).toBe(new URL((await (await fetch(idp.discoveryUrl)).json()).authorization_endpoint).pathname);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: sp().oidcRedirectUrl,
      code_challenge_method: 'S256',
    });
    // openid email profile: what the provider needs to release names and groups.
    expect(location.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(cookie).toMatch(/^portal_sso_flow=/);
  });

  it('creates the user with names, groups and mapped roles; a second sign-in updates them', async () => {
    const { tenant, connection, domain } = await setup();
    await putRoleMapping(SYSTEM, tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'member' });
    const email = `ada@${domain}`;
    const person = addUser({ sub: `sub-ada-${domain}`, email, given_name: 'Ada', family_name: 'Lovelace', groups: ['Engineering', 'Everyone'] });

    const first = await signIn(email);
    expect(first.redirect.status).toBe(303);
    expect(first.callbackUrl!.origin + first.callbackUrl!.pathname).toBe(sp().callbackUrl);
    expect(first.callback!.status).toBe(303);
    expect(first.callback!.headers.get('location')).toBe('/app?tab=me');
    const cookies = first.callback!.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('authjs.session-token='))).toMatch(/HttpOnly; SameSite=Lax/);

    let [user] = await usersOf(tenant.id);
    expect(user).toMatchObject({
      email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      source: 'jit',
      roles: ['editor'],
      groups: ['Engineering', 'Everyone'],
      status: 'active',
    });
    expect(user.attributes).toMatchObject({ sub: [person.sub], email: [email], email_verified: ['true'] });
    expect(user.lastLoginAt).not.toBeNull();
    const db = await getDb();
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, user.id))).toHaveLength(1);
    const login = (await eventsOf(tenant.id)).find((e) => e.action === 'sso.login_succeeded');
    expect(login).toMatchObject({ outcome: 'success', targetType: 'connection', targetId: connection.id, targetLabel: idp.issuer });
    expect(login!.details).toMatchObject({ userId: user.id, subject: person.sub, created: true });

    // The provider moves the user out of Engineering and renames them.
    person.groups = ['Everyone'];
    person.given_name = 'Augusta';
    const second = await signIn(email);
    expect(second.callback!.status).toBe(303);
    const all = await usersOf(tenant.id);
    expect(all).toHaveLength(1);
    [user] = all;
    expect(user).toMatchObject({ firstName: 'Augusta', roles: ['member'], groups: ['Everyone'] });
    const actions = (await eventsOf(tenant.id)).map((e) => e.action);
    expect(actions).toEqual([
      'tenant.created', 'connection.created', 'role_mapping.updated',
      'user.created', 'sso.login_succeeded',
      'user.updated', 'user.roles_changed', 'sso.login_succeeded',
    ]);
  });

  it('refuses a callback from another browser (no flow cookie) and creates no user', async () => {
    const { tenant, domain } = await setup();
    const email = `eve@${domain}`;
    addUser({ sub: `sub-eve-${domain}`, email, given_name: 'Eve' });
    // A user agent of its own finds this attempt's audit event (the callback cannot tell the
    // tenant without the cookie, so the event may carry none).
    const probe = { ...meta, userAgent: `vitest no-cookie ${domain}` };
    const r = await signIn(email, { withCookie: false, meta: probe });
    expect(r.redirect.status).toBe(303);
    expect(r.callback!.status).toBe(400);
    expect(await r.callback!.text()).toContain('state_mismatch');
    expect(r.callback!.headers.getSetCookie().some((c) => c.startsWith('authjs.session-token='))).toBe(false);
    expect(await usersOf(tenant.id)).toHaveLength(0);
    const db = await getDb();
    const failed = await db.select().from(auditEvents).where(eq(auditEvents.userAgent, probe.userAgent));
    expect(failed.map((e) => [e.action, e.outcome, e.reason])).toEqual([['sso.login_failed', 'failure', 'state_mismatch']]);
    // The flow record names the tenant, so the refusal is in that tenant's audit log.
    expect(failed[0].tenantId).toBe(tenant.id);
  });

  it('refuses a reused code and a replayed provider redirect', async () => {
    const { tenant, domain } = await setup();
    const email = `bob@${domain}`;
    addUser({ sub: `sub-bob-${domain}`, email });
    const b = await begin(email);
    const back = await signInWithHttpClient(b.location, email);
    const redirect = await handleOidcRedirect(back, meta);
    expect(redirect.status).toBe(303);
    const callbackUrl = new URL(redirect.headers.get('location')!);
    expect((await handleCallback(callbackUrl, b.cookie, meta)).status).toBe(303);
    expect((await handleCallback(callbackUrl, b.cookie, meta)).status).toBeGreaterThanOrEqual(400);
    // The provider's redirect again: the library's session for this state is gone.
    expect((await handleOidcRedirect(back, meta)).status).toBeGreaterThanOrEqual(400);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('turns a cancelled sign-in at the provider into an error page, with no user', async () => {
    const { tenant, domain } = await setup();
    const email = `quitter@${domain}`;
    addUser({ sub: `sub-quitter-${domain}`, email });
    const b = await begin(email);
    const back = await signInWithHttpClient(b.location, null);
    expect(back.searchParams.get('error')).toBe('access_denied');
    const redirect = await handleOidcRedirect(back, meta);
    // The library forwards the provider's error to the callback, which refuses it.
    let final = redirect;
    if (redirect.status === 303) {
      const callbackUrl = new URL(redirect.headers.get('location')!);
      expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
      expect(callbackUrl.searchParams.get('code')).toBeNull();
      final = await handleCallback(callbackUrl, b.cookie, meta);
    }
    expect(final.status).toBe(400);
    expect(await final.text()).toContain('idp_error');
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });
});
