import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as policyRoute from '@/app/api/v1/tenants/[tenantId]/sign-in-policy/route';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections, sessions, tenants, users } from '@/lib/db/schema';
import { call, uniqueDomain } from '@/lib/testing/api';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { beginSignIn, postToAcs, samlSignIn, samlTenant } from '@/lib/testing/sso';
import { sp } from '@/lib/sso/sp';
import { spMetadataXml } from '@/lib/sso/saml/sp-metadata';
import { startSsoFromRequest } from '@/lib/sso/start';
import { verify as cryptoVerify } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { SAML_MFA_REQUEST } from './mfa';
import { enforceSessionPolicy } from './sessions';
import { portalSessionOf, readPortalSession } from '@/lib/applications/portal-session';
import { sessionSetCookie } from '@/lib/auth/session-cookie';
import { putSignInPolicy } from './store';

const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const MULTI = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor';

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}
async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}
const setPolicy = (tenantId: string, body: unknown) => call(policyRoute.PUT, { method: 'PUT', params: { tenantId }, body });
const lastFailure = async (tenantId: string) => (await eventsOf(tenantId)).filter((e) => e.action === 'sso.login_failed').at(-1);

describe('sign-in policy API', () => {
  it('GET answers the default, PUT replaces it with one audit event carrying before/after', async () => {
    const { tenant } = await samlTenant();
    const got = await call(policyRoute.GET, { params: { tenantId: tenant.id } });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ requireMfa: false, ipAllowlist: [], consoleIpAllowlist: [], sessionMaxAgeSeconds: null, sessionIdleSeconds: null });

    const put = await setPolicy(tenant.id, { requireMfa: true, ipAllowlist: ['10.0.0.0/8', '2001:DB8::/32'], sessionMaxAgeSeconds: 3600, sessionIdleSeconds: 600 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ requireMfa: true, ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'], consoleIpAllowlist: [], sessionMaxAgeSeconds: 3600, sessionIdleSeconds: 600 });
    expect((await call(policyRoute.GET, { params: { tenantId: tenant.id } })).body).toEqual(put.body);
    const ev = (await eventsOf(tenant.id)).filter((e) => e.action === 'sign_in_policy.updated');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ outcome: 'success', actorType: 'operator', targetType: 'tenant', targetId: tenant.id });
    expect(ev[0].details).toEqual({
      before: { requireMfa: false, ipAllowlist: [], sessionMaxAgeSeconds: null, sessionIdleSeconds: null },
      after: { requireMfa: true, ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'], sessionMaxAgeSeconds: 3600, sessionIdleSeconds: 600 },
    });

    // The same policy again changes nothing and records nothing; an empty body turns it all off.
    await setPolicy(tenant.id, put.body);
    expect((await eventsOf(tenant.id)).filter((e) => e.action === 'sign_in_policy.updated')).toHaveLength(1);
    expect((await setPolicy(tenant.id, {})).body).toEqual(got.body);
    const db = await getDb();
    expect((await db.select({ p: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, tenant.id)))[0].p).toEqual({});
  });

  it.each([
    [{ ipAllowlist: ['10.0.0.0/8', '192.0.2.0/24', '10.0.0.300/8'] }, 'ipAllowlist.2'],
    [{ consoleIpAllowlist: ['10.1.0.0/8'] }, 'consoleIpAllowlist.0'],
    [{ sessionMaxAgeSeconds: 120 }, 'sessionMaxAgeSeconds'],
    [{ sessionIdleSeconds: 31 * 86400 }, 'sessionIdleSeconds'],
    [{ sessionMaxAgeSeconds: 600, sessionIdleSeconds: 900 }, 'sessionIdleSeconds'],
    [{ requireMfa: 'true' }, 'requireMfa'],
    [{ requireMFA: true }, 'requireMFA'],
  ])('bad input %j → 400 naming %s, nothing saved, nothing audited', async (body, path) => {
    const { tenant } = await samlTenant();
    await setPolicy(tenant.id, { requireMfa: true });
    const before = await eventsOf(tenant.id);
    const r = await setPolicy(tenant.id, { requireMfa: false, ...body });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await call(policyRoute.GET, { params: { tenantId: tenant.id } })).body.requireMfa).toBe(true);
    expect(await eventsOf(tenant.id)).toHaveLength(before.length);
  });

  it('an empty PUT body is refused, not read as "everything off"', async () => {
    const { tenant } = await samlTenant();
    await setPolicy(tenant.id, { requireMfa: true });
    const r = await call(policyRoute.PUT, { method: 'PUT', params: { tenantId: tenant.id } });
    expect(r.status).toBe(400);
    expect((await call(policyRoute.GET, { params: { tenantId: tenant.id } })).body.requireMfa).toBe(true);
  });

  it('unknown tenant → 404; no key → 401', async () => {
    expect((await call(policyRoute.GET, { params: { tenantId: 'tnt_nope' } })).status).toBe(404);
    expect((await setPolicy('tnt_nope', {})).status).toBe(404);
    expect((await call(policyRoute.GET, { params: { tenantId: 'tnt_nope' }, key: null })).status).toBe(401);
  });

  it('a tenant admin cannot save a console allowlist that shuts out their own address', async () => {
    const { tenant } = await samlTenant();
    const admin = { actor: { type: 'admin' as const, id: 'usr_admin', label: 'admin' }, ip: '203.0.113.50' };
    await expect(putSignInPolicy(admin, tenant.id, { consoleIpAllowlist: ['198.51.100.0/24'] }, { keepConsoleAccessFor: admin.ip })).rejects.toMatchObject({
      status: 400,
      code: 'would_lock_out',
      errors: [{ path: 'consoleIpAllowlist', message: expect.stringContaining('203.0.113.50') }],
    });
    await expect(putSignInPolicy(admin, tenant.id, { consoleIpAllowlist: ['198.51.100.0/24'] }, { keepConsoleAccessFor: null })).rejects.toMatchObject({ status: 400 });
    expect((await call(policyRoute.GET, { params: { tenantId: tenant.id } })).body.consoleIpAllowlist).toEqual([]);
    const ok = await putSignInPolicy(admin, tenant.id, { consoleIpAllowlist: ['198.51.100.0/24', '203.0.113.0/24'] }, { keepConsoleAccessFor: admin.ip });
    expect(ok.consoleIpAllowlist).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    // An operator (API) is not bound by it.
    expect((await setPolicy(tenant.id, { consoleIpAllowlist: ['198.51.100.0/24'] })).status).toBe(200);
  });
});

