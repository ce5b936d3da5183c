// The test OpenID provider runs on http://localhost: the portal fetches its discovery document
// only when private/http URLs are allowed. Set before anything reads the (cached) environment.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from '@/e2e/idp/oidc-idp';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, sessions, userIdentities, users } from '@/lib/db/schema';
import { createConnection, updateConnection } from '@/lib/dal/connections';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { createTenant } from '@/lib/dal/tenants';
import { newId } from '@/lib/ids';
import { uniqueDomain } from '@/lib/testing/api';
import { handleCallback } from '../flow';
import { handleOidcRedirect } from '../flow';
import { sp } from '../sp';
import { startSsoFromRequest } from '../start';

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
 * A whole sign-in as a browser makes it: /sso → the provider (login as `email`, or as the account
 * `sub` when two share an email) → the portal's OIDC redirect handler → the callback, with or
 * without the flow cookie (Path=/api: a browser sends it to both).
 */
async function signIn(who: string | { sub: string; email: string }, opts: { withCookie?: boolean; meta?: typeof meta } = {}) {
  const email = typeof who === 'string' ? who : who.email;
  const b = await begin(email);
  expect(b.location.origin).toBe(idp.issuer);
  const back = await signInWithHttpClient(b.location, typeof who === 'string' ? who : { sub: who.sub });
  expect(back.origin + back.pathname).toBe(sp().oidcRedirectUrl);
  const cookie = opts.withCookie === false ? null : b.cookie;
  const redirect = await handleOidcRedirect(back, opts.meta ?? meta, cookie);
  if (redirect.status !== 303) return { redirect, callback: null, authorizeUrl: b.location, back, cookie: b.cookie };
  const callbackUrl = new URL(redirect.headers.get('location')!);
  const callback = await handleCallback(callbackUrl, cookie, opts.meta ?? meta);
  return { redirect, callback, callbackUrl, cookie: b.cookie, authorizeUrl: b.location, back };
}

/** Where a sign-in ended: the callback's answer, or the redirect handler's when it refused there. */
const finalOf = (r: { redirect: Response; callback: Response | null }) => r.callback ?? r.redirect;

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}

async function subjectsOf(userId: string) {
  const db = await getDb();
  return (await db.select().from(userIdentities).where(eq(userIdentities.userId, userId))).map((i) => i.subject).sort();
}

