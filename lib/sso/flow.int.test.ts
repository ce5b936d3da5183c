import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { attackResponses } from '@/e2e/idp/attacks';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, seenAssertions, sessions, ssoFlows, users } from '@/lib/db/schema';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { createConnection, updateConnection } from '@/lib/dal/connections';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { createTenant, setProvisioning } from '@/lib/dal/tenants';
import { putSignInPolicy } from '@/lib/policies/store';
import { uniqueDomain } from '@/lib/testing/api';
import { beginSignIn, meta, postToAcs, samlSignIn, samlTenant } from '@/lib/testing/sso';
import { handleCallback, sweepSsoState } from './flow';
import { sp } from './sp';
import { startSsoFromRequest } from './start';

const setup = samlTenant;
const begin = beginSignIn;
const post = postToAcs;
const signIn = samlSignIn;

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}

describe('SP-initiated SAML sign-in with JIT provisioning', () => {
  it('creates the user with roles, starts a session, lands on returnTo; a second sign-in updates', async () => {
    const { tenant, idp, domain } = await setup();
    await putRoleMapping(SYSTEM, tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'member' });
    const email = `ada@${domain}`;
    const first = await signIn(idp, email, { groups: ['Engineering', 'Everyone'] });
    expect(first.acs.status).toBe(303);
    expect(first.callback!.status).toBe(303);
    expect(first.callback!.headers.get('location')).toBe('/app?tab=me');
    const cookies = first.callback!.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('authjs.session-token='))).toMatch(/HttpOnly; SameSite=Lax/);

    let [user] = await usersOf(tenant.id);
    expect(user).toMatchObject({ email, firstName: 'Ada', source: 'jit', roles: ['editor'], groups: ['Engineering', 'Everyone'], status: 'active' });
    expect(user.lastLoginAt).not.toBeNull();
    const db = await getDb();
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, user.id))).toHaveLength(1);

    const second = await signIn(idp, email, { groups: ['Everyone'], firstName: 'Augusta' });
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

  it('refuses a replayed response and a reused code', async () => {
    const { tenant, idp, domain } = await setup();
    const r = await signIn(idp, `bob@${domain}`);
    expect(r.callback!.status).toBe(303);
    const again = await post(r.samlResponse!, r.relayState!);
    expect(again.status).toBeGreaterThanOrEqual(400);
    const reused = await handleCallback(r.callbackUrl!, r.cookie!, meta);
    expect(reused.status).toBeGreaterThanOrEqual(400);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('refuses a callback from another browser (no flow cookie)', async () => {
    const { tenant, idp, domain } = await setup();
    const b = await begin(`eve@${domain}`);
    const req = idp.parseAuthnRequest(b.samlRequest);
    const acs = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: `eve@${domain}`, attributes: { email: `eve@${domain}` } }), b.relayState);
    expect(acs.status).toBe(303);
    const cb = await handleCallback(new URL(acs.headers.get('location')!), null, meta);
    expect(cb.status).toBe(400);
    expect(await cb.text()).toContain('state_mismatch');
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });

  it('many simultaneous first sign-ins of one person make one user', async () => {
    const { tenant, idp, domain } = await setup();
    const email = `crowd@${domain}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => signIn(idp, email)));
    expect(results.map((r) => r.callback?.status)).toEqual(Array(8).fill(303));
    expect(await usersOf(tenant.id)).toHaveLength(1);
    const created = (await eventsOf(tenant.id)).filter((e) => e.action === 'user.created');
    expect(created).toHaveLength(1);
  });

  it('enforces the strategies and domains', async () => {
    const scim = await setup({ strategy: 'scim' });
    const r1 = await signIn(scim.idp, `new@${scim.domain}`);
    expect(r1.callback!.status).toBe(403);
    expect(await r1.callback!.text()).toContain('user_not_provisioned');
    expect(await usersOf(scim.tenant.id)).toHaveLength(0);

    // Home-realm discovery finds no tenant for an unknown domain or slug: a 404 page that says so.
    for (const q of ['email=mallory@unknown-company.example.org', 'tenant=no-such-tenant']) {
      const r = await startSsoFromRequest(new Request(`http://localhost/sso?${q}`));
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('unknown_tenant');
    }
    // A personal address is told so, with what was typed and a way back that keeps it.
    const personal = await startSsoFromRequest(new Request('http://localhost/sso?email=Grace.Hopper%40Gmail.com'));
    expect(personal.status).toBe(404);
    const page = await personal.text();
    expect(page).toContain('personal_email');
    expect(page).toContain('That is a personal email address');
    expect(page).toContain('<strong data-typed>grace.hopper@gmail.com</strong>');
    expect(page).toContain('href="/signin?email=grace.hopper%40gmail.com"');
    // What was typed is text, never markup.
    const hostile = await (await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent('"><script>x()</script>@nowhere.example')}`))).text();
    expect(hostile).not.toContain('<script>x()');

    const self = await setup({ strategy: 'self_registration', allowedDomains: ['partner.example.org'] });
    const r3 = await signIn(self.idp, `own@${self.domain}`);
    expect(r3.callback!.status).toBe(403);
    expect(await r3.callback!.text()).toContain('domain_not_allowed');
    const failed = (await eventsOf(self.tenant.id)).filter((e) => e.action === 'sso.login_failed');
    expect(failed.map((e) => e.reason)).toEqual(['domain_not_allowed']);
  });

  it('refuses a suspended user', async () => {
    const { tenant, idp, domain } = await setup();
    const email = `sus@${domain}`;
    expect((await signIn(idp, email)).callback!.status).toBe(303);
    const db = await getDb();
    await db.update(users).set({ status: 'suspended' }).where(and(eq(users.tenantId, tenant.id), eq(users.email, email)));
    const r = await signIn(idp, email);
    expect(r.callback!.status).toBe(403);
    expect(await r.callback!.text()).toContain('user_suspended');
  });
});

describe('refused sign-ins in the audit log', () => {
  // Anyone can send refused requests: each costs the append-only log at most one event a minute
  // per tenant, reason and address (every one is still counted in the metrics).
  const failuresFrom = async (tenantId: string | null, ip: string) => {
    const db = await getDb();
    return db
      .select()
      .from(auditEvents)
      .where(and(tenantId ? eq(auditEvents.tenantId, tenantId) : sql`${auditEvents.tenantId} is null`, eq(auditEvents.action, 'sso.login_failed'), eq(auditEvents.ip, ip)));
  };

  it('an anonymous flood adds one event a minute per tenant, reason and address', async () => {
    const { tenant } = await setup();
    await putSignInPolicy(SYSTEM, tenant.id, { ipAllowlist: ['198.51.100.0/24'] });
    const from = (ip: string) => startSsoFromRequest(new Request(`http://localhost/sso?tenant=${tenant.slug}`, { headers: { 'x-forwarded-for': ip, 'user-agent': 'u'.repeat(600) } }));
    for (let i = 0; i < 5; i++) expect((await from('192.0.2.77')).status).toBe(403);
    expect((await from('192.0.2.78')).status).toBe(403);
    const a = await failuresFrom(tenant.id, '192.0.2.77');
    expect(a.map((e) => e.reason)).toEqual(['ip_not_allowed']);
    expect(a[0].details).toMatchObject({ note: expect.stringContaining('60 s') });
    expect(await failuresFrom(tenant.id, '192.0.2.78')).toHaveLength(1);

    // Simultaneous refusals from one address: still one event.
    expect((await Promise.all(Array.from({ length: 20 }, () => from('192.0.2.81')))).every((r) => r.status === 403)).toBe(true);
    expect(await failuresFrom(tenant.id, '192.0.2.81')).toHaveLength(1);
    // One customer of a provider may hold a whole IPv6 /48: its addresses count as one source.
    for (let i = 1; i <= 5; i++) expect((await from(`2001:db8:1:${i}::${i}`)).status).toBe(403);
    expect((await from('2001:db8:2::1')).status).toBe(403);
    const v6 = (await getDb()).select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenant.id), sql`${auditEvents.ip} like '2001:db8:%'`));
    expect((await v6).map((e) => e.ip).sort()).toEqual(['2001:db8:1:1::1', '2001:db8:2::1']);

    // Responses no tenant can be told from go to the operator's log, under the same rule.
    for (let i = 0; i < 5; i++) expect((await post('not a response', '', { ...meta, ip: '192.0.2.79' })).status).toBe(400);
    expect(await failuresFrom(null, '192.0.2.79')).toHaveLength(1);
  });

  it('a refusal of a person the IdP vouched for is recorded for each person', async () => {
    const { tenant, idp, domain } = await setup();
    const db = await getDb();
    for (const who of ['s1', 's2']) {
      expect((await signIn(idp, `${who}@${domain}`)).callback!.status).toBe(303);
      await db.update(users).set({ status: 'suspended' }).where(and(eq(users.tenantId, tenant.id), eq(users.email, `${who}@${domain}`)));
    }
    for (const who of ['s1', 's1', 's2']) expect((await signIn(idp, `${who}@${domain}`)).callback!.status).toBe(403);
    const failed = await failuresFrom(tenant.id, meta.ip);
    expect(failed.map((e) => (e.details as { email?: string }).email).sort()).toEqual([`s1@${domain}`, `s2@${domain}`]);
  });
});