describe('IP allowlist for end-user sign-in', () => {
  it('refuses at /sso start: 403 page with the reason, sso.login_failed in the tenant, no user', async () => {
    const { tenant, domain } = await samlTenant();
    await setPolicy(tenant.id, { ipAllowlist: ['198.51.100.0/24'] });
    const res = await startSsoFromRequest(new Request(`http://localhost/sso?email=ada@${domain}`, { headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' } }));
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(html).toContain('ip_not_allowed');
    expect(html).toContain('only from its own networks');
    expect(await lastFailure(tenant.id)).toMatchObject({ outcome: 'failure', reason: 'ip_not_allowed', ip: '203.0.113.9' });
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });

  it('refuses at the ACS when the browser comes back from elsewhere', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await setPolicy(tenant.id, { ipAllowlist: ['198.51.100.0/24'] });
    const r = await samlSignIn(idp, `ada@${domain}`, {}, { ip: '198.51.100.7', acsIp: '203.0.113.9' });
    expect(r.acs.status).toBe(403);
    expect(await r.acs.text()).toContain('ip_not_allowed');
    expect(await lastFailure(tenant.id)).toMatchObject({ reason: 'ip_not_allowed', ip: '203.0.113.9' });
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });

  it('lets in an address of the list, also as IPv4-mapped IPv6', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await setPolicy(tenant.id, { ipAllowlist: ['198.51.100.0/24', '2001:db8::/32'] });
    expect((await samlSignIn(idp, `ada@${domain}`, {}, { ip: '198.51.100.7' })).callback?.status).toBe(303);
    expect((await samlSignIn(idp, `ada@${domain}`, {}, { ip: '::ffff:198.51.100.8' })).callback?.status).toBe(303);
    expect((await samlSignIn(idp, `ada@${domain}`, {}, { ip: '2001:db8:5::1' })).callback?.status).toBe(303);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });
});

/** The SP signing certificate as the SP metadata publishes it. */
async function spCertPem(): Promise<string> {
  const xml = await spMetadataXml();
  const b64 = /<(?:ds:)?X509Certificate>([^<]+)</.exec(xml)![1].replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

describe('MFA for SAML sign-in', () => {
  it('asks for MFA in a request signed with the SP key, refuses a password-only assertion, accepts an MFA one', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await setPolicy(tenant.id, { requireMfa: true });
    const email = `ada@${domain}`;

    const refused = await samlSignIn(idp, email, {}, { authnContextClassRef: PASSWORD });
    expect(refused.request.requestedAuthnContext).toEqual({ comparison: 'exact', classRefs: [...SAML_MFA_REQUEST] });
    // Signed by the key the SP metadata publishes, over the query string as the HTTP-Redirect
    // binding wants it (so over the deflated request with the new element), not inside the XML.
    expect(refused.request.xml).not.toContain('Signature');
    const query = refused.location.search.slice(1);
    const signed = query.slice(query.indexOf('SAMLRequest='), query.indexOf('&Signature='));
    expect(signed).toMatch(/^SAMLRequest=[^&]+&RelayState=[^&]+&SigAlg=http%3A%2F%2Fwww\.w3\.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256$/);
    const signature = Buffer.from(decodeURIComponent(/&Signature=([^&]+)/.exec(query)![1]), 'base64');
    expect(cryptoVerify('sha256', Buffer.from(signed), await spCertPem(), signature)).toBe(true);
    expect(cryptoVerify('sha256', Buffer.from(signed.replace('RelayState=', 'RelayState=x')), await spCertPem(), signature)).toBe(false);

    expect(refused.acs.status).toBe(403);
    const html = await refused.acs.text();
    expect(html).toContain('mfa_required');
    expect(html).toContain('multi-factor authentication');
    const failed = await lastFailure(tenant.id);
    expect(failed).toMatchObject({ reason: 'mfa_required', outcome: 'failure' });
    expect(failed!.details).toMatchObject({ authnContext: `AuthnContextClassRef ${PASSWORD}` });
    expect(await usersOf(tenant.id)).toHaveLength(0);

    const accepted = await samlSignIn(idp, email, {}, { authnContextClassRef: MULTI });
    expect(accepted.acs.status).toBe(303);
    expect(accepted.callback?.status).toBe(303);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('HTTP-POST binding: the auto-posting form carries the re-signed request, and the sign-in completes', async () => {
    const domain = uniqueDomain('post');
    const tenant = await createTenant(SYSTEM, { name: `POST ${domain}`, domains: [domain] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    const postOnly = idp.metadataXml().replace(/<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2\.0:bindings:HTTP-Redirect"[^>]*\/>/, '');
    expect(postOnly).not.toContain('HTTP-Redirect');
    await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: postOnly });
    await setPolicy(tenant.id, { requireMfa: true });
    const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=ada@${domain}`, { headers: { 'x-forwarded-for': '203.0.113.9' } }));
    expect(start.status).toBe(200);
    const html = await start.text();
    const samlRequest = /name="SAMLRequest" value="([^"]*)"/.exec(html)![1];
    const relayState = /name="RelayState" value="([^"]*)"/.exec(html)![1];
    const req = idp.parseAuthnRequest(samlRequest);
    expect(req.requestedAuthnContext?.classRefs).toEqual([...SAML_MFA_REQUEST]);
    // HTTP-POST: an enveloped signature by the SP key, covering the added element.
    const doc = new DOMParser().parseFromString(req.xml, 'text/xml');
    const v = new SignedXml({ publicCert: await spCertPem() });
    v.loadSignature(doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0] as never);
    expect(v.checkSignature(req.xml)).toBe(true);
    const acs = await postToAcs(
      idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: `ada@${domain}`, attributes: { email: `ada@${domain}` }, authnContextClassRef: MULTI }),
      relayState,
    );
    expect(acs.status).toBe(303);
  });

  it('accepts Entra ID’s authnmethodsreferences attribute and REFEDS MFA', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await setPolicy(tenant.id, { requireMfa: true });
    const entra = await samlSignIn(
      idp,
      `ada@${domain}`,
      { 'http://schemas.microsoft.com/claims/authnmethodsreferences': ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'http://schemas.microsoft.com/claims/multipleauthn'] },
      { authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password' },
    );
    expect(entra.callback?.status).toBe(303);
    expect((await samlSignIn(idp, `bob@${domain}`, {}, { authnContextClassRef: 'https://refeds.org/profile/mfa' })).callback?.status).toBe(303);
  });

  it('an IdP answering NoAuthnContext (it could not do the MFA asked for) is an mfa_required refusal', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await setPolicy(tenant.id, { requireMfa: true });
    const b = await beginSignIn(`ada@${domain}`);
    const req = idp.parseAuthnRequest(b.samlRequest);
    const res = await postToAcs(
      idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: `ada@${domain}`, statusCode: 'Responder', subStatusCode: 'NoAuthnContext', includeAssertion: false }),
      b.relayState,
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('mfa_required');
    expect(await lastFailure(tenant.id)).toMatchObject({ reason: 'mfa_required', details: { authnContext: 'status NoAuthnContext' } });
    // Without MFA required, the same answer is an ordinary non-success status.
    await setPolicy(tenant.id, {});
    const b2 = await beginSignIn(`ada@${domain}`);
    const req2 = idp.parseAuthnRequest(b2.samlRequest);
    const res2 = await postToAcs(
      idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req2.id, nameId: `ada@${domain}`, statusCode: 'Responder', subStatusCode: 'NoAuthnContext', includeAssertion: false }),
      b2.relayState,
    );
    expect(res2.status).toBe(400);
    expect(await lastFailure(tenant.id)).toMatchObject({ reason: 'status_not_success' });
  });

  it('the connection’s own setting overrides the tenant’s, both ways', async () => {
    const db = await getDb();
    const a = await samlTenant(); // tenant off, connection on
    await db.update(connections).set({ requireMfa: true }).where(eq(connections.id, a.connection.id));
    const r1 = await samlSignIn(a.idp, `ada@${a.domain}`, {}, { authnContextClassRef: PASSWORD });
    expect(r1.request.requestedAuthnContext?.classRefs).toEqual([...SAML_MFA_REQUEST]);
    expect(r1.acs.status).toBe(403);
    expect(await lastFailure(a.tenant.id)).toMatchObject({ reason: 'mfa_required' });

    const b = await samlTenant(); // tenant on, connection off
    await setPolicy(b.tenant.id, { requireMfa: true });
    await db.update(connections).set({ requireMfa: false }).where(eq(connections.id, b.connection.id));
    const r2 = await samlSignIn(b.idp, `ada@${b.domain}`, {}, { authnContextClassRef: PASSWORD });
    expect(r2.request.requestedAuthnContext).toBeUndefined();
    expect(r2.callback?.status).toBe(303);

    // null again: the tenant's policy applies
    await db.update(connections).set({ requireMfa: null }).where(eq(connections.id, b.connection.id));
    expect((await samlSignIn(b.idp, `bob@${b.domain}`, {}, { authnContextClassRef: PASSWORD })).acs.status).toBe(403);
  });

  it('is checked on the policy in force when the response arrives, and IdP-initiated responses too', async () => {
    const { tenant, idp, domain, connection } = await samlTenant();
    const b = await beginSignIn(`ada@${domain}`);
    const req = idp.parseAuthnRequest(b.samlRequest);
    expect(req.requestedAuthnContext).toBeUndefined();
    await setPolicy(tenant.id, { requireMfa: true }); // switched on while the user is at the IdP
    const res = await postToAcs(
      idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: `ada@${domain}`, attributes: { email: `ada@${domain}` } }),
      b.relayState,
    );
    expect(res.status).toBe(403);

    const db = await getDb();
    await db.update(connections).set({ allowIdpInitiated: true }).where(eq(connections.id, connection.id));
    const unsolicited = await postToAcs(idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: `ada@${domain}`, attributes: { email: `ada@${domain}` } }), '');
    expect(unsolicited.status).toBe(403);
    expect(await unsolicited.text()).toContain('mfa_required');
    expect(await usersOf(tenant.id)).toHaveLength(0);
  });
});

describe('session lifetime and idle timeout', () => {
  async function signedInSession() {
    const { tenant, idp, domain } = await samlTenant();
    const r = await samlSignIn(idp, `ada@${domain}`);
    expect(r.callback?.status).toBe(303);
    const [user] = await usersOf(tenant.id);
    const db = await getDb();
    const [row] = await db.select().from(sessions).where(eq(sessions.subjectId, user.id));
    return { tenant, row, db };
  }

  it('the OpenID Provider reading a portal session writes its use only while the policy admits it: a session the idle timeout ended is not revived', async () => {
    const { tenant, row, db } = await signedInSession();
    await setPolicy(tenant.id, { sessionIdleSeconds: 600 });
    const cookie = (await sessionSetCookie({ sub: row.subjectId, sid: row.id, kind: 'user' }, 3600)).split(';')[0];
    // Last used 20 minutes ago: over the idle timeout. The read leaves lastSeenAt as it was…
    const stale = new Date(Date.now() - 20 * 60_000);
    await db.update(sessions).set({ createdAt: new Date(stale.getTime() - 60_000), lastSeenAt: stale }).where(eq(sessions.id, row.id));
    await readPortalSession(row.id);
    let [now] = await db.select().from(sessions).where(eq(sessions.id, row.id));
    expect(now.lastSeenAt?.getTime()).toBe(stale.getTime());
    // …and the whole lookup refuses the session and ends it.
    expect(await portalSessionOf(cookie)).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.id, row.id))).toHaveLength(0);

    // A live session last used 5 minutes ago: the read is a use, written once.
    const other = await signedInSession();
    await setPolicy(other.tenant.id, { sessionIdleSeconds: 600 });
    const used = new Date(Date.now() - 5 * 60_000);
    await other.db.update(sessions).set({ createdAt: new Date(used.getTime() - 60_000), lastSeenAt: used }).where(eq(sessions.id, other.row.id));
    const otherCookie = (await sessionSetCookie({ sub: other.row.subjectId, sid: other.row.id, kind: 'user' }, 3600)).split(';')[0];
    expect((await portalSessionOf(otherCookie))?.sessionId).toBe(other.row.id);
    [now] = await db.select().from(sessions).where(eq(sessions.id, other.row.id));
    expect(now.lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it('idle: a session unused for longer than the idle timeout is deleted; use within it keeps it alive (lastSeenAt at most once a minute)', async () => {
    const { tenant, row, db } = await signedInSession();
    await setPolicy(tenant.id, { sessionIdleSeconds: 600 });
    const t0 = new Date(row.createdAt.getTime() + 1000);
    const exp1 = await enforceSessionPolicy(row, t0);
    // idle deadline: the last write + idle + the minute a request may go unwritten
    expect(exp1?.getTime()).toBe(t0.getTime() + 660_000);
    let [now] = await db.select().from(sessions).where(eq(sessions.id, row.id));
    expect(now.lastSeenAt?.getTime()).toBe(t0.getTime());
    // 30 s later: no new write
    await enforceSessionPolicy(now, new Date(t0.getTime() + 30_000));
    [now] = await db.select().from(sessions).where(eq(sessions.id, row.id));
    expect(now.lastSeenAt?.getTime()).toBe(t0.getTime());
    // 9 minutes later: still live, written again
    const t1 = new Date(t0.getTime() + 540_000);
    expect(await enforceSessionPolicy(now, t1)).not.toBeNull();
    [now] = await db.select().from(sessions).where(eq(sessions.id, row.id));
    expect(now.lastSeenAt?.getTime()).toBe(t1.getTime());
    // then 11 minutes of nothing (idle + the write interval): over
    expect(await enforceSessionPolicy(now, new Date(t1.getTime() + 660_000))).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.id, row.id))).toHaveLength(0);
    // One event, written by whichever request deleted the row: a second look at the old row adds none.
    expect(await enforceSessionPolicy(now, new Date(t1.getTime() + 700_000))).toBeNull();
    const ended = (await eventsOf(tenant.id)).filter((e) => e.action === 'session.ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ actorType: 'system', targetType: 'user', targetId: row.subjectId, reason: 'idle timeout', outcome: 'success' });
    expect(ended[0].details).toEqual({ sessionId: row.id, policy: 'sessionIdleSeconds' });
  });

  it('max age: a session older than the lifetime is deleted, however active', async () => {
    const { tenant, row, db } = await signedInSession();
    await setPolicy(tenant.id, { sessionMaxAgeSeconds: 3600 });
    const early = new Date(row.createdAt.getTime() + 60_000);
    expect((await enforceSessionPolicy(row, early))?.getTime()).toBe(row.createdAt.getTime() + 3_600_000);
    const [fresh] = await db.select().from(sessions).where(eq(sessions.id, row.id));
    expect(await enforceSessionPolicy(fresh, new Date(row.createdAt.getTime() + 3_600_000))).toBeNull();
    expect(await db.select().from(sessions).where(and(eq(sessions.id, row.id)))).toHaveLength(0);
    const ended = (await eventsOf(tenant.id)).filter((e) => e.action === 'session.ended');
    expect(ended.map((e) => [e.reason, e.targetId])).toEqual([['session lifetime', row.subjectId]]);
  });

  it('a session past its own expiry ends without an event', async () => {
    const { tenant, row, db } = await signedInSession();
    expect(await enforceSessionPolicy(row, row.expiresAt)).toBeNull();
    expect(await db.select().from(sessions).where(eq(sessions.id, row.id))).toHaveLength(0);
    expect((await eventsOf(tenant.id)).filter((e) => e.action === 'session.ended')).toHaveLength(0);
  });

  it('operator sessions and tenants without a policy keep the row’s own expiry', async () => {
    const { row } = await signedInSession();
    expect((await enforceSessionPolicy(row, new Date(row.createdAt.getTime() + 1000)))?.getTime()).toBe(row.expiresAt.getTime());
    const op = { ...row, kind: 'operator' as const, tenantId: null };
    expect(await enforceSessionPolicy(op, new Date(row.expiresAt.getTime() - 1))).toBe(op.expiresAt);
  });
});