async function failuresOf(tenantId: string) {
  return (await eventsOf(tenantId)).filter((e) => e.action === 'sso.login_failed');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    // Refused at the OIDC redirect, before the code is exchanged (see mixup.int.test.ts).
    expect(r.redirect.status).toBe(400);
    expect(r.callback).toBeNull();
    expect(await r.redirect.text()).toContain('state_mismatch');
    expect(r.redirect.headers.getSetCookie().some((c) => c.startsWith('authjs.session-token='))).toBe(false);
    expect(await usersOf(tenant.id)).toHaveLength(0);
    const db = await getDb();
    const failed = await db.select().from(auditEvents).where(eq(auditEvents.userAgent, probe.userAgent));
    expect(failed.map((e) => [e.action, e.outcome, e.reason])).toEqual([['sso.login_failed', 'failure', 'state_mismatch']]);
    // The flow record names the tenant, so the refusal is in that tenant's audit log.
    expect(failed[0].tenantId).toBe(tenant.id);
  });

  it('refuses the portal code of another sign-in with this browser’s state (login CSRF): the code is bound to its own flow', async () => {
    const { tenant, domain } = await setup();
    const attacker = `mal@${domain}`;
    const victim = `vic@${domain}`;
    addUser({ sub: `sub-mal-${domain}`, email: attacker });
    addUser({ sub: `sub-vic-${domain}`, email: victim });
    // The attacker signs in up to the portal's own code, in their own browser.
    const a = await begin(attacker);
    const redirect = await handleOidcRedirect(await signInWithHttpClient(a.location, attacker), meta, a.cookie);
    const attackerCode = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
    // The victim's browser has a flow of its own; the attacker's code arrives with the victim's state.
    const v = await begin(victim);
    const victimState = v.location.searchParams.get('state')!;
    const forged = new URL(sp().callbackUrl);
    forged.searchParams.set('code', attackerCode);
    forged.searchParams.set('state', victimState);
    const r = await handleCallback(forged, v.cookie, meta);
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('state_mismatch');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('authjs.session-token='))).toBe(false);
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });

  it('refuses a reused code and a replayed provider redirect', async () => {
    const { tenant, domain } = await setup();
    const email = `bob@${domain}`;
    addUser({ sub: `sub-bob-${domain}`, email });
    const b = await begin(email);
    const back = await signInWithHttpClient(b.location, email);
    const redirect = await handleOidcRedirect(back, meta, b.cookie);
    expect(redirect.status).toBe(303);
    const callbackUrl = new URL(redirect.headers.get('location')!);
    expect((await handleCallback(callbackUrl, b.cookie, meta)).status).toBe(303);
    expect((await handleCallback(callbackUrl, b.cookie, meta)).status).toBeGreaterThanOrEqual(400);
    // The provider's redirect again: the flow of this state is gone.
    expect((await handleOidcRedirect(back, meta, b.cookie)).status).toBeGreaterThanOrEqual(400);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('turns a cancelled sign-in at the provider into an error page, with no user', async () => {
    const { tenant, domain } = await setup();
    const email = `quitter@${domain}`;
    addUser({ sub: `sub-quitter-${domain}`, email });
    const b = await begin(email);
    const back = await signInWithHttpClient(b.location, null);
    expect(back.searchParams.get('error')).toBe('access_denied');
    const redirect = await handleOidcRedirect(back, meta, b.cookie);
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

// Findings of the outside review of the portal as OIDC relying party: each test plays the attack.
describe('OIDC relying party under attack', () => {
  it('(a) refuses an unverified email of another account (another sub): the existing user is not taken over', async () => {
    const { tenant, domain } = await setup();
    const email = `victim@${domain}`;
    const victimAccount = addUser({ sub: `sub-victim-${domain}`, email, given_name: 'Victor' });
    expect((await signIn(email)).callback!.status).toBe(303);
    const [victim] = await usersOf(tenant.id);

    // Another account at the same provider claims the victim's address, unverified.
    const attacker = addUser({ sub: `sub-attacker-${domain}`, email, given_name: 'Mallory', email_verified: false });
    const r = finalOf(await signIn({ sub: attacker.sub, email }));
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('email_not_verified');
    expect(r.headers.getSetCookie().some((c) => c.startsWith('authjs.session-token='))).toBe(false);
    expect(await usersOf(tenant.id)).toEqual([victim]);
    expect(await subjectsOf(victim.id)).toEqual([victimAccount.sub]);
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['email_not_verified']);
  });

  it('(a) no email_verified claim (as Entra ID sends) is refused by default; a connection that trusts unverified emails signs such a person in', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `entra@${domain}`;
    addUser({ sub: `sub-entra-${domain}`, email, email_verified: null });
    const refused = finalOf(await signIn(email));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('email_not_verified');
    expect(await usersOf(tenant.id)).toHaveLength(0);

    const updated = await updateConnection(SYSTEM, tenant.id, connection.id, { trustUnverifiedEmail: true });
    expect(updated.trustUnverifiedEmail).toBe(true);
    expect((await signIn(email)).callback!.status).toBe(303); // a new user
    expect((await signIn(email)).callback!.status).toBe(303); // the identity it is linked to
    const [user] = await usersOf(tenant.id);
    expect(await subjectsOf(user.id)).toEqual([`sub-entra-${domain}`]);
  });

  it('(a) even on a connection that trusts unverified emails, an unverified email never links a new sub to an existing user', async () => {
    const { tenant, connection, domain } = await setup();
    await updateConnection(SYSTEM, tenant.id, connection.id, { trustUnverifiedEmail: true });
    const email = `boss@${domain}`;
    // The user exists without an identity on this connection (provisioned by the directory, or signed in through another connection).
    const db = await getDb();
    const [boss] = await db.insert(users).values({ id: newId('usr'), tenantId: tenant.id, email, firstName: 'Boss', source: 'jit' }).returning();
    const unverified = addUser({ sub: `sub-boss-unverified-${domain}`, email, given_name: 'Mallory', email_verified: false });
    const r = finalOf(await signIn({ sub: unverified.sub, email }));
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('email_not_verified');
    expect(await subjectsOf(boss.id)).toEqual([]);
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['email_not_verified']);
    // The same address, verified by the provider, links its account to the user.
    const verified = addUser({ sub: `sub-boss-verified-${domain}`, email, given_name: 'Boss' });
    expect((await signIn({ sub: verified.sub, email })).callback!.status).toBe(303);
    expect(await subjectsOf(boss.id)).toEqual([verified.sub]);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('(a) refuses to link a second account at the provider (another sub, even with a verified email) to a user who has one on this connection', async () => {
    const { tenant, domain } = await setup();
    const email = `twice@${domain}`;
    const first = addUser({ sub: `sub-twice-${domain}`, email });
    expect((await signIn(email)).callback!.status).toBe(303);
    const [user] = await usersOf(tenant.id);
    const second = addUser({ sub: `sub-twice-2-${domain}`, email, given_name: 'Impostor' });
    const r = finalOf(await signIn({ sub: second.sub, email }));
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('identity_conflict');
    expect(await usersOf(tenant.id)).toEqual([user]);
    expect(await subjectsOf(user.id)).toEqual([first.sub]);
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['identity_conflict']);
  });

  it('(b) refuses an ID token signed with a foreign key under the provider’s kid', async () => {
    const { tenant, domain } = await setup();
    const email = `forged@${domain}`;
    addUser({ sub: `sub-forged-${domain}`, email, tokenAttack: 'foreign_key' });
    const r = finalOf(await signIn(email));
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('id_token_invalid');
    expect(await usersOf(tenant.id)).toHaveLength(0);
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['id_token_invalid']);
  });

  it('(b) refuses an ID token issued in the future (iat an hour ahead, signed by the provider)', async () => {
    const { tenant, domain } = await setup();
    const email = `future@${domain}`;
    addUser({ sub: `sub-future-${domain}`, email, tokenAttack: 'future_iat' });
    const r = finalOf(await signIn(email));
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('id_token_invalid');
    expect(await usersOf(tenant.id)).toHaveLength(0);
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['id_token_invalid']);
  });

  it('(c) gives up on a token endpoint that never answers, at the deadline (idp_timeout, 504)', async () => {
    const { tenant, domain } = await setup();
    const email = `slow@${domain}`;
    addUser({ sub: `sub-slow-${domain}`, email, tokenAttack: 'hang' });
    const b = await begin(email);
    const back = await signInWithHttpClient(b.location, email);
    const t0 = Date.now();
    // The deadline is 10 s in production; injected here so the test takes a second.
    const res = await Promise.race([handleOidcRedirect(back, meta, b.cookie, { timeoutMs: 1000 }), sleep(8000).then(() => null)]);
    expect(res, 'still waiting for the token endpoint after 8 s').not.toBeNull();
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(res!.status).toBe(504);
    expect(await res!.text()).toContain('idp_timeout');
    expect((await failuresOf(tenant.id)).map((e) => e.reason)).toEqual(['idp_timeout']);
  });

  it('(d) refuses a token endpoint whose host resolves to a private address at sign-in (DNS rebinding) when private URLs are not allowed', async () => {
    // A provider on a public-looking name; the trap on 127.0.0.1 counts the connections it gets.
    let connects = 0;
    const host = `op-${randomBytes(4).toString('hex')}.rebind.example`;
    const trap = http.createServer((req, res) => {
      const base = `https://${host}:${(trap.address() as AddressInfo).port}`;
      res.setHeader('content-type', 'application/json');
      // The issuer is where the document is (discovery binds it); the endpoints are on the name.
      res.end(JSON.stringify({ issuer: `http://localhost:${(trap.address() as AddressInfo).port}`, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`, userinfo_endpoint: `${base}/me`, jwks_uri: `${base}/jwks` }));
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const domain = uniqueDomain('rebind');
    const tenant = await createTenant(SYSTEM, { name: `Rebind ${domain}`, domains: [domain] });
    const connection = await createConnection(SYSTEM, tenant.id, {
      type: 'oidc',
      discoveryUrl: `http://localhost:${(trap.address() as AddressInfo).port}/.well-known/openid-configuration`,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    trap.on('connection', () => connects++);
    const b = await begin(`rebound@${domain}`);
    expect(b.location.hostname).toBe(host);
    const back = new URL(`${sp().oidcRedirectUrl}?code=any-code&state=${b.location.searchParams.get('state')}`);

    // Sign-in now runs as in production; the name now answers 127.0.0.1.
    const realLookup = dns.lookup;
    const lookup = vi.spyOn(dns, 'lookup').mockImplementation(((name: string, options: unknown, callback: (...a: unknown[]) => void) =>
      name === host
        ? (options as { all?: boolean }).all
          ? callback(null, [{ address: '127.0.0.1', family: 4 }])
          : callback(null, '127.0.0.1', 4)
        : (realLookup as (...a: unknown[]) => void)(name, options, callback)) as never);
    process.env.ALLOW_PRIVATE_URLS = 'false';
    (globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;
    try {
      const res = await handleOidcRedirect(back, meta, b.cookie);
      expect(res.status).toBe(502);
      expect(await res.text()).toContain('connection_misconfigured');
      expect(lookup.mock.calls.some((c) => c[0] === host)).toBe(true); // refused by the address, not by the name
      expect(connects).toBe(0);
      expect((await failuresOf(tenant.id)).map((e) => [e.reason, e.targetId])).toEqual([['connection_misconfigured', connection.id]]);
    } finally {
      lookup.mockRestore();
      process.env.ALLOW_PRIVATE_URLS = 'true';
      (globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;
      trap.closeAllConnections();
      await new Promise((r) => trap.close(r));
    }
  });

  it('(e) records a forged state and a replayed provider redirect as sso.login_failed in the tenant of the browser’s flow', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `replay@${domain}`;
    addUser({ sub: `sub-replay-${domain}`, email });
    // A state this portal never issued, in a browser that started a sign-in here.
    const b = await begin(email);
    const forged = await handleOidcRedirect(new URL(`${sp().oidcRedirectUrl}?code=forged-code&state=forged-state`), meta, b.cookie);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('state_mismatch');
    // The provider's redirect of a finished sign-in, again.
    const done = await signIn(email);
    expect(done.callback!.status).toBe(303);
    const again = await handleOidcRedirect(done.back, meta, done.cookie);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('replayed');
    expect((await failuresOf(tenant.id)).map((e) => [e.reason, e.targetId])).toEqual([
      ['state_mismatch', connection.id],
      ['replayed', connection.id],
    ]);
  });

  it('(e) refuses the provider redirect of another browser’s flow (login CSRF) before exchanging its code, in that flow’s tenant', async () => {
    const a = await setup();
    const b = await setup();
    const attackerEmail = `mallory@${a.domain}`;
    addUser({ sub: `sub-mallory-${a.domain}`, email: attackerEmail });
    const attacker = await begin(attackerEmail);
    const planted = await signInWithHttpClient(attacker.location, attackerEmail); // never used by the attacker
    const victim = await begin(`victim@${b.domain}`); // the victim's browser has its own flow
    const res = await handleOidcRedirect(planted, meta, victim.cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('state_mismatch');
    expect((await failuresOf(a.tenant.id)).map((e) => e.reason)).toEqual(['state_mismatch']);
    expect(await usersOf(a.tenant.id)).toHaveLength(0);
    expect(await usersOf(b.tenant.id)).toHaveLength(0);
  });
});