describe('attack corpus at the ACS', () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    ctx = await setup();
  });

  it('rejects every attack with a reason, writing no user and an sso.login_failed event', async () => {
    const email = `victim@${ctx.domain}`;
    const probe = attackResponses(ctx.idp, { acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: 'x', nameId: email, attributes: { email } });
    const outcomes: { name: string; status: number; reason: string | null; acceptable: readonly string[] }[] = [];
    for (let i = 0; i < probe.length; i++) {
      const b = await begin(email);
      const req = ctx.idp.parseAuthnRequest(b.samlRequest);
      const attacks = attackResponses(ctx.idp, { acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: email, attributes: { email } });
      const attack = attacks[i];
      const before = (await eventsOf(ctx.tenant.id)).length;
      // Each from its own address: one address's refusals for one reason are recorded once a minute.
      const res = await post(attack.samlResponse, b.relayState, { ...meta, ip: `198.18.0.${i + 1}` });
      let status = res.status;
      if (status === 303) {
        // Whatever passed the ACS must still not sign anyone in.
        status = (await handleCallback(new URL(res.headers.get('location')!), b.cookie, meta)).status;
      }
      const events = (await eventsOf(ctx.tenant.id)).slice(before);
      const failed = events.find((e) => e.action === 'sso.login_failed');
      outcomes.push({ name: attack.name, status, reason: failed?.reason ?? null, acceptable: attack.acceptableReasons });
    }
    for (const o of outcomes) {
      expect(o.status, o.name).toBeGreaterThanOrEqual(400);
      expect(o.status, o.name).toBeLessThan(500);
      expect(o.acceptable, `${o.name} rejected as ${o.reason}`).toContain(o.reason);
    }
    expect(await usersOf(ctx.tenant.id)).toHaveLength(0);
  }, 120_000);

  it('refuses an unsolicited response unless the connection allows IdP-initiated sign-in', async () => {
    const email = `idp-init@${ctx.domain}`;
    const res = await post(ctx.idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } }), '');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('unsolicited_not_allowed');
  });
});

describe('IdP-initiated sign-in (per-connection switch)', () => {
  it('accepts an unsolicited response once when the connection allows it', async () => {
    const domain = uniqueDomain('idpinit');
    const tenant = await createTenant(SYSTEM, { name: `IdP-init ${domain}`, domains: [domain] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    const conn = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml(), allowIdpInitiated: true });
    expect(conn.allowIdpInitiated).toBe(true);
    const email = `unsolicited@${domain}`;
    const samlResponse = idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } });
    const acs = await post(samlResponse, 'some-idp-relay-state');
    expect(acs.status).toBe(303);
    const callbackUrl = new URL(acs.headers.get('location')!);
    expect(callbackUrl.searchParams.get('state')).toBeNull();
    const cb = await handleCallback(callbackUrl, null, meta);
    expect(cb.status).toBe(303);
    expect(cb.headers.get('location')).toBe('/app');
    expect(await usersOf(tenant.id)).toHaveLength(1);
    // The same response again is a replay.
    const again = await post(samlResponse, 'some-idp-relay-state');
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('replayed');
    // An unsolicited response may not carry an InResponseTo.
    const withIrt = idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, inResponseTo: '_foreign', attributes: { email } });
    expect((await post(withIrt, '')).status).toBe(400);
  });
});

describe('one IdP entity ID shared by two tenants', () => {
  it('signs each person into the tenant whose sign-in they started; an unsolicited response goes to the tenant of its signed email domain, else is refused in each tenant', async () => {
    const idp = new TestSamlIdp({ entityId: `https://shared-idp-${Date.now()}.example.com/metadata`, ssoUrl: 'https://shared-idp.example.com/sso' });
    const tenants: { tenant: Awaited<ReturnType<typeof createTenant>>; domain: string; connection: Awaited<ReturnType<typeof createConnection>> }[] = [];
    for (const name of ['a', 'b']) {
      const domain = uniqueDomain(`shared-${name}`);
      const tenant = await createTenant(SYSTEM, { name: `Shared ${domain}`, domains: [domain] });
      const connection = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml(), allowIdpInitiated: true });
      tenants.push({ tenant, domain, connection });
    }
    for (const { tenant, domain } of tenants) {
      const { callback } = await signIn(idp, `lin@${domain}`);
      expect(callback!.status).toBe(303);
      expect((await usersOf(tenant.id)).map((u) => u.email)).toEqual([`lin@${domain}`]);
    }
    const unsolicited = (email: string, opts: { nameId?: string } = {}) =>
      post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: opts.nameId ?? email, attributes: { email } }), '');
    const failures = async (i: number) => (await eventsOf(tenants[i].tenant.id)).filter((e) => e.action === 'sso.login_failed').map((e) => e.reason);

    // Both accept unsolicited responses: the signed assertion's email domain picks the tenant.
    for (const i of [0, 1]) {
      const acs = await unsolicited(`ann@${tenants[i].domain}`);
      expect(acs.status).toBe(303);
      expect((await handleCallback(new URL(acs.headers.get('location')!), null, meta)).status).toBe(303);
      expect((await usersOf(tenants[i].tenant.id)).map((u) => u.email).sort()).toEqual([`ann@${tenants[i].domain}`, `lin@${tenants[i].domain}`]);
    }
    // A domain neither tenant owns: refused, and each tenant's log shows it.
    const stranger = await unsolicited('eve@elsewhere.example.org');
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain('unknown_connection');
    expect(await failures(0)).toEqual(['unknown_connection']);
    expect(await failures(1)).toEqual(['unknown_connection']);
    // A forged response (another key, the shared public entity ID) picks none and writes nowhere.
    const forger = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: 'https://shared-idp.example.com/sso' });
    const forged = await post(forger.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: `ann@${tenants[0].domain}`, attributes: { email: `ann@${tenants[0].domain}` } }), '');
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('signature_invalid');
    expect(await failures(0)).toEqual(['unknown_connection']);
    // A genuine response every tenant's checks refuse: refused with that reason, in each.
    const foreign = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: 'https://another-sp.example.com', nameId: `ann@${tenants[0].domain}` }), '');
    expect(foreign.status).toBe(400);
    expect(await failures(0)).toEqual(['unknown_connection', 'audience_mismatch']);
    expect(await failures(1)).toEqual(['unknown_connection', 'audience_mismatch']);
    // A RelayState of ours whose flow is gone is an unknown request, not an unsolicited response.
    const stale = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: `ann@${tenants[0].domain}` }), 'portal_sso_gone');
    expect(stale.status).toBe(400);
    expect(await stale.text()).toContain('unknown_request');

    // Once only tenant b accepts unsolicited responses, they go to b, whichever domain the person has.
    await updateConnection(SYSTEM, tenants[0].tenant.id, tenants[0].connection.id, { allowIdpInitiated: false });
    const other = `kim@${tenants[1].domain}`;
    const acs = await unsolicited(other);
    expect(acs.status).toBe(303);
    expect((await handleCallback(new URL(acs.headers.get('location')!), null, meta)).status).toBe(303);
    expect((await usersOf(tenants[1].tenant.id)).map((u) => u.email).sort()).toEqual([`ann@${tenants[1].domain}`, other, `lin@${tenants[1].domain}`]);
    expect(await usersOf(tenants[0].tenant.id)).toHaveLength(2);

    // Neither accepts them: refused as not allowed, in both tenants.
    await updateConnection(SYSTEM, tenants[1].tenant.id, tenants[1].connection.id, { allowIdpInitiated: false });
    expect((await unsolicited(`zoe@${tenants[1].domain}`)).status).toBe(403);
    expect((await failures(0)).at(-1)).toBe('unsolicited_not_allowed');
    expect((await failures(1)).at(-1)).toBe('unsolicited_not_allowed');
  });
});

describe('one IdP entity ID copied by another tenant', () => {
  it('an unsolicited response goes to the one connection open to it only when its tenant owns the email domain', async () => {
    const domain = uniqueDomain('copied');
    const victim = await createTenant(SYSTEM, { name: `Victim ${domain}`, domains: [domain] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    await createConnection(SYSTEM, victim.id, { type: 'saml', metadataXml: idp.metadataXml() });
    // Another tenant's admin copies the IdP's public metadata and accepts IdP-initiated sign-in.
    const attacker = await createTenant(SYSTEM, { name: `Copier ${domain}`, domains: [uniqueDomain('copier')] });
    await createConnection(SYSTEM, attacker.id, { type: 'saml', metadataXml: idp.metadataXml(), allowIdpInitiated: true });
    const email = `ceo@${domain}`;
    const acs = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } }), '');
    expect(acs.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(await eventsOf(attacker.id))).not.toContain(email);
    expect(await usersOf(attacker.id)).toHaveLength(0);
  });

  it('a copy does not take a partner domain’s IdP-initiated sign-in from the tenant that allows it', async () => {
    const domain = uniqueDomain('partnered');
    const partner = uniqueDomain('partner');
    const victim = await createTenant(SYSTEM, { name: `Partnered ${domain}`, domains: [domain] });
    await setProvisioning(SYSTEM, victim.id, { strategy: 'jit', allowedDomains: [partner] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    await createConnection(SYSTEM, victim.id, { type: 'saml', metadataXml: idp.metadataXml(), allowIdpInitiated: true });
    const copier = await createTenant(SYSTEM, { name: `Copier ${partner}`, domains: [uniqueDomain('copier2')] });
    const copy = await createConnection(SYSTEM, copier.id, { type: 'saml', metadataXml: idp.metadataXml() });
    const email = `contractor@${partner}`;
    const acs = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } }), '');
    expect(acs.status).toBe(303);
    expect((await handleCallback(new URL(acs.headers.get('location')!), null, meta)).status).toBe(303);
    expect((await usersOf(victim.id)).map((u) => u.email)).toEqual([email]);
    // Allowed by the copier too: nobody can tell, so it is refused.
    await setProvisioning(SYSTEM, copier.id, { strategy: 'jit', allowedDomains: [partner] });
    await updateConnection(SYSTEM, copier.id, copy.id, { status: 'active', force: true, allowIdpInitiated: true });
    const again = await post(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: `other@${partner}`, attributes: { email: `other@${partner}` } }), '');
    expect(again.status).toBeGreaterThanOrEqual(400);
  });
});

describe('one IdP entity ID, different certificates', () => {
  it('each tenant checks with its own certificate: a response goes to the tenant whose certificate signed it and owns the domain', async () => {
    const entityId = `https://multi-key-${Date.now()}.example.com/metadata`;
    const idps = [0, 1].map(() => new TestSamlIdp({ entityId, ssoUrl: 'https://multi-key.example.com/sso' }));
    const made: { tenantId: string; domain: string }[] = [];
    for (const idp of idps) {
      const domain = uniqueDomain('multikey');
      const tenant = await createTenant(SYSTEM, { name: `Multi ${domain}`, domains: [domain] });
      await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml(), allowIdpInitiated: true });
      made.push({ tenantId: tenant.id, domain });
    }
    const failures = async (i: number) => (await eventsOf(made[i].tenantId)).filter((e) => e.action === 'sso.login_failed').map((e) => e.reason);
    // Signed by tenant 1's IdP for a tenant-1 address: tenant 1.
    const email = `max@${made[1].domain}`;
    const ok = await post(idps[1].buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } }), '');
    expect(ok.status).toBe(303);
    expect((await handleCallback(new URL(ok.headers.get('location')!), null, meta)).status).toBe(303);
    expect((await usersOf(made[1].tenantId)).map((u) => u.email)).toEqual([email]);
    // Signed by tenant 0's IdP but claiming a tenant-1 address: tenant 1's certificate refuses it,
    // tenant 0 does not own the domain; refused in tenant 0 only (where the signature verified).
    const other = `eve@${made[1].domain}`;
    const crossed = await post(idps[0].buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: other, attributes: { email: other } }), '');
    expect(crossed.status).toBe(400);
    expect(await failures(0)).toEqual(['unknown_connection']);
    expect(await failures(1)).toEqual([]);
    expect(await usersOf(made[1].tenantId)).toHaveLength(1);
  });
});

describe('expired sign-in state', () => {
  it('is swept: flows past their expiry and assertion IDs that can no longer be replayed', async () => {
    const db = await getDb();
    const old = new Date(Date.now() - 2 * 3600_000);
    const key = `relay:test-${Date.now()}`;
    await db.insert(ssoFlows).values({ key, connectionId: 'conn_x', tenantId: 'tnt_x', requestId: 'r', expiresAt: old });
    await db.insert(seenAssertions).values({ assertionId: `_old-${Date.now()}`, connectionId: 'conn_x', expiresAt: old });
    const fresh = `_fresh-${Date.now()}`;
    await db.insert(seenAssertions).values({ assertionId: fresh, connectionId: 'conn_x', expiresAt: new Date(Date.now() + 60_000) });
    await sweepSsoState();
    expect(await db.select().from(ssoFlows).where(eq(ssoFlows.key, key))).toHaveLength(0);
    expect(await db.select().from(seenAssertions).where(sql`${seenAssertions.connectionId} = 'conn_x'`)).toEqual([
      expect.objectContaining({ assertionId: fresh }),
    ]);
  });

  it('is swept: sessions a day past their end (every sign-in adds one, and a read never reaches an ended one)', async () => {
    const db = await getDb();
    const t = Date.now();
    const row = (id: string, endsInMs: number) => ({ id: `ses_sweep_${id}_${t}`, kind: 'user' as const, subjectId: 'usr_sweep', tenantId: 'tnt_x', expiresAt: new Date(t + endsInMs) });
    await db.insert(sessions).values([row('live', 3600_000), row('ended', -3600_000), row('long', -25 * 3600_000)]);
    await sweepSsoState();
    const left = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.subjectId, 'usr_sweep'));
    expect(left.map((r) => r.id).sort()).toEqual([`ses_sweep_ended_${t}`, `ses_sweep_live_${t}`]);
  });
});
